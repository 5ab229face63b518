/*
 * What each hooked entry point does when the cache serves it.
 *
 * Every handler first acquires the bundle for the file it would load, before
 * any side effect.  If that fails (missing, unreadable, corrupt or empty file;
 * anything the cache does not serve) it returns TC_REAL and the hook runs the
 * real function from the top, so every failure, return value and error-queue
 * state is OpenSSL's own.  On success it applies a step (template.h): the same
 * sequence of calls as the real function, with the bundle replay standing in
 * for the file parse.
 *
 * The sequences mirror OpenSSL 3.0-3.5 (crypto/x509/x509_d2.c, by_file.c,
 * x509_def.c, ssl/ssl_lib.c); the parity suite checks each one against the
 * real library.
 */
#include <stdlib.h>
#include <string.h>

#include "ossl/compat.h"
#include "base/config.h"
#include "cache/bundle_replay.h"
#include "contexts/ctx_track.h"
#include "serve/routes.h"
#include "serve/serve.h"
#include "base/stats.h"
#include "contexts/template.h"

static enum tc_passthrough inactive_reason(const struct tc_ossl *o)
{
    return o->active ? TC_PT_INTERNAL : (enum tc_passthrough)o->inactive_reason;
}

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

/* A step that loads the acquired bundle; the step holds its own reference. */
static void file_step(struct tc_step *step, struct tc_acq *a)
{
    memset(step, 0, sizeof(*step));
    step->kind = TC_STEP_FILE;
    step->bundle = a->bundle;
    tc_bundle_hold(step->bundle);
}

/* Applies `step` to `store`, accounts for `a`, and clears the step. */
static int apply_and_finish(struct tc_ossl *o, X509_STORE *store, struct tc_step *step,
                            struct tc_acq *a, OSSL_LIB_CTX *libctx, const char *propq)
{
    int ok = tc_step_apply_to_caller(o, store, step, libctx, propq);

    tc_acq_finish(a, ok);
    tc_step_clear(step);
    return ok;
}

/* A PEM load was served: the queue as the real reader leaves it (compat.h). */
static void pem_load_served(struct tc_ossl *o)
{
    if (tc_compat_pem_load_clears_queue(o))
        o->ERR_clear_error();
}

/* ---- lookup level ---------------------------------------------------- */

static int serve_into_lookup(struct tc_ossl *o, X509_LOOKUP *lu, const struct tc_source *src)
{
    X509_STORE *store;
    struct tc_acq a;
    int count, i;

    if (!acquire(o, src, &a))
        return TC_REAL;
    count = a.bundle->count;
    if (!tc_bundle_replay(o, store = o->X509_LOOKUP_get_store(lu), a.bundle)) {
        tc_acq_finish(&a, 0);
        return TC_REAL;
    }
    for (i = 0; i < a.bundle->nobjs; i++) /* a hash-dir load during a verification? */
        tc_template_note_lazy(o, store, a.bundle->objs[i], a.bundle->is_crl[i]);
    tc_acq_finish(&a, 1);
    if (src->type == X509_FILETYPE_PEM)
        pem_load_served(o);
    return count;
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

    if (cmd != X509_L_FILE_LOAD)
        return TC_REAL;
    if (!tc_copy_is_ready(o))
        return not_served(inactive_reason(o));
    switch (tc_compat_is_file_lookup(o, lu)) {
    case 0:
        return TC_REAL; /* another method's command 1: not a CA file load */
    case -1:
        return not_served(TC_PT_LOOKUP_UNKNOWN);
    }
    if (argl == X509_FILETYPE_DEFAULT) {
        src.path = tc_default_cert_file(o);
    } else if (argl != X509_FILETYPE_PEM) {
        src.kind = TC_KIND_CERT;
        src.type = (int)argl;
    }
    if (!src.path || (src.kind == TC_KIND_CERT && src.type != X509_FILETYPE_ASN1))
        return TC_REAL;
    return serve_into_lookup(o, lu, &src) == TC_REAL ? TC_REAL : 1;
}

/* ---- store level ----------------------------------------------------- */

