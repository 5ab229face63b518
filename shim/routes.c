/*
 * What each hooked entry point does when the cache serves it.
 *
 * Every handler first acquires the bundle for the file it would load, before
 * any side effect.  If that fails (missing, unreadable, corrupt, empty file;
 * anything the cache does not serve) it returns TC_REAL and the hook runs the
 * real function from the top, so every failure, return value and error-queue
 * state is OpenSSL's own.  On success it performs the same sequence of calls
 * as the real function (adding lookups, loading directories, clearing errors)
 * with the bundle replay standing in for the file parse.
 *
 * The sequences mirror OpenSSL 3.0-3.5 (crypto/x509/x509_d2.c, by_file.c,
 * x509_def.c, ssl/ssl_lib.c); the parity suite checks each one against the
 * real library.
 */
#include <string.h>

#include "compat.h"
#include "config.h"
#include "core.h"
#include "stats.h"

/* A load the cache cannot take at all: counted as requested and passed through. */
static int not_served(enum tc_passthrough why)
{
    struct tc_acq a;

    memset(&a, 0, sizeof(a));
    a.why = why;
    TC_COUNT(ca_loads_requested, 1);
    tc_acq_finish(&a, 0);
    return TC_REAL;
}

/*
 * Acquires the bundle for `src`.  In observe mode the load is only counted
 * and the real function always runs.  Returns 1 if the caller may serve.
 */
static int acquire(struct tc_ossl *o, const struct tc_source *src, struct tc_acq *a)
{
    tc_acquire(o, src, a);
    if (a->bundle && tc_config()->mode == TC_MODE_OBSERVE) {
        tc_acq_finish(a, 1);
        return 0;
    }
    if (!a->bundle) {
        tc_acq_finish(a, 0);
        return 0;
    }
    return 1;
}

/* Replays into `store` and accounts; 0 means the real function must run. */
static int replay_and_finish(struct tc_ossl *o, X509_STORE *store, struct tc_acq *a)
{
    int ok = store && tc_bundle_replay(o, store, a->bundle);

    tc_acq_finish(a, ok);
    return ok;
}

static int serve_into_lookup(struct tc_ossl *o, X509_LOOKUP *lu, const struct tc_source *src)
{
    struct tc_acq a;
    int count;

    if (!acquire(o, src, &a))
        return TC_REAL;
    count = a.bundle->count;
    return replay_and_finish(o, o->X509_LOOKUP_get_store(lu), &a) ? count : TC_REAL;
}

/* X509_load_cert_crl_file(_ex): a non-PEM type goes to the certificate loader. */
int tc_h_load_cert_crl_file(struct tc_ossl *o, X509_LOOKUP *lu, const char *file, int type,
                            OSSL_LIB_CTX *libctx, const char *propq)
{
    struct tc_source src = {file, TC_KIND_CERT_CRL, type, libctx, propq};

    if (!lu || !file)
        return TC_REAL;
    if (type != X509_FILETYPE_PEM)
        return tc_h_load_cert_file(o, lu, file, type, libctx, propq);
    return serve_into_lookup(o, lu, &src);
}

/* X509_load_cert_file(_ex): also what hash-dir lookups call during handshakes. */
int tc_h_load_cert_file(struct tc_ossl *o, X509_LOOKUP *lu, const char *file, int type,
                        OSSL_LIB_CTX *libctx, const char *propq)
{
    struct tc_source src = {file, TC_KIND_CERT, type, libctx, propq};

    if (!lu || !file || (type != X509_FILETYPE_PEM && type != X509_FILETYPE_ASN1))
        return TC_REAL;
    return serve_into_lookup(o, lu, &src);
}

/* X509_LOOKUP_ctrl(_ex) with X509_L_FILE_LOAD on a file lookup (by_file_ctrl_ex). */
int tc_h_lookup_ctrl(struct tc_ossl *o, X509_LOOKUP *lu, int cmd, const char *argc, long argl,
                     OSSL_LIB_CTX *libctx, const char *propq)
{
    struct tc_source src = {argc, TC_KIND_CERT_CRL, X509_FILETYPE_PEM, libctx, propq};
    int served;

    if (cmd != X509_L_FILE_LOAD)
        return TC_REAL;
    if (!tc_copy_ready(o))
        return not_served(o->active ? TC_PT_INTERNAL : (enum tc_passthrough)o->inactive_reason);
    switch (tc_compat_is_file_lookup(o, lu)) {
    case 0:
        return TC_REAL; /* another method's command 1: not a CA file load */
    case -1:
        return not_served(TC_PT_LOOKUP_UNKNOWN);
    }
    if (argl == X509_FILETYPE_DEFAULT)
        src.path = tc_default_cert_file(o);
    else if (argl != X509_FILETYPE_PEM) {
        src.kind = TC_KIND_CERT;
        src.type = (int)argl;
    }
    if (!src.path || (src.kind == TC_KIND_CERT && src.type != X509_FILETYPE_ASN1))
        return TC_REAL;
    served = serve_into_lookup(o, lu, &src);
    return served == TC_REAL ? TC_REAL : 1;
}

/* Adds the file lookup, as the real routes do before loading, then replays. */
static int serve_with_file_lookup(struct tc_ossl *o, X509_STORE *store,
                                  const struct tc_source *src)
{
    struct tc_acq a;

    if (!store || !src->path || !acquire(o, src, &a))
        return 0;
    if (!o->X509_STORE_add_lookup(store, o->X509_LOOKUP_file())) {
        tc_acq_finish(&a, 0);
        return 0;
    }
    return replay_and_finish(o, store, &a);
}

