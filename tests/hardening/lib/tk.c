/* See tk.h. */
#include "tk.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

const char *tk_path(const char *dir, const char *name)
{
    static __thread char buf[PATH_MAX];

    snprintf(buf, sizeof(buf), "%s/%s", dir, name);
    return buf;
}

SSL_CTX *tk_client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (ctx)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

SSL_CTX *tk_server_ctx(const char *dir, const char *leaf)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char name[128];

    if (!ctx)
        return NULL;
    snprintf(name, sizeof(name), "%s.pem", leaf);
    if (SSL_CTX_use_certificate_file(ctx, tk_path(dir, name), SSL_FILETYPE_PEM) != 1)
        goto fail;
    snprintf(name, sizeof(name), "%s.key", leaf);
    if (SSL_CTX_use_PrivateKey_file(ctx, tk_path(dir, name), SSL_FILETYPE_PEM) != 1)
        goto fail;
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* One step of one side: 1 done, -1 failed, 0 wants more. */
static int step(SSL *s, int state)
{
    int rc, err;

    if (state)
        return state;
    rc = SSL_do_handshake(s);
    if (rc == 1)
        return 1;
    err = SSL_get_error(s, rc);
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

int tk_handshake(SSL_CTX *client, SSL_CTX *server, long *verify)
{
    SSL *c = NULL, *s = NULL;
    BIO *cb = NULL, *sb = NULL;
    int cst = 0, sst = 0, round, rc = TK_HS_SETUP;

    *verify = -1;
    if (!client || !server || !(c = SSL_new(client)) || !(s = SSL_new(server)) ||
        !BIO_new_bio_pair(&cb, 0, &sb, 0))
        goto done;
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    /* Bounded: a stalled exchange is a failure, never a hang. */
    for (round = 0; round < 64 && (!cst || !sst); round++) {
        cst = step(c, cst);
        sst = step(s, sst);
    }
    *verify = SSL_get_verify_result(c);
    rc = cst > 0 && sst > 0 ? TK_HS_OK : TK_HS_FAILED;
done:
    ERR_clear_error(); /* the failing side's alerts: the verify result says it all */
    SSL_free(c);
    SSL_free(s);
    return rc;
}

int tk_expect(SSL_CTX *client, SSL_CTX *server, long want)
{
    long v;
    int rc = tk_handshake(client, server, &v);

    if (rc == TK_HS_SETUP)
        return 0;
    return v == want && (rc == TK_HS_OK) == (want == X509_V_OK);
}

int tk_store_certs(X509_STORE *st)
{
    STACK_OF(X509_OBJECT) * objs;
    int i, n = 0;

    if (!st || !X509_STORE_lock(st))
        return -1;
    objs = X509_STORE_get0_objects(st);
    for (i = 0; i < sk_X509_OBJECT_num(objs); i++)
        if (X509_OBJECT_get_type(sk_X509_OBJECT_value(objs, i)) == X509_LU_X509)
            n++;
    X509_STORE_unlock(st);
    return n;
}

int tk_store_has_cn(X509_STORE *st, const char *cn)
{
    STACK_OF(X509) *all = st ? X509_STORE_get1_all_certs(st) : NULL;
    char buf[256];
    int i, found = 0;

    for (i = 0; all && i < sk_X509_num(all) && !found; i++) {
        X509_NAME *name = X509_get_subject_name(sk_X509_value(all, i));
        found = X509_NAME_get_text_by_NID(name, NID_commonName, buf, sizeof(buf)) > 0 &&
                strcmp(buf, cn) == 0;
    }
    sk_X509_pop_free(all, X509_free);
    return found;
}

X509 *tk_read_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    X509 *x;

    if (!f)
        return NULL;
    x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    return x;
}

const char *tk_object_of(const void *addr)
{
    Dl_info info;
    const char *slash;

    if (!dladdr(addr, &info) || !info.dli_fname)
        return "?";
    slash = strrchr(info.dli_fname, '/');
    return slash ? slash + 1 : info.dli_fname;
}
