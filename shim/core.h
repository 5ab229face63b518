/*
 * The core of the shim, split from the hooks (hooks_*.c only resolve the
 * real function, apply the re-entrancy guard and call into here).
 */
#ifndef TC_CORE_H
#define TC_CORE_H

#include <limits.h>

#include "cache/bundle_cache.h"
#include "ossl/ossl.h"
#include "base/passthrough.h"

/* Returned by a route handler that did not serve the call: run the real one. */
#define TC_REAL INT_MIN

/* Which real loader a trust source goes through; they parse differently. */
enum tc_kind {
    TC_KIND_CERT_CRL, /* X509_load_cert_crl_file_ex: certificates and CRLs */
    TC_KIND_CERT,     /* X509_load_cert_file_ex: certificates only */
};

struct tc_source {
    const char *path;
    enum tc_kind kind;
    int type; /* X509_FILETYPE_PEM or X509_FILETYPE_ASN1 */
    OSSL_LIB_CTX *libctx;
    const char *propq;
};

/* ---- copy_state.c: per-copy state, created on first use ---------------- */
int tc_copy_ready(struct tc_ossl *o);
/* Hooks forward untouched when this is true (nested call, or mode off). */
int tc_bypass(void);

/* ---- ctx_track.c: contexts created through the hooks ------------------- */
struct tc_template;
struct tc_ctx_acct;
struct tc_ctx_rec {
    OSSL_LIB_CTX *libctx;
    char *propq;
    int state;                /* enum tc_ctx_state (template.h) */
    struct tc_template *tmpl; /* recipe so far; kept until the context dies */
    int verified;             /* atomic: a verification ran on its shared store */
    X509_STORE *own_store;    /* atomic: its private store, stored (release) before the
                                 swap, so a handshake thread that finds it there is
                                 ordered after the store was built (template.c) */
    unsigned lockword;        /* template.c: serialises state changes */
    void **lazy;              /* template.c: hash-dir loads its verifications made */
    unsigned char *lazy_crl;  /*   in the shared store (rec lock) */
    int nlazy, lazy_cap;
    int lazy_lost; /*   one could not be remembered: copy them all */
    struct tc_ossl *o;
    /*
     * Accounting (acct.c).  The record outlives its context while anything
     * still refers to it: a connection made from it, or a load on its way
     * (ctx_track.c), so neither ever touches freed memory.
     */
    int refs;                 /* atomic: the context's own reference, plus those */
    unsigned acct_lockword;   /* acct.c: guards the two below (word_lock.h) */
    int dead;                 /* the context is destroyed */
    struct tc_ctx_acct *acct; /* its loads, bundles held, hosts served */
};
void tc_ctx_track(struct tc_ossl *o, SSL_CTX *ctx, OSSL_LIB_CTX *libctx, const char *propq);
/* The context's record; also notes it as the target of this thread's next CA load. */
struct tc_ctx_rec *tc_ctx_get(struct tc_ossl *o, const SSL_CTX *ctx);
/* The context's record, nothing else (connections). */
struct tc_ctx_rec *tc_ctx_lookup(struct tc_ossl *o, const SSL_CTX *ctx);
void tc_ctx_hold(struct tc_ctx_rec *rec);
void tc_ctx_release(struct tc_ctx_rec *rec);
/* A CA load from cache entry `entry` finished: counted, if it was
 * served, for the context tc_ctx_get last named on this thread, if any. */
void tc_ctx_count_load(struct tc_entry *entry, int hit, int served);
void tc_ctx_rec_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                        void *argp);

/* ---- conn_track.c: connections (SSL objects), for the per-host stats ---- */
void tc_conn_new(struct tc_ossl *o, SSL *s, SSL_CTX *ctx);
/* The connection's host became known (SNI, or the name to verify). */
void tc_conn_host(struct tc_ossl *o, SSL *s, const char *host);
void tc_conn_atfork_prepare(void);
void tc_conn_atfork_parent(void);
void tc_conn_atfork_child(void);