/* X509_STORE_load_file(_ex), SSL_CTX_load_verify_file. */
int tc_h_store_load_file(struct tc_ossl *o, X509_STORE *store, const char *file,
                         OSSL_LIB_CTX *libctx, const char *propq)
{
    struct tc_source src = {file, TC_KIND_CERT_CRL, X509_FILETYPE_PEM, libctx, propq};

    return serve_with_file_lookup(o, store, &src) ? 1 : TC_REAL;
}

/* X509_STORE_load_locations(_ex): the file through the cache, the directory real. */
int tc_h_store_load_locations(struct tc_ossl *o, X509_STORE *store, const char *file,
                              const char *dir, OSSL_LIB_CTX *libctx, const char *propq)
{
    if (!file || tc_h_store_load_file(o, store, file, libctx, propq) == TC_REAL)
        return TC_REAL;
    if (dir && !o->X509_STORE_load_path(store, dir))
        return 0;
    return 1;
}

/*
 * X509_STORE_set_default_paths(_ex): file lookup loading the default file,
 * then the hash-dir and store lookups with their defaults, then the error
 * queue is cleared.  The two lazy lookups are OpenSSL's own calls, so their
 * version differences (3.0 lists the default dir for a NULL store URI, 3.4+
 * adds nothing) come along unchanged.
 */
int tc_h_store_default_paths(struct tc_ossl *o, X509_STORE *store, OSSL_LIB_CTX *libctx,
                             const char *propq)
{
    struct tc_source src = {NULL, TC_KIND_CERT_CRL, X509_FILETYPE_PEM, libctx, propq};
    X509_LOOKUP *lu;

    if (!store)
        return TC_REAL;
    if (!tc_copy_ready(o))
        return not_served(o->active ? TC_PT_INTERNAL : (enum tc_passthrough)o->inactive_reason);
    src.path = tc_default_cert_file(o);
    if (!serve_with_file_lookup(o, store, &src))
        return TC_REAL;
    lu = o->X509_STORE_add_lookup(store, o->X509_LOOKUP_hash_dir());
    if (!lu)
        return 0;
    o->X509_LOOKUP_ctrl(lu, X509_L_ADD_DIR, NULL, X509_FILETYPE_DEFAULT, NULL);
    lu = o->X509_STORE_add_lookup(store, o->X509_LOOKUP_store());
    if (!lu)
        return 0;
    o->X509_LOOKUP_ctrl_ex(lu, X509_L_ADD_STORE, NULL, 0, NULL, libctx, propq);
    o->ERR_clear_error();
    return 1;
}

/*
 * The libctx/propq a context was created with.  NULL (after counting the
 * passthrough) if this copy is inactive or the shim never saw the context.
 */
static struct tc_ctx_rec *ctx_params(struct tc_ossl *o, SSL_CTX *ctx)
{
    struct tc_ctx_rec *rec = NULL;

    if (!tc_copy_ready(o))
        not_served(o->active ? TC_PT_INTERNAL : (enum tc_passthrough)o->inactive_reason);
    else if (!o->SSL_CTX_get_cert_store || !(rec = tc_ctx_get(o, ctx)))
        not_served(TC_PT_UNTRACKED_CTX);
    return rec;
}

static X509_STORE *ctx_store(struct tc_ossl *o, SSL_CTX *ctx)
{
    return o->SSL_CTX_get_cert_store(ctx);
}

/* SSL_CTX_set_default_verify_paths. */
int tc_h_ctx_default_paths(struct tc_ossl *o, SSL_CTX *ctx)
{
    struct tc_ctx_rec *rec = ctx_params(o, ctx);

    if (!rec)
        return TC_REAL;
    return tc_h_store_default_paths(o, ctx_store(o, ctx), rec->libctx, rec->propq);
}

/* SSL_CTX_load_verify_file. */
int tc_h_ctx_load_verify_file(struct tc_ossl *o, SSL_CTX *ctx, const char *file)
{
    struct tc_ctx_rec *rec;

    if (!file)
        return TC_REAL;
    if (!ctx || !(rec = ctx_params(o, ctx)))
        return TC_REAL;
    return tc_h_store_load_file(o, ctx_store(o, ctx), file, rec->libctx, rec->propq);
}

/* SSL_CTX_load_verify_locations: the file through the cache, the directory real. */
int tc_h_ctx_load_verify_locations(struct tc_ossl *o, SSL_CTX *ctx, const char *file,
                                   const char *dir)
{
    if (!file || tc_h_ctx_load_verify_file(o, ctx, file) == TC_REAL)
        return TC_REAL;
    if (dir && (!o->SSL_CTX_load_verify_dir || !o->SSL_CTX_load_verify_dir(ctx, dir)))
        return 0;
    return 1;
}

/* SSL_CTX_set_default_verify_file: the default file only; its errors are discarded. */
int tc_h_ctx_default_verify_file(struct tc_ossl *o, SSL_CTX *ctx)
{
    struct tc_source src = {NULL, TC_KIND_CERT_CRL, X509_FILETYPE_PEM, NULL, NULL};
    struct tc_ctx_rec *rec;

    if (!ctx || !(rec = ctx_params(o, ctx)))
        return TC_REAL;
    src.path = tc_default_cert_file(o);
    src.libctx = rec->libctx;
    src.propq = rec->propq;
    return serve_with_file_lookup(o, ctx_store(o, ctx), &src) ? 1 : TC_REAL;
}
