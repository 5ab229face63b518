/*
 * libcrypto entry points.  Applications reach these directly (curl, Ruby,
 * nginx), and libssl reaches them on its way down; the guard makes the
 * outermost one serve the load.
 */
#include "hooks/hook.h"

/* curl with OpenSSL 3, Ruby DEFAULT_CERT_STORE: the default bundle into a bare store. */
TC_EXPORT int X509_STORE_set_default_paths_ex(X509_STORE *store, OSSL_LIB_CTX *libctx,
                                              const char *propq)
{
    TC_TARGET(X509_STORE_set_default_paths_ex);
    TC_CHECK_MUTATION(store, "X509_STORE_set_default_paths_ex");
    TC_SERVE(tc_h_store_default_paths(o, store, libctx, propq), real(store, libctx, propq));
}

TC_EXPORT int X509_STORE_set_default_paths(X509_STORE *store)
{
    TC_TARGET(X509_STORE_set_default_paths);
    TC_CHECK_MUTATION(store, "X509_STORE_set_default_paths");
    TC_SERVE(tc_h_store_default_paths(o, store, NULL, NULL), real(store));
}

/* libpq CRLs and older callers: file and directory in one call. */
TC_EXPORT int X509_STORE_load_locations_ex(X509_STORE *store, const char *file, const char *dir,
                                           OSSL_LIB_CTX *libctx, const char *propq)
{
    TC_TARGET(X509_STORE_load_locations_ex);
    TC_CHECK_MUTATION(store, "X509_STORE_load_locations_ex");
    TC_SERVE(tc_h_store_load_locations(o, store, file, dir, libctx, propq),
             real(store, file, dir, libctx, propq));
}

TC_EXPORT int X509_STORE_load_locations(X509_STORE *store, const char *file, const char *dir)
{
    TC_TARGET(X509_STORE_load_locations);
    TC_CHECK_MUTATION(store, "X509_STORE_load_locations");
    TC_SERVE(tc_h_store_load_locations(o, store, file, dir, NULL, NULL), real(store, file, dir));
}

/* curl (CURLOPT_CAINFO) with OpenSSL 3. */
TC_EXPORT int X509_STORE_load_file_ex(X509_STORE *store, const char *file, OSSL_LIB_CTX *libctx,
                                      const char *propq)
{
    TC_TARGET(X509_STORE_load_file_ex);
    TC_CHECK_MUTATION(store, "X509_STORE_load_file_ex");
    TC_SERVE(tc_h_store_load_file(o, store, file, libctx, propq), real(store, file, libctx, propq));
}

TC_EXPORT int X509_STORE_load_file(X509_STORE *store, const char *file)
{
    TC_TARGET(X509_STORE_load_file);
    TC_CHECK_MUTATION(store, "X509_STORE_load_file");
    TC_SERVE(tc_h_store_load_file(o, store, file, NULL, NULL), real(store, file));
}

/* The X509_LOOKUP_load_file macros: Ruby Store#add_file, nginx CRLs. */
TC_EXPORT int X509_LOOKUP_ctrl_ex(X509_LOOKUP *lu, int cmd, const char *argc, long argl, char **ret,
                                  OSSL_LIB_CTX *libctx, const char *propq)
{
    TC_TARGET(X509_LOOKUP_ctrl_ex);
    TC_SERVE(tc_h_lookup_ctrl(o, lu, cmd, argc, argl, libctx, propq),
             real(lu, cmd, argc, argl, ret, libctx, propq));
}

TC_EXPORT int X509_LOOKUP_ctrl(X509_LOOKUP *lu, int cmd, const char *argc, long argl, char **ret)
{
    TC_TARGET(X509_LOOKUP_ctrl);
    TC_SERVE(tc_h_lookup_ctrl(o, lu, cmd, argc, argl, NULL, NULL), real(lu, cmd, argc, argl, ret));
}

/* The point every PEM bundle load reaches. */
TC_EXPORT int X509_load_cert_crl_file_ex(X509_LOOKUP *lu, const char *file, int type,
                                         OSSL_LIB_CTX *libctx, const char *propq)
{
    TC_TARGET(X509_load_cert_crl_file_ex);
    TC_SERVE(tc_h_load_cert_crl_file(o, lu, file, type, libctx, propq),
             real(lu, file, type, libctx, propq));
}

TC_EXPORT int X509_load_cert_crl_file(X509_LOOKUP *lu, const char *file, int type)
{
    TC_TARGET(X509_load_cert_crl_file);
    TC_SERVE(tc_h_load_cert_crl_file(o, lu, file, type, NULL, NULL), real(lu, file, type));
}

/* Single-certificate files, read lazily by hash-dir lookups during handshakes. */
TC_EXPORT int X509_load_cert_file_ex(X509_LOOKUP *lu, const char *file, int type,
                                     OSSL_LIB_CTX *libctx, const char *propq)
{
    TC_TARGET(X509_load_cert_file_ex);
    TC_SERVE(tc_h_load_cert_file(o, lu, file, type, libctx, propq),
             real(lu, file, type, libctx, propq));
}

