/*
 * Shared, immutable template stores.
 *
 * A recipe is the ordered list of load steps applied to a context's store.
 * For each recipe there is one template X509_STORE, built once by replay on a
 * fresh store, holding the objects, lookups (in the same order) and params the
 * real calls would have produced.  A pristine context moves onto the template
 * for (its recipe + this step) with SSL_CTX_set1_cert_store: O(1), no copy.
 *
 * Copy-on-write: a context whose store is about to be handed out (or used by a
 * route the cache does not serve) first gets a private store rebuilt from its
 * recipe.  So every store an application ever holds a pointer to is private,
 * and a store handed out before a load is never swapped from under it.
 *
 * Lazy writes: hash-dir lookups add certificates to a template during
 * handshakes.  OpenSSL does those adds under the store's own lock, as it does
 * for any store shared by many connections, so they are safe.
 */
#ifndef TC_TEMPLATE_H
#define TC_TEMPLATE_H

#include "contexts/ctx_track.h"

enum tc_step_kind {
    TC_STEP_FILE,          /* file lookup + a bundle (load_verify_file, default file) */
    TC_STEP_DIR,           /* hash-dir lookup + a directory (load_verify_dir) */
    TC_STEP_DEFAULT_PATHS, /* file + bundle, hash dir, store lookup (set_default_verify_paths) */
};

struct tc_step {
    enum tc_step_kind kind;
    struct tc_bundle *bundle; /* FILE, DEFAULT_PATHS: a reference */
    char *dir;                /* DIR: the directory; DEFAULT_PATHS: resolved default dir */
    char *store_uri;          /* DEFAULT_PATHS: what the store lookup is given (may be NULL) */
};

struct tc_template;

/* Per-context sharing state, kept in the context's ex_data record. */
enum tc_ctx_state {
    TC_CTX_PRISTINE, /* store never handed out, replaced or touched */
    TC_CTX_SHARED,   /* store is a template */
    TC_CTX_PRIVATE,  /* store is the context's own */
};

/*
 * Moves `ctx` (pristine or shared) onto the template for its recipe plus
 * `step` (whose bundle reference is taken over).  Returns 1 on success, 0 if
 * the context must be served the ordinary way (it is then private).
 */
int tc_template_apply(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec,
                      struct tc_step *step);

/* Gives a shared context a private store rebuilt from its recipe. */
void tc_template_privatize(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec);

/* The application replaced the context's store: it stops sharing. */
void tc_template_leave(struct tc_ctx_rec *rec);

/* Drops the context record's template reference (context destroyed). */
void tc_template_release(struct tc_ossl *o, struct tc_template *t);

/*
 * Called by a store mutator hook: if `store` is a template and the caller is
 * not OpenSSL itself, the template is tainted (no new context gets it),
 * counted, and one warning line is printed.  The call then proceeds as usual.
 */
void tc_template_check_mutation(struct tc_ossl *o, X509_STORE *store, const void *caller,
                                const char *what);

struct tc_templates *tc_templates_new(unsigned max);
void tc_templates_lock_for_fork(struct tc_ossl *o);
void tc_templates_unlock_after_fork(struct tc_ossl *o, int in_child);

/*
 * A verification is about to run on `sctx`: while it runs, hash-dir loads
 * into a shared store are remembered for the context it belongs to (its
 * private copy would hold them).  `v` keeps what _end needs.
 */
struct tc_verification {
    struct tc_ctx_rec *previous; /* the thread's outer verification, if nested */
    struct tc_ctx_rec *rec;      /* the verifying context, when on a template */
    X509_STORE *store;           /* that template's store */
    int before;                  /* its object count, when libcrypto binds its own calls */
};
void tc_template_verification_begin(struct tc_ossl *o, X509_STORE_CTX *sctx,
                                    struct tc_verification *v);
void tc_template_verification_end(struct tc_ossl *o, struct tc_verification *v);

/*
 * X509_STORE_CTX_get0_store called from outside OpenSSL returned `store`:
 * the store to give the caller instead.  A template is never handed out: the
 * verifying context gets its private copy, the verification continues on it,
 * and that copy is returned.  Anything else is returned as it is.
 */
X509_STORE *tc_template_verify_store(struct tc_ossl *o, X509_STORE_CTX *sctx, X509_STORE *store);

/* An object was just added to `store`: a lazy load, if a verification on it runs. */
void tc_template_note_lazy(struct tc_ossl *o, X509_STORE *store, void *obj, int is_crl);

/* The context is gone: drop the lazy loads remembered for it. */
void tc_template_forget_lazy(struct tc_ctx_rec *rec);

/*
 * The real function, or the cache, is about to add to `store`, which is a
 * context's own store: if that store is a template (an application installed
 * one it got from a verify callback), it is retired first, as any mutation.
 */
void tc_template_claim(struct tc_ossl *o, X509_STORE *store);

/* Sharing is on (TRUSTCACHE_SHARE, mode on). */
int tc_sharing_enabled(void);

/* Templates currently in the table (stats). */
unsigned tc_template_count(struct tc_ossl *o);

void tc_step_clear(struct tc_step *s);

/*
 * Applies one step to `store` exactly as the real route would on a store: the
 * lookups in OpenSSL's order, the bundle replayed for the file parse.
 * Returns 1 on success.  On a store the shim builds (template, private copy)
 * a hash-dir that could not be added fails the step: that store would not be
 * what OpenSSL builds.  The real route ignores that result on a caller's
 * store, and so does the shim there (tc_step_apply_to_caller).
 */
int tc_step_apply(struct tc_ossl *o, X509_STORE *store, const struct tc_step *step,
                  OSSL_LIB_CTX *libctx, const char *propq);

/*
 * The same on the caller's store, as the route does: the error queue gains
 * nothing if the step fails (the real function then runs and says its own).
 */
int tc_step_apply_to_caller(struct tc_ossl *o, X509_STORE *store, const struct tc_step *step,
                            OSSL_LIB_CTX *libctx, const char *propq);

#endif
