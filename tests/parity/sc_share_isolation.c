/*
 * Contexts loaded the same way run on one shared store with the shim. Every
 * way an application reaches a context's store (taking it before or after
 * the load, replacing it, sharing it on purpose) must still behave as if
 * each context had its own, exactly as without the shim: what one context
 * adds or sets is seen by that context (and by whoever shares its store on
 * purpose), never by another.
 */
#include "harness.h"
#include "scenarios.h"

#define LOAD(ctx, bundle) CALL(1, SSL_CTX_load_verify_locations(ctx, fx(bundle), NULL))
#define DEFAULTS(ctx)     CALL(1, SSL_CTX_set_default_verify_paths(ctx))

static void free_ctxs(SSL_CTX **c, int n)
{
    for (int i = 0; i < n; i++)
        SSL_CTX_free(c[i]);
}

/* The store pointer is taken before the load, then a root is added through
 * it: trusted by that context only, and the pointer stays valid for as long
 * as the caller holds a reference, whatever happens to the context. */
void sc_share_store_before_load(void)
{
    SSL_CTX *c[5] = {client_ctx(), client_ctx(), client_ctx(), NULL, client_ctx()};
    X509_STORE *st = SSL_CTX_get_cert_store(c[0]);
    X509 *b = fixture_cert("caB.pem");

    say("st = SSL_CTX_get_cert_store(c[0]) before any load");
    CALL(1, X509_STORE_up_ref(st));
    LOAD(c[1], "a.pem");
    LOAD(c[0], "a.pem");
    LOAD(c[2], "a.pem");
    CALL(1, X509_STORE_add_cert(st, b));
    XSTORE(st, 2, 0);
    TRUST(c[0], "AB", "C");
    TRUST(c[1], "A", "B");
    TRUST(c[2], "A", "B");
    SSL_CTX_free(c[0]);
    c[0] = NULL;
    say("freed c[0]; st lives on in the caller's reference");
    XSTORE(st, 2, 0);
    c[3] = client_ctx_with_store(st); /* takes over that reference */
    TRUST(c[3], "AB", "C");
    LOAD(c[4], "a.pem");
    TRUST(c[4], "A", "B");
    TRUST(c[1], "A", "B");
    X509_free(b);
    free_ctxs(c, 5);
}

/* CPython: load_default_certs() on two contexts, then cadata on one of them
 * (SSL_CTX_get_cert_store + X509_STORE_add_cert, a duplicate included). */