/* ---- bundle_fill.c: parsing a bundle with OpenSSL's own loader ---------- */
struct tc_bundle *tc_bundle_parse(struct tc_ossl *o, const char *content_key,
                                  const unsigned char *sha, const struct tc_source *src,
                                  enum tc_passthrough *why);
void tc_bundle_release_objects(struct tc_bundle *b, void *arg);

/* ---- bundle_replay.c: adding a bundle to a caller's store --------------- */
int tc_bundle_replay(struct tc_ossl *o, X509_STORE *store, struct tc_bundle *b);
/*
 * The objects `store` holds (X509 or X509_CRL pointers), in its stack order,
 * read under its lock; their kinds in *is_crl when asked, a reference each
 * when `hold`.  NULL if it holds none or on allocation failure: *n is the
 * count either way.
 */
void **tc_store_objects(struct tc_ossl *o, X509_STORE *store, int *n, unsigned char **is_crl,
                        int hold);
/* The same without references, sorted by address, for bsearch with tc_ptr_cmp. */
void **tc_store_members(struct tc_ossl *o, X509_STORE *store, int *n);
int tc_ptr_cmp(const void *a, const void *b);

/* The template a store is, if any (a marker in the store's ex_data). */
struct tc_template *tc_store_template(struct tc_ossl *o, X509_STORE *store);
int tc_store_mark_template(struct tc_ossl *o, X509_STORE *store, struct tc_template *t);
void tc_store_record_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                             void *argp);

/* ---- serve.c: the cached file step, and its accounting ------------------ */
struct tc_acq {
    struct tc_bundle *bundle; /* non-NULL: serve from this (holds a reference) */
    struct tc_entry *entry;
    int hit;                 /* served without parsing */
    enum tc_passthrough why; /* when bundle is NULL and the load is counted as passthrough */
};
/* Counts the request; fills `a`.  a->bundle NULL means: run the real function. */
void tc_acquire(struct tc_ossl *o, const struct tc_source *src, struct tc_acq *a);
/* Counts the outcome (served, or passthrough) and drops the reference. */
void tc_acq_finish(struct tc_acq *a, int served);
const char *tc_default_cert_file(struct tc_ossl *o);

/* ---- routes.c: each hooked entry point's behaviour, served from cache --- */
int tc_h_load_cert_crl_file(struct tc_ossl *o, X509_LOOKUP *lu, const char *file, int type,
                            OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_load_cert_file(struct tc_ossl *o, X509_LOOKUP *lu, const char *file, int type,
                        OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_lookup_ctrl(struct tc_ossl *o, X509_LOOKUP *lu, int cmd, const char *argc, long argl,
                     OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_store_load_file(struct tc_ossl *o, X509_STORE *store, const char *file,
                         OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_store_load_locations(struct tc_ossl *o, X509_STORE *store, const char *file,
                              const char *dir, OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_store_default_paths(struct tc_ossl *o, X509_STORE *store, OSSL_LIB_CTX *libctx,
                             const char *propq);
int tc_h_ctx_default_paths(struct tc_ossl *o, SSL_CTX *ctx);
int tc_h_ctx_load_verify_locations(struct tc_ossl *o, SSL_CTX *ctx, const char *file,
                                   const char *dir);
int tc_h_ctx_load_verify_file(struct tc_ossl *o, SSL_CTX *ctx, const char *file);
int tc_h_ctx_default_verify_file(struct tc_ossl *o, SSL_CTX *ctx);
int tc_h_ctx_load_verify_dir(struct tc_ossl *o, SSL_CTX *ctx, const char *dir);
int tc_h_ctx_unserved(struct tc_ossl *o, SSL_CTX *ctx);
void tc_h_ctx_handout(struct tc_ossl *o, SSL_CTX *ctx);
void tc_h_ctx_replaced(struct tc_ossl *o, SSL_CTX *ctx);

/* ---- fork.c ------------------------------------------------------------- */
void tc_fork_handlers_once(void);

#endif