/* X509_STORE_load_file(_ex): a file lookup, then the file. */
int tc_h_store_load_file(struct tc_ossl *o, X509_STORE *store, const char *file,
                         OSSL_LIB_CTX *libctx, const char *propq)
{
    struct tc_source src = {file, TC_KIND_CERT_CRL, X509_FILETYPE_PEM, libctx, propq};
    struct tc_step step;
    struct tc_acq a;

    if (!store || !file || !acquire(o, &src, &a))
        return TC_REAL;
    file_step(&step, &a);
    if (!apply_and_finish(o, store, &step, &a, libctx, propq))
        return TC_REAL;
    pem_load_served(o);
    return 1;
}

/* X509_STORE_load_locations(_ex): the file through the cache, the directory real. */
int tc_h_store_load_locations(struct tc_ossl *o, X509_STORE *store, const char *file,
                              const char *dir, OSSL_LIB_CTX *libctx, const char *propq)
{
    if (!file || tc_h_store_load_file(o, store, file, libctx, propq) == TC_REAL)
        return TC_REAL;
    if (dir && !tc_compat_store_load_path(o, store, dir))
        return 0;
    return 1;
}

/* Where OpenSSL's default hash-dir lookup points right now (SSL_CERT_DIR). */
static const char *default_cert_dir(struct tc_ossl *o)
{
    const char *dir = secure_getenv(o->X509_get_default_cert_dir_env());

    return dir ? dir : o->X509_get_default_cert_dir();
}

/*
 * The set_default_verify_paths step with every environment-dependent value
 * resolved now, so a private copy rebuilt later still matches this call.
 */
static int default_paths_step(struct tc_ossl *o, OSSL_LIB_CTX *libctx, const char *propq,
                              struct tc_step *step, struct tc_acq *a)
{
    struct tc_source src = {NULL, TC_KIND_CERT_CRL, X509_FILETYPE_PEM, libctx, propq};
    const char *dir, *uri;

    if (!tc_copy_is_ready(o)) {
        not_served(inactive_reason(o));
        return 0;
    }
    src.path = tc_default_cert_file(o);
    if (!acquire(o, &src, a))
        return 0;
    file_step(step, a);
    step->kind = TC_STEP_DEFAULT_PATHS;
    dir = default_cert_dir(o);
    uri = tc_compat_default_store_uri(o, dir);
    if (!(step->dir = strdup(dir)) || (uri && !(step->store_uri = strdup(uri)))) {
        tc_step_clear(step);
        tc_acq_finish(a, 0);
        return 0;
    }
    return 1;
}

/* X509_STORE_set_default_paths(_ex): the step, then the queue is cleared. */
int tc_h_store_default_paths(struct tc_ossl *o, X509_STORE *store, OSSL_LIB_CTX *libctx,
                             const char *propq)
{
    struct tc_step step;
    struct tc_acq a;

    if (!store || !default_paths_step(o, libctx, propq, &step, &a))
        return TC_REAL;
    if (!apply_and_finish(o, store, &step, &a, libctx, propq))
        return TC_REAL;
    o->ERR_clear_error();
    return 1;
}

/* ---- context level: shared templates when the context allows --------- */

/*
 * The record of a context the shim saw created.  NULL (after counting the
 * passthrough when `counted`) if this copy is inactive or the context unknown.
 */
static struct tc_ctx_rec *ctx_params(struct tc_ossl *o, SSL_CTX *ctx, int counted)
{
    struct tc_ctx_rec *rec = NULL;

    if (!tc_copy_is_ready(o)) {
        if (counted)
            not_served(inactive_reason(o));
    } else if (!ctx || !o->SSL_CTX_get_cert_store || !(rec = tc_ctx_get(o, ctx))) {
        if (counted)
            not_served(TC_PT_UNTRACKED_CTX);
    }
    return rec;
}

/*
 * The context's own store, about to be changed: a shared one is swapped for a
 * private copy first, and one that is a template anyway (installed by the
 * application) is retired from sharing.
 */
static X509_STORE *own_store(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec)
{
    X509_STORE *store;

    tc_template_privatize(o, ctx, rec);
    store = o->SSL_CTX_get_cert_store(ctx);
    tc_template_claim(o, store);
    return store;
}

/* The real function is about to change this context's store. */
static int ctx_real(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec)
{
    if (rec)
        own_store(o, ctx, rec);
    return TC_REAL;
}

/*
 * Serves a context-level step: the context moves onto a shared template when
 * it can; otherwise the step is applied to its own store, which from then on
 * is private.  Accounts for `a` (NULL for steps that load no file).
 */
static int ctx_serve_step(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec,
                          struct tc_step *step, struct tc_acq *a)
{
    int ok = tc_template_apply(o, ctx, rec, step);

