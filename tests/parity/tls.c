/*
 * Verify results come from real TLS handshakes: the client context under test
 * talks to an in-process server over a BIO pair, so the whole verification
 * path (chain building, hash-dir lookups, CRLs, trust settings) runs exactly
 * as it does for a real connection.
 */
#include <string.h>

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

/* Both ends of one handshake over a BIO pair, and how each side ended. */
struct hs {
    SSL *c, *s;
    int cst, sst; /* 1 done, -1 failed, 0 stalled */
    char cerr[512], serr[512];
};

/* Creates both ends and alternates them until both have finished or failed;
 * a side that failed has sent its alert, which the other reads next round.
 * Bounded: a stalled handshake is reported, never waited on. Returns 0 if
 * the setup failed. */
static int hs_run(struct hs *h, SSL_CTX *client, SSL_CTX *server)
{
    BIO *cb = NULL, *sb = NULL;
    int round;

    memset(h, 0, sizeof(*h));
    if (!client || !server || !(h->c = SSL_new(client)) || !(h->s = SSL_new(server)) ||
        !BIO_new_bio_pair(&cb, 0, &sb, 0))
        return 0;
    SSL_set_bio(h->c, cb, cb);
    SSL_set_bio(h->s, sb, sb);
    SSL_set_connect_state(h->c);
    SSL_set_accept_state(h->s);
    for (round = 0; round < 64 && (h->cst == 0 || h->sst == 0); round++) {
        h->cst = step_side(h->c, h->cst, h->cerr, sizeof(h->cerr));
        h->sst = step_side(h->s, h->sst, h->serr, sizeof(h->serr));
    }
    return 1;
}

static void hs_free(struct hs *h)
{
    SSL_free(h->c);
    SSL_free(h->s);
}

static const char *state_word(int st) { return st > 0 ? "ok" : st < 0 ? "failed" : "stalled"; }

/* Nothing should be pending; if something is, the transcript shows it. */
static void show_pending(void)
{
    char pending[512] = "";

    take_errors(pending, sizeof(pending));
    if (pending[0])
        say("  pending before the handshake:%s", pending);
}

void handshake(const char *label, SSL_CTX *client, const char *leaf, long want)
{
    SSL_CTX *sctx;
    struct hs h;
    long vr;

    show_pending();
    sctx = server_ctx(leaf);
    if (!hs_run(&h, client, sctx)) {
        unexpected("handshake(%s, %s): setup failed", label, leaf);
        show_errors();
        goto done;
    }
    vr = SSL_get_verify_result(h.c);
    say("handshake(%s, %s): client=%s server=%s verify=%ld (%s)", label, leaf, state_word(h.cst),
        state_word(h.sst), vr, X509_verify_cert_error_string(vr));
    show_chain(h.c);
    say("  client errors:%s", h.cerr[0] ? h.cerr : " none");
    say("  server errors:%s", h.serr[0] ? h.serr : " none");
    if (want != ANY_RC && (vr != want || (want == X509_V_OK) != (h.cst > 0 && h.sst > 0)))
        unexpected("handshake(%s, %s): verify=%ld handshake=%s, expected verify=%ld", label, leaf,
                   vr, h.cst > 0 && h.sst > 0 ? "ok" : "failed", want);
done:
    hs_free(&h);
    SSL_CTX_free(sctx);
}

/* A server that requires a client certificate and verifies it against the
 * fixture bundle client_ca, loaded as servers do (a CA load of its own). */
static SSL_CTX *mtls_server_ctx(const char *leaf, const char *client_ca)
{
    SSL_CTX *sctx = server_ctx(leaf);

    if (!sctx)
        return NULL;
    SSL_CTX_set_verify(sctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    if (SSL_CTX_load_verify_locations(sctx, fx(client_ca), NULL) != 1) {
        SSL_CTX_free(sctx);
        return NULL;
    }
    return sctx;
}

/* The peer's common name (4.0 deprecates X509_NAME_get_text_by_NID and
 * returns names and entries as const). */
static void peer_name(SSL *s, char *buf, size_t len)
{
    X509 *peer = SSL_get0_peer_certificate(s);
    PARITY_NAME_CONST X509_NAME *name = peer ? X509_get_subject_name(peer) : NULL;
    int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
    const X509_NAME_ENTRY *e = i >= 0 ? X509_NAME_get_entry(name, i) : NULL;
    const ASN1_STRING *cn = e ? X509_NAME_ENTRY_get_data(e) : NULL;

    if (cn)
        snprintf(buf, len, "%.*s", ASN1_STRING_length(cn), (const char *)ASN1_STRING_get0_data(cn));
    else
        snprintf(buf, len, "none");
}

void mtls_handshake(const char *label, SSL_CTX *client, const char *leaf, const char *client_ca,
                    const char *want_peer)
{
    SSL_CTX *sctx;
    struct hs h;
    char peer[256];
    long svr;

    show_pending();
    sctx = mtls_server_ctx(leaf, client_ca);
    if (!hs_run(&h, client, sctx)) {
        unexpected("mtls(%s, %s): setup failed", label, leaf);
        show_errors();
        goto done;
    }
    peer_name(h.s, peer, sizeof(peer));
    svr = SSL_get_verify_result(h.s);
    say("mtls(%s, %s): client=%s server=%s client verify=%ld server verify=%ld server saw %s",
        label, leaf, state_word(h.cst), state_word(h.sst), SSL_get_verify_result(h.c), svr, peer);
    say("  client errors:%s", h.cerr[0] ? h.cerr : " none");
    say("  server errors:%s", h.serr[0] ? h.serr : " none");
    if (want_peer ? (h.sst <= 0 || h.cst <= 0 || svr != X509_V_OK || strcmp(peer, want_peer) != 0)
                  : h.sst > 0)
        unexpected("mtls(%s, %s): server=%s saw %s, expected %s", label, leaf, state_word(h.sst),
                   peer, want_peer ? want_peer : "a failed handshake");
done:
    hs_free(&h);
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