void sc_share_python_cadata(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3;
    X509 *a = fixture_cert("caA.pem"), *c = fixture_cert("caC.pem");
    X509_STORE *st;

    env_cert_file("ab.pem");
    env_cert_dir("emptydir");
    DEFAULTS(c1);
    DEFAULTS(c2);
    st = SSL_CTX_get_cert_store(c1);
    CALL(1, X509_STORE_add_cert(st, a));
    CALL(1, X509_STORE_add_cert(st, c));
    TRUST(c1, "ABC", "D");
    TRUST(c2, "AB", "C");
    c3 = client_ctx();
    DEFAULTS(c3);
    TRUST(c3, "AB", "C");
    STORE(c1, 3, 0);
    STORE(c2, 2, 0);
    STORE(c3, 2, 0);
    X509_free(a);
    X509_free(c);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* CRL checking switched on through one context's store: that context now
 * needs CRLs (found lazily in the hash dir), the others do not. */
void sc_share_crl_check_flag(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3;

    env_cert_file("ab.pem");
    env_cert_dir("hashdir");
    DEFAULTS(c1);
    DEFAULTS(c2);
    CALL(1, X509_STORE_set_flags(SSL_CTX_get_cert_store(c1), X509_V_FLAG_CRL_CHECK));
    HS(c1, "leafA", V_NO_CRL);
    HS(c1, "leafC", V_OK);
    HS(c1, "leafCrev", V_REVOKED);
    HS(c2, "leafA", V_OK);
    HS(c2, "leafCrev", V_OK);
    c3 = client_ctx();
    DEFAULTS(c3);
    HS(c3, "leafA", V_OK);
    HS(c3, "leafCrev", V_OK);
    TRUST(c2, "ABCD", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* Node.js #9409: adding a CA (and a CRL) to "the root store" of one context
 * must not change what unrelated contexts with the same roots trust. */
void sc_share_node_root_store(void)
{
    SSL_CTX *c[5];
    X509 *b = fixture_cert("caB.pem");
    X509_CRL *crl = fixture_crl("crlA.pem");
    X509_STORE *st;
    char label[16];
    int i;

    env_cert_file("a.pem");
    env_cert_dir("emptydir");
    for (i = 0; i < 4; i++) {
        c[i] = client_ctx();
        CALL(1, SSL_CTX_set_default_verify_paths(c[i]));
    }
    say("addCACert and addCRL on c[2]");
    st = SSL_CTX_get_cert_store(c[2]);
    CALL(1, X509_STORE_add_cert(st, b));
    CALL(1, X509_STORE_add_crl(st, crl));
    CALL(1, X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK));
    c[4] = client_ctx();
    CALL(1, SSL_CTX_set_default_verify_paths(c[4]));
    for (i = 0; i < 5; i++) {
        snprintf(label, sizeof(label), "c[%d]", i);
        if (i == 2) {
            handshake(label, c[i], "leafA", V_OK);
            handshake(label, c[i], "leafArev", V_REVOKED);
            handshake(label, c[i], "leafB", V_NO_CRL);
        } else {
            check_trust(label, c[i], "A", "BC");
            handshake(label, c[i], "leafArev", V_OK);
        }
    }
    X509_free(b);
    X509_CRL_free(crl);
    free_ctxs(c, 5);
}

/* Bun #31155: copy-on-write must hold for every shared store, not one
 * singleton. Three recipes, three templates; a context on the second and
 * one on the third are changed; nothing else moves. */
void sc_share_every_template(void)
{
    SSL_CTX *a1 = client_ctx(), *a2 = client_ctx(), *b1 = client_ctx(), *b2 = client_ctx();
    SSL_CTX *d1 = client_ctx(), *d2 = client_ctx(), *b3, *d3;
    X509 *c = fixture_cert("caC.pem"), *d = fixture_cert("caD.pem");

    env_cert_file("ab.pem");
    env_cert_dir("emptydir");
    LOAD(a1, "a.pem");
    LOAD(a2, "a.pem");
    LOAD(b1, "b.pem");
    LOAD(b2, "b.pem");
    DEFAULTS(d1);
    DEFAULTS(d2);
    CALL(1, X509_STORE_add_cert(SSL_CTX_get_cert_store(b2), c));
    CALL(1, X509_STORE_add_cert(SSL_CTX_get_cert_store(d1), d));
    TRUST(a1, "A", "BCD");
    TRUST(a2, "A", "BCD");
    TRUST(b1, "B", "ACD");
    TRUST(b2, "BC", "AD");
    TRUST(d1, "ABD", "C");
    TRUST(d2, "AB", "CD");
    b3 = client_ctx();
    LOAD(b3, "b.pem");
    d3 = client_ctx();
    DEFAULTS(d3);
    TRUST(b3, "B", "AC");
    TRUST(d3, "AB", "CD");
    X509_free(c);
    X509_free(d);
    SSL_CTX *all[] = {a1, a2, b1, b2, d1, d2, b3, d3};
    free_ctxs(all, 8);
}

/* An application store installed with SSL_CTX_set_cert_store, then loaded
 * into: the loads land in that store. Two contexts given one store with
 * SSL_CTX_set1_cert_store share it on purpose, and see each other's loads. */
void sc_share_set_cert_store_then_load(void)
{
    SSL_CTX *c1, *c2 = client_ctx(), *c3 = client_ctx(), *c4 = client_ctx(), *c5 = client_ctx();
    X509_STORE *own = X509_STORE_new(), *both = X509_STORE_new();
    X509 *c = fixture_cert("caC.pem");

    CALL(1, X509_STORE_add_cert(own, c));
    c1 = client_ctx_with_store(own);
    LOAD(c1, "a.pem");
    LOAD(c2, "a.pem");
    TRUST(c1, "AC", "B");
    TRUST(c2, "A", "C");
    SSL_CTX_set1_cert_store(c3, both);
    SSL_CTX_set1_cert_store(c4, both);
    X509_STORE_free(both);
    say("c3 and c4 share one application store");
    LOAD(c3, "b.pem");
    TRUST(c4, "B", "A");
    env_cert_file("a.pem");
    env_cert_dir("emptydir");
    DEFAULTS(c4);
    TRUST(c3, "AB", "C");
    XSTORE(SSL_CTX_get_cert_store(c3), 2, 0);
    LOAD(c5, "b.pem");
    TRUST(c5, "B", "AC");
    TRUST(c2, "A", "BC");
    X509_free(c);
    SSL_CTX *all[] = {c1, c2, c3, c4, c5};
    free_ctxs(all, 5);
}

/* One context's store handed to another on purpose (curl's share pattern):
 * a load into either reaches both, and nobody else. */
void sc_share_store_handed_over(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();
    X509_STORE *st;

    LOAD(c1, "a.pem");
    LOAD(c3, "a.pem");
    st = SSL_CTX_get_cert_store(c1);
    CALL(1, X509_STORE_up_ref(st));
    SSL_CTX_set_cert_store(c2, st);
    say("c2 now uses c1's store");
    LOAD(c2, "b.pem");
    TRUST(c1, "AB", "C");
    TRUST(c2, "AB", "C");
    TRUST(c3, "A", "B");
    SSL_CTX_free(c1);
    say("freed c1");
    TRUST(c2, "AB", "C");
    SSL_CTX_free(c2);
    c2 = client_ctx();
    LOAD(c2, "a.pem");
    TRUST(c2, "A", "B");
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* The order of loads is part of the recipe: A then B and B then A are two
 * different stores, enumerated in their own order; a third context loading
 * A then B again matches the first. */
void sc_share_file_order(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();

    LOAD(c1, "a.pem");
    LOAD(c1, "b.pem");
    LOAD(c2, "b.pem");
    LOAD(c2, "a.pem");
    LOAD(c3, "a.pem");
    LOAD(c3, "b.pem");
    STORE(c1, 2, 0);
    STORE(c2, 2, 0);
    ALLCERTS(c3, 2);
    TRUST(c1, "AB", "C");
    TRUST(c2, "AB", "C");
    TRUST(c3, "AB", "C");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}
