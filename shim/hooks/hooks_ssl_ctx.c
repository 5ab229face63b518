/*
 * libssl entry points.  Each hook only routes; the behaviour is in routes.c
 * and ctx_track.c.
 */
#include "hooks/hook.h"

/* Every context gets ex_data recording its libctx/propq, and is counted. */
TC_EXPORT SSL_CTX *SSL_CTX_new_ex(OSSL_LIB_CTX *libctx, const char *propq, const SSL_METHOD *meth)
{
    TC_TARGET(SSL_CTX_new_ex);
    SSL_CTX *ctx;

    if (!real)
        return NULL;
    if (tc_bypass())
        return real(libctx, propq, meth);
    tc_guard_enter();
    ctx = real(libctx, propq, meth);
    tc_hook_tls_use(o);
    tc_ctx_track(o, ctx, libctx, propq);
    tc_guard_leave();
    return ctx;
}

/* Same as SSL_CTX_new_ex(NULL, NULL, meth), for builds that do not route it there. */
TC_EXPORT SSL_CTX *SSL_CTX_new(const SSL_METHOD *meth)
{
    TC_TARGET(SSL_CTX_new);
    SSL_CTX *ctx;

    if (!real)
        return NULL;
    if (tc_bypass())
        return real(meth);
    tc_guard_enter();
    ctx = real(meth);
    tc_hook_tls_use(o);
    tc_ctx_track(o, ctx, NULL, NULL);
    tc_guard_leave();
    return ctx;
}

/* CPython load_default_certs, PHP, libpq sslrootcert=system: the default bundle. */
TC_EXPORT int SSL_CTX_set_default_verify_paths(SSL_CTX *ctx)
{
    TC_TARGET(SSL_CTX_set_default_verify_paths);
    TC_SERVE(tc_h_ctx_default_paths(o, ctx), real(ctx));
}

/* CPython load_verify_locations, urllib3/requests, libpq sslrootcert, Perl, nginx. */
TC_EXPORT int SSL_CTX_load_verify_locations(SSL_CTX *ctx, const char *file, const char *dir)
{
    TC_TARGET(SSL_CTX_load_verify_locations);
    TC_SERVE(tc_h_ctx_load_verify_locations(o, ctx, file, dir), real(ctx, file, dir));
}

/* Ruby >= 3.0 ca_file, and the inner half of load_verify_locations. */
TC_EXPORT int SSL_CTX_load_verify_file(SSL_CTX *ctx, const char *file)
{
    TC_TARGET(SSL_CTX_load_verify_file);
    TC_SERVE(tc_h_ctx_load_verify_file(o, ctx, file), real(ctx, file));
}

/* The default file alone (SSL_CERT_FILE or OPENSSLDIR/cert.pem). */
TC_EXPORT int SSL_CTX_set_default_verify_file(SSL_CTX *ctx)
{
    TC_TARGET(SSL_CTX_set_default_verify_file);
    TC_SERVE(tc_h_ctx_default_verify_file(o, ctx), real(ctx));
}

/* Hash-dir lookup for a directory; shared when the context is. */
TC_EXPORT int SSL_CTX_load_verify_dir(SSL_CTX *ctx, const char *dir)
{
    TC_TARGET(SSL_CTX_load_verify_dir);
    TC_SERVE(tc_h_ctx_load_verify_dir(o, ctx, dir), real(ctx, dir));
}

/* Not served: these only make sure a shared store is never modified. */
TC_EXPORT int SSL_CTX_set_default_verify_dir(SSL_CTX *ctx)
{
    TC_TARGET(SSL_CTX_set_default_verify_dir);
    TC_SERVE(tc_h_ctx_unserved(o, ctx), real(ctx));
}

TC_EXPORT int SSL_CTX_load_verify_store(SSL_CTX *ctx, const char *uri)
{
    TC_TARGET(SSL_CTX_load_verify_store);
    TC_SERVE(tc_h_ctx_unserved(o, ctx), real(ctx, uri));
}

TC_EXPORT int SSL_CTX_set_default_verify_store(SSL_CTX *ctx)
{
    TC_TARGET(SSL_CTX_set_default_verify_store);
    TC_SERVE(tc_h_ctx_unserved(o, ctx), real(ctx));
}

/*
 * Copy-on-write: whoever asks for a context's store may keep and modify it,
 * so a context on a shared template gets its private copy first.  Calls from
 * inside OpenSSL only read it and keep the shared one.
 */
TC_EXPORT X509_STORE *SSL_CTX_get_cert_store(const SSL_CTX *ctx)
{
    TC_TARGET(SSL_CTX_get_cert_store);

    if (!real)
        return NULL;
    if (!tc_bypass() && !tc_ossl_is_internal(o, __builtin_return_address(0))) {
        tc_guard_enter();
        (void)tc_copy_ready(o);
        tc_h_ctx_handout(o, (SSL_CTX *)ctx);
        tc_guard_leave();
    }
    return real(ctx);
}

/* The application installs its own store: that context stops sharing. */
TC_EXPORT void SSL_CTX_set_cert_store(SSL_CTX *ctx, X509_STORE *store)
{
    TC_TARGET(SSL_CTX_set_cert_store);

    if (!real)
        return;
    if (!tc_bypass() && tc_copy_ready(o))
        tc_h_ctx_replaced(o, ctx);
    tc_guard_enter();
    real(ctx, store);
    tc_guard_leave();
}

TC_EXPORT void SSL_CTX_set1_cert_store(SSL_CTX *ctx, X509_STORE *store)
{
    TC_TARGET(SSL_CTX_set1_cert_store);

    if (!real)
        return;
    if (!tc_bypass() && tc_copy_ready(o))
        tc_h_ctx_replaced(o, ctx);
    tc_guard_enter();
    real(ctx, store);
    tc_guard_leave();
}
