/*
 * Verify callbacks: X509_STORE_CTX_get0_store() hands a callback the store a
 * context verifies with, which with the shim may be a shared template. The
 * context whose callback changes that store must behave as with OpenSSL
 * alone, and contexts created afterwards must not inherit the change. (Other
 * contexts already on the same template do see it: a documented limit, so no
 * scenario here keeps one alive across the change.)
 */
#include "harness.h"
#include "scenarios.h"

#define LOAD(ctx, bundle) CALL(1, SSL_CTX_load_verify_locations(ctx, fx(bundle), NULL))

/* Scenarios run one at a time on the main thread, so plain statics do. */
static X509 *cb_cert;
static int cb_done;
static X509_STORE *cb_kept;

/* Adds cb_cert through the verifying store, once. */
static int add_through_verify_store(int ok, X509_STORE_CTX *sctx)
{
    if (ok && !cb_done) {
        cb_done = 1;
        say("  verify callback: X509_STORE_add_cert(X509_STORE_CTX_get0_store(sctx), caC) = %d",
            X509_STORE_add_cert(X509_STORE_CTX_get0_store(sctx), cb_cert));
    }
    return ok;
}

/* Keeps a reference to the verifying store, once, and counts what it holds. */
static int keep_verify_store(int ok, X509_STORE_CTX *sctx)
{
    X509_STORE *st = X509_STORE_CTX_get0_store(sctx);

    if (!cb_kept && X509_STORE_up_ref(st)) {
        STACK_OF(X509) *all = X509_STORE_get1_all_certs(st);

        cb_kept = st;
        say("  verify callback keeps its store: %d certs", all ? sk_X509_num(all) : -1);
        sk_X509_pop_free(all, X509_free);
    }
    return ok;
}

/* The tainting path: the context's own trust changes as with OpenSSL alone;
 * every context created afterwards starts from the file's content only. */
void sc_share_verify_cb_adds_cert(void)
{
    SSL_CTX *c1 = client_ctx(), *c2, *c3;

    cb_cert = fixture_cert("caC.pem");
    cb_done = 0;
    SSL_CTX_set_verify(c1, SSL_VERIFY_PEER, add_through_verify_store);
    LOAD(c1, "a.pem");
    HS(c1, "leafA", V_OK);
    TRUST(c1, "AC", "B");
    c2 = client_ctx();
    LOAD(c2, "a.pem");
    TRUST(c2, "A", "BC");
    c3 = client_ctx();
    LOAD(c3, "a.pem");
    TRUST(c3, "A", "C");
    STORE(c1, 2, 0);
    STORE(c2, 1, 0);
    TRUST(c1, "AC", "B");
    X509_free(cb_cert);
    cb_cert = NULL;
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* A callback keeps the verifying store past the life of every context, and
 * the application later installs it in a new context and loads into it. As
 * with OpenSSL alone, that store is the first context's own: what is loaded
 * into it reaches no context created from the same file. */
void sc_share_verify_cb_store_reused(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3, *c4;

    cb_kept = NULL;
    SSL_CTX_set_verify(c1, SSL_VERIFY_PEER, keep_verify_store);
    LOAD(c1, "ab.pem");
    LOAD(c2, "ab.pem");
    HS(c1, "leafA", V_OK);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    say("every context freed; the callback's reference remains");
    XSTORE(cb_kept, 2, 0);
    c3 = client_ctx_with_store(cb_kept); /* takes over that reference */
    LOAD(c3, "caC.pem");
    TRUST(c3, "ABC", "D");
    c4 = client_ctx();
    LOAD(c4, "ab.pem");
    TRUST(c4, "AB", "C");
    STORE(c4, 2, 0);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
    cb_kept = NULL;
}
