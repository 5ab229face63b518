/*
 * Everything that differs between OpenSSL releases (3.0 to 4.0) lives behind
 * this header.  Decisions are made at run time from the copy's own version,
 * so a shim built on 3.0 headers works unchanged on a newer 3.x or on 4.x,
 * and one built on 4.0 headers works on 3.x.
 */
#ifndef TC_COMPAT_H
#define TC_COMPAT_H

#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

struct tc_ossl;

/*
 * 1.1.1 headers lack everything 3.0 added that the hook table names: the
 * library context type, the *_ex loaders, the file/path/store loaders and the
 * 3.0 error-raising functions.  They are declared here with 3.0's
 * prototypes, so the shim builds warning-free against 1.1.1; on a 1.1.1
 * copy their table slots stay NULL (the hooks then have no real function and
 * return 0, as nothing linked against 1.1.1 calls them).
 */
#if OPENSSL_VERSION_NUMBER < 0x30000000L
typedef struct ossl_lib_ctx_st OSSL_LIB_CTX;
SSL_CTX *SSL_CTX_new_ex(OSSL_LIB_CTX *libctx, const char *propq, const SSL_METHOD *meth);
int SSL_CTX_load_verify_file(SSL_CTX *ctx, const char *CAfile);
int SSL_CTX_load_verify_dir(SSL_CTX *ctx, const char *CApath);
int SSL_CTX_load_verify_store(SSL_CTX *ctx, const char *CAstore);
int SSL_CTX_set_default_verify_store(SSL_CTX *ctx);
int X509_STORE_set_default_paths_ex(X509_STORE *ctx, OSSL_LIB_CTX *libctx, const char *propq);
int X509_STORE_load_locations_ex(X509_STORE *ctx, const char *file, const char *dir,
                                 OSSL_LIB_CTX *libctx, const char *propq);
int X509_STORE_load_file(X509_STORE *ctx, const char *file);
int X509_STORE_load_file_ex(X509_STORE *ctx, const char *file, OSSL_LIB_CTX *libctx,
                            const char *propq);
int X509_STORE_load_path(X509_STORE *ctx, const char *path);
int X509_STORE_load_store(X509_STORE *ctx, const char *store);
int X509_STORE_load_store_ex(X509_STORE *ctx, const char *store, OSSL_LIB_CTX *libctx,
                             const char *propq);
int X509_LOOKUP_ctrl_ex(X509_LOOKUP *ctx, int cmd, const char *argc, long argl, char **ret,
                        OSSL_LIB_CTX *libctx, const char *propq);
int X509_load_cert_file_ex(X509_LOOKUP *ctx, const char *file, int type, OSSL_LIB_CTX *libctx,
                           const char *propq);
int X509_load_cert_crl_file_ex(X509_LOOKUP *ctx, const char *file, int type, OSSL_LIB_CTX *libctx,
                               const char *propq);
X509_LOOKUP_METHOD *X509_LOOKUP_store(void);
STACK_OF(X509_INFO) * PEM_X509_INFO_read_bio_ex(BIO *bp, STACK_OF(X509_INFO) * sk,
                                                pem_password_cb *cb, void *u, OSSL_LIB_CTX *libctx,
                                                const char *propq);
void ERR_new(void);
void ERR_set_debug(const char *file, int line, const char *func);
void ERR_set_error(int lib, int reason, const char *fmt, ...);
#define X509_L_ADD_STORE 3 /* 3.0's store lookup control; never sent to a 1.1.1 copy */
#endif

/*
 * 1.1.1 raises errors with ERR_put_error, which 3.0 headers turn into a
 * macro over ERR_new/ERR_set_debug/ERR_set_error.  The table slot needs the
 * function's own name and type: only ever called on a 1.1.1 copy.
 */
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#undef ERR_put_error
void ERR_put_error(int lib, int func, int reason, const char *file, int line);
struct err_state_st *ERR_get_state(void); /* 1.1.1's, public there; see tc_err_mark */
#endif

/*
 * 3.0 made a few getters and setters take const pointers; each hook's
 * prototype follows the headers it is built with.
 */
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#define TC_CONST_FROM_30 const
#else
#define TC_CONST_FROM_30
#endif

/*
 * An ex_data dup callback's `from_d`: the address of the slot's pointer,
 * typed void ** from 3.0 and void * before.
 */
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
typedef void **tc_ex_dup_from_d;
#else
typedef void *tc_ex_dup_from_d;
#endif

/*
 * 4.0 names the host a connection's certificate must match with these (and
 * deprecates SSL_set1_host).  Older headers lack them, so they are declared
 * here with 4.0's prototypes, for the hook table to compile everywhere; a
 * copy without them leaves the hooks' real function NULL, and nothing linked
 * against such a copy calls them.
 */
#if OPENSSL_VERSION_MAJOR < 4
int SSL_set1_dnsname(SSL *s, const char *hostname);
int SSL_add1_dnsname(SSL *s, const char *hostname);
int SSL_set1_ipaddr(SSL *s, const char *ipaddr);
int SSL_add1_ipaddr(SSL *s, const char *ipaddr);
#endif

/*
 * 3.3 added X509_STORE_get1_objects, which 4.x stores must be read with (see
 * tc_compat_store_read_by_copy); older headers lack it.  Only called on a
 * copy that has it.
 */
#if OPENSSL_VERSION_NUMBER < 0x30300000L
STACK_OF(X509_OBJECT) * X509_STORE_get1_objects(X509_STORE *xs);
#endif

/*
 * 4.0 takes the certificate X509_STORE_add_cert adds as const; the hook's
 * prototype follows the headers it is built with.  The object is only
 * remembered (template.c), never written through.
 */
