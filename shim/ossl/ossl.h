/*
 * One OpenSSL copy, as the shim sees it: the real functions of that copy and
 * the shim state that belongs to it (ex_data indices, bundle cache).
 *
 * A process can hold several copies (a system libssl plus a vendored one in a
 * Python wheel).  Objects must never cross copies, so every function the shim
 * calls is taken from the table of the copy that owns the objects.
 */
#ifndef TC_OSSL_H
#define TC_OSSL_H

#include <pthread.h>
#include <stdint.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "ossl/compat.h"

enum tc_fn_id {
#define TC_HOOK(n) TC_ID_##n,
#define TC_CALL(n) TC_ID_##n,
#include "ossl/ossl_api.def"
#undef TC_HOOK
#undef TC_CALL
    TC_FN_COUNT
};

/* How the real functions of a copy were found. */
enum tc_resolution {
    TC_RES_NEXT,   /* dlsym(RTLD_NEXT): the copy in the global scope */
    TC_RES_CALLER, /* through the calling object (RTLD_LOCAL modules) */
};

struct tc_cache;
struct tc_templates;

struct tc_ossl {
    uintptr_t key; /* load address of the owning libcrypto */
    enum tc_resolution resolution;
    int active;          /* 3.x or 4.x, and every required function found */
    int inactive_reason; /* enum tc_passthrough when !active */
    unsigned long version_num;
    char version_text[64];          /* copied: the exit dump must not call OpenSSL */
    int ctx_ex_index;               /* SSL_CTX ex_data: struct tc_ctx_rec */
    int store_ex_index;             /* X509_STORE ex_data: bundles replayed */
    int lookup_method_offset;       /* compat.c; -1 when the layout is unknown */
    uintptr_t crypto_lo, crypto_hi; /* address ranges of this copy's libcrypto */
    uintptr_t ssl_lo, ssl_hi;       /* ... and libssl (0 until seen) */
    int crypto_symbolic;            /* libcrypto binds its calls to itself (-Bsymbolic):
                                       no hook sees what it calls internally */
    int ready;                      /* copy_state.c: indices and cache created */
    pthread_mutex_t init_lock;
    struct tc_cache *cache;
    struct tc_templates *templates; /* template.c */
/*
 * The only place the shim names OpenSSL declarations, deprecated ones
 * included: 4.0 deprecates SSL_set1_host (still hooked for the applications
 * that call it) and X509_STORE_get0_objects (still the only way to reach a
 * store's own object stack, which template.c sorts in place).  Taking a
 * function's type is not a call, so the warning is silenced here, and only
 * here; every other use goes through these members (hook.h's TC_TARGET too).
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#define TC_HOOK(n) __typeof__(n) *n;
#define TC_CALL(n) __typeof__(n) *n;
#include "ossl/ossl_api.def"
#undef TC_HOOK
#undef TC_CALL
#pragma GCC diagnostic pop
};

/*
 * The copy that a call to hook `id` from `caller` (a return address) must
 * reach.  Never NULL once any OpenSSL with that symbol is loaded; the
 * returned table's entry for the hook is the function to forward to.
 */
struct tc_ossl *tc_ossl_for(enum tc_fn_id id, const void *caller);

/* True if `caller` lies inside this copy's own libcrypto or libssl. */
int tc_ossl_is_internal(const struct tc_ossl *o, const void *caller);

/* True once any hook has run and found an OpenSSL copy. */
int tc_ossl_seen(void);

/* Calls `fn` on every copy seen so far (stats). */
void tc_ossl_foreach(void (*fn)(struct tc_ossl *o, void *arg), void *arg);

/* fork(): the registry lock is held across it (fork.c). */
void tc_resolve_atfork_prepare(void);
void tc_resolve_atfork_parent(void);
void tc_resolve_atfork_child(void);

/*
 * The copy's shim state exists.  Hooks create it (process/copy_state.h)
 * before they enter the core; below them, code only asks.
 */
static inline int tc_copy_is_ready(const struct tc_ossl *o)
{
    return __atomic_load_n(&o->ready, __ATOMIC_ACQUIRE) > 0;
}

/* The symbol name of a table entry (for diagnostics). */
const char *tc_fn_name(enum tc_fn_id id);

#endif
