/*
 * Verify results come from real TLS handshakes: the client context under test
 * talks to an in-process server over a BIO pair, so the whole verification
 * path (chain building, hash-dir lookups, CRLs, trust settings) runs exactly
 * as it does for a real connection.
 */
#include "harness.h"

SSL_CTX *client_ctx(void)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (!ctx) {
        unexpected("SSL_CTX_new(client) failed");
        return NULL;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

SSL_CTX *client_ctx_with_store(X509_STORE *st)
{
    SSL_CTX *ctx = client_ctx();

    if (ctx)
        SSL_CTX_set_cert_store(ctx, st);
    return ctx;
}

/* The server loads its leaf and key directly: these are not CA loads. */
static SSL_CTX *server_ctx(const char *leaf)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    char name[64];

    if (!ctx)
        return NULL;
    snprintf(name, sizeof(name), "%s.pem", leaf);
    if (SSL_CTX_use_certificate_file(ctx, fx(name), SSL_FILETYPE_PEM) != 1)
        goto fail;
    snprintf(name, sizeof(name), "%s.key", leaf);
    if (SSL_CTX_use_PrivateKey_file(ctx, fx(name), SSL_FILETYPE_PEM) != 1)
        goto fail;
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* Advances one side; returns 1 when done, -1 on failure, 0 to keep going.
 * Both sides share this thread's error queue, so each side's errors are
 * moved into its own list right after its step. */
static int step_side(SSL *s, int state, char *errs, size_t len)
{
    int rc, err;

    if (state != 0)
        return state;
    rc = SSL_do_handshake(s);
    err = SSL_get_error(s, rc);
    take_errors(errs, len);
    if (rc == 1)
        return 1;
    return (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) ? 0 : -1;
}

static void show_chain(SSL *c)
{
    STACK_OF(X509) *chain = SSL_get0_verified_chain(c);
    char buf[512];
    int i;

    for (i = 0; chain && i < sk_X509_num(chain); i++) {
        X509_NAME_oneline(X509_get_subject_name(sk_X509_value(chain, i)), buf, sizeof(buf));
        say("  chain[%d] %s", i, buf);
    }
}

void handshake(const char *label, SSL_CTX *client, const char *leaf, long want)
{
    SSL_CTX *sctx;
    SSL *c = NULL, *s = NULL;
    BIO *cb = NULL, *sb = NULL;
    int cst = 0, sst = 0, round;
    char cerr[512] = "", serr[512] = "";
    long vr;

    /* Nothing should be pending; if something is, the transcript shows it. */
    take_errors(cerr, sizeof(cerr));
    if (cerr[0]) {
        say("  pending before the handshake:%s", cerr);
        cerr[0] = '\0';
    }
    sctx = server_ctx(leaf);
    if (!client || !sctx || !(c = SSL_new(client)) || !(s = SSL_new(sctx))
        || !BIO_new_bio_pair(&cb, 0, &sb, 0)) {
        unexpected("handshake(%s, %s): setup failed", label, leaf);
        show_errors();
        goto done;
    }
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);

    /* Alternate the two sides until both have finished or failed; a side
     * that failed has sent its alert, which the other reads next round.
     * Bounded: a stalled handshake is reported, never waited on. */
    for (round = 0; round < 64 && (cst == 0 || sst == 0); round++) {
        cst = step_side(c, cst, cerr, sizeof(cerr));
        sst = step_side(s, sst, serr, sizeof(serr));
    }
    vr = SSL_get_verify_result(c);
    say("handshake(%s, %s): client=%s server=%s verify=%ld (%s)", label, leaf,
        cst > 0 ? "ok" : cst < 0 ? "failed" : "stalled",
        sst > 0 ? "ok" : sst < 0 ? "failed" : "stalled",
        vr, X509_verify_cert_error_string(vr));
    show_chain(c);
    say("  client errors:%s", cerr[0] ? cerr : " none");
    say("  server errors:%s", serr[0] ? serr : " none");
    if (want != ANY_RC && (vr != want || (want == X509_V_OK) != (cst > 0 && sst > 0)))
        unexpected("handshake(%s, %s): verify=%ld handshake=%s, expected verify=%ld",
                   label, leaf, vr, cst > 0 && sst > 0 ? "ok" : "failed", want);
done:
    SSL_free(c);
    SSL_free(s);
    SSL_CTX_free(sctx);
}

static void leaves(const char *label, SSL_CTX *client, const char *letters, long want)
{
    char leaf[16];

    for (; *letters; letters++) {
        snprintf(leaf, sizeof(leaf), "leaf%c", *letters);
        handshake(label, client, leaf, want);
    }
}

void check_trust(const char *label, SSL_CTX *client, const char *trusted, const char *untrusted)
{
    leaves(label, client, trusted, V_OK);
    leaves(label, client, untrusted, V_NO_ISSUER);
}