TC_EXPORT int X509_load_cert_file(X509_LOOKUP *lu, const char *file, int type)
{
    TC_TARGET(X509_load_cert_file);
    TC_SERVE(tc_h_load_cert_file(o, lu, file, type, NULL, NULL), real(lu, file, type));
}

/*
 * Store additions.  During a verification on a shared store they record what
 * hash-dir lookups load (template.c), where the build lets OpenSSL's own
 * calls reach a hook; and they guard shared templates.  Otherwise they
 * forward untouched.
 */
static int added(struct tc_ossl *o, X509_STORE *store, void *obj, int is_crl, int rc)
{
    if (rc == 1)
        tc_template_note_lazy(o, store, obj, is_crl);
    return rc;
}

TC_EXPORT int X509_STORE_add_cert(X509_STORE *store, TC_ADD_CERT_CONST X509 *x)
{
    TC_TARGET(X509_STORE_add_cert);

    if (!real)
        return 0;
    TC_CHECK_MUTATION(store, "X509_STORE_add_cert");
    return added(o, store, (X509 *)x, 0, real(store, x));
}

TC_EXPORT int X509_STORE_add_crl(X509_STORE *store, X509_CRL *x)
{
    TC_TARGET(X509_STORE_add_crl);

    if (!real)
        return 0;
    TC_CHECK_MUTATION(store, "X509_STORE_add_crl");
    return added(o, store, x, 1, real(store, x));
}

/* ---- the remaining store mutators: shared-template guards only -------- */

#define TC_GUARDED(ret, name, params, store, args)                                                 \
    TC_EXPORT ret name params                                                                      \
    {                                                                                              \
        TC_TARGET(name);                                                                           \
        if (!real)                                                                                 \
            return (ret)0;                                                                         \
        TC_CHECK_MUTATION(store, #name);                                                           \
        return real args;                                                                          \
    }

TC_GUARDED(int, X509_STORE_set_flags, (X509_STORE * st, unsigned long f), st, (st, f))
TC_GUARDED(int, X509_STORE_set_depth, (X509_STORE * st, int d), st, (st, d))
TC_GUARDED(int, X509_STORE_set_purpose, (X509_STORE * st, int p), st, (st, p))
TC_GUARDED(int, X509_STORE_set_trust, (X509_STORE * st, int t), st, (st, t))
TC_GUARDED(int, X509_STORE_set1_param, (X509_STORE * st, TC_CONST_FROM_30 X509_VERIFY_PARAM *p), st,
           (st, p))
TC_GUARDED(X509_VERIFY_PARAM *, X509_STORE_get0_param, (TC_CONST_FROM_30 X509_STORE * st), st, (st))
TC_GUARDED(X509_LOOKUP *, X509_STORE_add_lookup, (X509_STORE * st, X509_LOOKUP_METHOD *m), st,
           (st, m))
TC_GUARDED(int, X509_STORE_load_path, (X509_STORE * st, const char *path), st, (st, path))
TC_GUARDED(int, X509_STORE_load_store, (X509_STORE * st, const char *uri), st, (st, uri))
/* Keeping a shared store beyond a verify callback: it may be changed later. */
TC_GUARDED(int, X509_STORE_up_ref, (X509_STORE * st), st, (st))
TC_GUARDED(int, X509_STORE_load_store_ex,
           (X509_STORE * st, const char *uri, OSSL_LIB_CTX *libctx, const char *propq), st,
           (st, uri, libctx, propq))

TC_EXPORT void X509_STORE_set_verify_cb(X509_STORE *st, X509_STORE_CTX_verify_cb cb)
{
    TC_TARGET(X509_STORE_set_verify_cb);

    if (!real)
        return;
    TC_CHECK_MUTATION(st, "X509_STORE_set_verify_cb");
    real(st, cb);
}

/*
 * Every verification of a handshake: a context on a shared template has its
 * store's lookups (and hash-dir loads) happen in the template, so the shim
 * notes it, for the context's private copy should it ever ask for its store.
 */
TC_EXPORT int X509_verify_cert(X509_STORE_CTX *sctx)
{
    TC_TARGET(X509_verify_cert);

    struct tc_verification v;
    int rc;

    if (!real)
        return -1;
    if (tc_bypass())
        return real(sctx);
    tc_template_verification_begin(o, sctx, &v);
    rc = real(sctx);
    tc_template_verification_end(o, &v);
    return rc;
}

/*
 * A verify callback's way to the store its connection verifies against, and
 * the last way an application could reach a shared template.  A call from
 * outside OpenSSL gets the verifying context's own store instead (made now if
 * needed), so whatever the callback adds or sets stays with that context, as
 * it would without the shim.  OpenSSL's own calls only read: they pass.
 */
TC_EXPORT X509_STORE *X509_STORE_CTX_get0_store(TC_CONST_FROM_30 X509_STORE_CTX *sctx)
{
    TC_TARGET(X509_STORE_CTX_get0_store);
    X509_STORE *store;

    if (!real)
        return NULL;
    store = real(sctx);
    if (!store || tc_bypass() || tc_ossl_is_internal(o, __builtin_return_address(0)))
        return store;
    tc_guard_enter();
    store = tc_template_verify_store(o, (X509_STORE_CTX *)sctx, store);
    tc_guard_leave();
    return store;
}
