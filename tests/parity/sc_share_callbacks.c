/*
 * Verify callbacks: X509_STORE_CTX_get0_store() hands a callback the store a
 * context verifies with.  With the shim that context may share a template
 * with others; what the callback adds or sets must stay with the context
 * whose verification it is (for its later handshakes too, and for the rest
 * of the verification in progress), as with OpenSSL alone.  Contexts that
 * shared the store before the change, and contexts created after it, never
 * see it.
 */

#include <stdlib.h>

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

/* The context's own trust changes as with OpenSSL alone; every context
 * created afterwards starts from the file's content only. */
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

/* ------------------------------------- early, mutating and late contexts */

/* A context sharing the template before the callback runs (early), the one
 * whose callback adds root C (mutating), and one created after (late): only
 * the mutating context trusts C, at once and for every later handshake. */
void sc_share_verify_cb_early_late(void)
{
    SSL_CTX *early = client_ctx(), *mutating = client_ctx(), *late;

    cb_cert = fixture_cert("caC.pem");
    cb_done = 0;
    LOAD(early, "a.pem");
    HS(early, "leafA", V_OK);
    SSL_CTX_set_verify(mutating, SSL_VERIFY_PEER, add_through_verify_store);
    LOAD(mutating, "a.pem");
    HS(mutating, "leafA", V_OK);
    TRUST(early, "A", "BC");
    TRUST(mutating, "AC", "B");
    late = client_ctx();
    LOAD(late, "a.pem");
    TRUST(late, "A", "BC");
    HS(mutating, "leafC", V_OK);
    HS(early, "leafC", V_NO_ISSUER);
    STORE(early, 1, 0);
    STORE(mutating, 2, 0);
    STORE(late, 1, 0);
    X509_free(cb_cert);
    cb_cert = NULL;
    SSL_CTX_free(early);
    SSL_CTX_free(mutating);
    SSL_CTX_free(late);
}

/* ------------------------------------------------- a CRL from a callback */

static X509_CRL *cb_crl;

/*
 * On the host-name mismatch (check_id, before revocation is checked), adds
 * crlA through the verifying store and lets the mismatch pass: the
 * revocation check later in the same verification finds that CRL, as it
 * would in the context's own store without the shim.
 */
static int add_crl_on_mismatch(int ok, X509_STORE_CTX *sctx)
{
    int err = X509_STORE_CTX_get_error(sctx);

    if (ok)
        return ok;
    say("  verify callback: error %d at depth %d", err, X509_STORE_CTX_get_error_depth(sctx));
    if (err != X509_V_ERR_HOSTNAME_MISMATCH)
        return ok;
    if (cb_crl)
        say("  verify callback: X509_STORE_add_crl(X509_STORE_CTX_get0_store(sctx), crlA) = %d",
            X509_STORE_add_crl(X509_STORE_CTX_get0_store(sctx), cb_crl));
    return 1;
}

/* A context that checks CRLs and expects a host name the leaf lacks. */
static SSL_CTX *crl_checking_ctx(int mismatch)
{
    SSL_CTX *c = client_ctx();
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(c);

    CALL(1, X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK));
    if (mismatch) {
        SSL_CTX_set_verify(c, SSL_VERIFY_PEER, add_crl_on_mismatch);
        CALL(1, X509_VERIFY_PARAM_set1_host(param, "mismatch.parity.test", 0));
    }
    return c;
}

void sc_share_verify_cb_adds_crl(void)
{
    SSL_CTX *early = crl_checking_ctx(0), *mutating = crl_checking_ctx(1), *late;

    cb_crl = fixture_crl("crlA.pem");
    LOAD(early, "a.pem");
    HS(early, "leafArev", V_NO_CRL);
    LOAD(mutating, "a.pem");
    say("the CRL is added during the first verification, and revokes leafArev in it");
    HS(mutating, "leafArev", V_REVOKED);
    X509_CRL_free(cb_crl);
    cb_crl = NULL;
    HS(mutating, "leafArev", V_REVOKED);
    /* The callback lets the mismatch through: verify=62, handshake ok (the
     * transcript holds both, compared with OpenSSL's). */
    HS(mutating, "leafA", ANY_RC);
    HS(early, "leafArev", V_NO_CRL);
    late = crl_checking_ctx(0);
    LOAD(late, "a.pem");
    HS(late, "leafArev", V_NO_CRL);
    STORE(early, 1, 0);
    STORE(mutating, 1, 1);
    STORE(late, 1, 0);
    SSL_CTX_free(early);
    SSL_CTX_free(mutating);
    SSL_CTX_free(late);
}

/* ------------------------------- the callback while other threads verify */

static SSL_CTX **cb_thread_ctx;

/*
 * Thread 0's context adds root C from its callback; every other thread
 * handshakes on its own context sharing the same template meanwhile, and
 * must never accept leafC, whenever the change happens.
 */
static void callback_or_handshake(int index)
{
    SSL_CTX *c = cb_thread_ctx[index];

    if (index == 0) {
        HS(c, "leafA", V_OK);
        HS(c, "leafC", V_OK);
        return;
    }
    for (int round = 0; round < 3; round++) {
        HS(c, "leafA", V_OK);
        HS(c, "leafC", V_NO_ISSUER);
    }
}

void sc_share_verify_cb_threads(void)
{
    int i;

    cb_cert = fixture_cert("caC.pem");
    cb_done = 0;
    cb_thread_ctx = calloc((size_t)parity_threads, sizeof(*cb_thread_ctx));
    for (i = 0; cb_thread_ctx && i < parity_threads; i++) {
        cb_thread_ctx[i] = client_ctx();
        if (i == 0)
            SSL_CTX_set_verify(cb_thread_ctx[i], SSL_VERIFY_PEER, add_through_verify_store);
        LOAD(cb_thread_ctx[i], "a.pem");
    }
    if (!cb_thread_ctx) {
        unexpected("out of memory");
        return;
    }
    run_workers(callback_or_handshake);
    for (i = 0; i < parity_threads; i++) {
        TRUST(cb_thread_ctx[i], i == 0 ? "AC" : "A", i == 0 ? "B" : "BC");
        SSL_CTX_free(cb_thread_ctx[i]);
    }
    free(cb_thread_ctx);
    cb_thread_ctx = NULL;
    X509_free(cb_cert);
    cb_cert = NULL;
}