#if OPENSSL_VERSION_MAJOR >= 4
#define TC_ADD_CERT_CONST const
#else
#define TC_ADD_CERT_CONST
#endif

/*
 * Releases the shim serves: 1.1.1, 3.x and 4.x (their CA-loading functions
 * and the structures compat.c reads are the same).  A copy of any other
 * release passes through (stats reason openssl_major_unknown).
 */
int tc_compat_major_known(unsigned long version_num);

/*
 * 1.1.1: no library contexts, no *_ex loaders, no store lookup,
 * X509_STORE_load_path or ERR_raise; errors carry a function code.  Each use
 * below decides from the copy's own version.
 */
int tc_compat_is_111(const struct tc_ossl *o);

/* The functions only one side of the 3.0 line has, that the core calls. */
extern const int tc_compat_required_30[];
extern const int tc_compat_required_111[];
extern const int tc_compat_n_required_30, tc_compat_n_required_111;

/*
 * Error-queue marks that nest, on every release.  From 3.0 a mark is a
 * count per entry and these are ERR_set_mark / ERR_pop_to_mark /
 * ERR_clear_last_mark.  1.1.1 keeps one flag per entry: a mark set on an
 * entry that already carries one is lost when the inner mark is popped, and
 * the outer pop then discards the caller's own errors.  On 1.1.1 each mark
 * remembers its entry and whether that entry was marked before (through
 * ERR_get_state and the ERR_STATE layout 1.1.1 publishes), and restores it.
 */
void tc_err_mark(const struct tc_ossl *o);
void tc_err_pop(const struct tc_ossl *o);  /* ERR_pop_to_mark */
void tc_err_keep(const struct tc_ossl *o); /* ERR_clear_last_mark */

/* Raises `reason` in `lib` on the thread's queue, as the copy's ERR_raise would. */
void tc_compat_raise(const struct tc_ossl *o, int lib, int reason);
/* The packed code ERR_peek_last_error returns for what tc_compat_raise raised. */
unsigned long tc_compat_err_code(const struct tc_ossl *o, int lib, int reason);

/* PEM_X509_INFO_read_bio(_ex): the reader X509_load_cert_crl_file(_ex) uses. */
STACK_OF(X509_INFO) * tc_compat_read_pem_infos(const struct tc_ossl *o, BIO *in,
                                               OSSL_LIB_CTX *libctx, const char *propq);

/* X509_STORE_load_path: a hash-dir lookup for `dir` (by hand on 1.1.1). */
int tc_compat_store_load_path(const struct tc_ossl *o, X509_STORE *store, const char *dir);

/*
 * 1.1.1's PEM readers end a file with ERR_clear_error(): a successful PEM
 * load leaves the caller's error queue empty.  From 3.0 they pop only their
 * own end-of-file error (ERR_set_mark / ERR_pop_to_mark).
 */
int tc_compat_pem_load_clears_queue(const struct tc_ossl *o);

/* Does set_default_paths add a store lookup (3.0 on)? */
int tc_compat_has_store_lookup(const struct tc_ossl *o);

/*
 * Is `lu` a file lookup (X509_LOOKUP_file()) of this copy?  OpenSSL has no
 * getter for a lookup's method.  The field's offset is found once per copy by
 * probing a lookup the shim created itself; returns -1 when the probe failed
 * (the route then passes through), 0 for no, 1 for yes.
 */
int tc_compat_is_file_lookup(struct tc_ossl *o, X509_LOOKUP *lu);

/*
 * The URI X509_STORE_set_default_paths gives its store lookup, resolved now.
 * Before 3.4 a NULL URI meant the default certificate directory (read from
 * SSL_CERT_DIR at call time); from 3.4 on it adds nothing.
 */
const char *tc_compat_default_store_uri(const struct tc_ossl *o, const char *default_dir);

/*
 * How the shim reads a store's objects.  Through 3.x, X509_STORE_get0_objects
 * returns the store's own stack, read under the store's lock.  From 4.0 a
 * store keeps its objects in a table by subject, and get0_objects empties
 * that table into the stack for good: from then on the store lists its
 * objects in insertion order and finds them in one sorted stack, as a 3.x
 * store does, where the same store without the shim would not.  So on 4.x
 * the shim only reads copies (X509_STORE_get1_objects, which takes the
 * store's read lock itself), and every store keeps OpenSSL's own layout.
 */
int tc_compat_store_read_by_copy(const struct tc_ossl *o);

/*
 * Does a lookup leave the store's object stack sorted?  Through 3.x it does
 * (the stack is searched with sk_X509_OBJECT_find, which sorts it first), so
 * a private rebuild sorts its copy the same way.  4.0 keeps a store's objects
 * in a table of its own and enumerates them in an order that does not depend
 * on insertion and that no lookup changes; sorting the stack
 * X509_STORE_get0_objects returns there would change what get1_objects
 * lists, so the rebuild leaves it alone.
 */
int tc_compat_lookups_sort_store(const struct tc_ossl *o);

/*
 * Points a verification in progress at `to` instead of `from`, so the rest of
 * it looks up issuers and CRLs in `to`, as it would have in a store the
 * callback changed.  OpenSSL has no setter: x509_store_ctx_st has begun with
 * the store pointer from 1.1.0 on, and the field is written only if it holds
 * exactly what X509_STORE_CTX_get0_store returned.  Returns 1 if done.
 */
int tc_compat_repoint_verification(X509_STORE_CTX *sctx, X509_STORE *from, X509_STORE *to);

#endif