    if (!ok)
        ok = tc_step_apply_to_caller(o, own_store(o, ctx, rec), step, rec->libctx, rec->propq);
    if (a)
        tc_acq_finish(a, ok);
    tc_step_clear(step);
    return ok;
}

/* SSL_CTX_set_default_verify_paths. */
int tc_h_ctx_default_paths(struct tc_ossl *o, SSL_CTX *ctx)
{
    struct tc_ctx_rec *rec = ctx_params(o, ctx, 1);
    struct tc_step step;
    struct tc_acq a;

    if (!rec || !default_paths_step(o, rec->libctx, rec->propq, &step, &a) ||
        !ctx_serve_step(o, ctx, rec, &step, &a))
        return ctx_real(o, ctx, rec);
    o->ERR_clear_error();
    return 1;
}

/* A file step for `file` into the context (load_verify_file, default file). */
static int ctx_load_file(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec, const char *file)
{
    struct tc_source src = {file, TC_KIND_CERT_CRL, X509_FILETYPE_PEM, rec->libctx, rec->propq};
    struct tc_step step;
    struct tc_acq a;

    if (!acquire(o, &src, &a))
        return 0;
    file_step(&step, &a);
    if (!ctx_serve_step(o, ctx, rec, &step, &a))
        return 0;
    pem_load_served(o);
    return 1;
}

/* SSL_CTX_load_verify_file. */
int tc_h_ctx_load_verify_file(struct tc_ossl *o, SSL_CTX *ctx, const char *file)
{
    struct tc_ctx_rec *rec;

    if (!file)
        return TC_REAL;
    if (!(rec = ctx_params(o, ctx, 1)) || !ctx_load_file(o, ctx, rec, file))
        return ctx_real(o, ctx, rec);
    return 1;
}

/* SSL_CTX_load_verify_dir: a hash-dir lookup, no file read now. */
int tc_h_ctx_load_verify_dir(struct tc_ossl *o, SSL_CTX *ctx, const char *dir)
{
    struct tc_ctx_rec *rec = ctx_params(o, ctx, 0);
    struct tc_step step = {.kind = TC_STEP_DIR};

    if (!rec || !dir || !(step.dir = strdup(dir)))
        return ctx_real(o, ctx, rec);
    return ctx_serve_step(o, ctx, rec, &step, NULL) ? 1 : ctx_real(o, ctx, rec);
}

/* SSL_CTX_load_verify_locations: the file step, then the directory step. */
int tc_h_ctx_load_verify_locations(struct tc_ossl *o, SSL_CTX *ctx, const char *file,
                                   const char *dir)
{
    if (!file && !dir)
        return TC_REAL;
    if (file && tc_h_ctx_load_verify_file(o, ctx, file) == TC_REAL)
        return TC_REAL;
    if (dir && tc_h_ctx_load_verify_dir(o, ctx, dir) == TC_REAL)
        return TC_REAL; /* re-running the file part only re-adds duplicates */
    return 1;
}

/* SSL_CTX_set_default_verify_file: the default file only; its errors are discarded. */
int tc_h_ctx_default_verify_file(struct tc_ossl *o, SSL_CTX *ctx)
{
    struct tc_ctx_rec *rec = ctx_params(o, ctx, 1);

    if (!rec || !ctx_load_file(o, ctx, rec, tc_default_cert_file(o)))
        return ctx_real(o, ctx, rec);
    return 1;
}

/* Store routes the cache does not serve (default dir/store, load_verify_store). */
int tc_h_ctx_unserved(struct tc_ossl *o, SSL_CTX *ctx)
{
    return ctx_real(o, ctx, ctx_params(o, ctx, 0));
}

/* SSL_CTX_get_cert_store: the caller will hold the pointer, so it gets a private store. */
void tc_h_ctx_handout(struct tc_ossl *o, SSL_CTX *ctx)
{
    struct tc_ctx_rec *rec = ctx_params(o, ctx, 0);

    if (rec)
        tc_template_privatize(o, ctx, rec);
}

/* SSL_CTX_set_cert_store / set1: the application chose the store; it is not shared. */
void tc_h_ctx_replaced(struct tc_ossl *o, SSL_CTX *ctx)
{
    struct tc_ctx_rec *rec = ctx_params(o, ctx, 0);

    if (rec)
        tc_template_leave(rec);
}
