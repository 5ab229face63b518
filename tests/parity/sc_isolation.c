/*
 * Contexts loaded from the same bundle stay independent: what one caller
 * adds to, sets on or frees from its own store never reaches another.
 */
#include "harness.h"
#include "scenarios.h"

/* The way CPython's cadata works: add a root to one context's store. */
void sc_isolation_add_cert(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3;
    X509 *b = fixture_cert("caB.pem");

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("a.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("a.pem"), NULL));
    CALL(1, X509_STORE_add_cert(SSL_CTX_get_cert_store(c1), b));
    STORE(c1, 2, 0);
    STORE(c2, 1, 0);
    c3 = client_ctx();
    CALL(1, SSL_CTX_load_verify_locations(c3, fx("a.pem"), NULL));
    STORE(c3, 1, 0);
    TRUST(c1, "AB", "C");
    TRUST(c2, "A", "B");
    TRUST(c3, "A", "B");
    X509_free(b);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* A root added before the load, then the same bundle loaded elsewhere. */
void sc_isolation_add_before_load(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();
    X509 *c = fixture_cert("caC.pem");

    CALL(1, X509_STORE_add_cert(SSL_CTX_get_cert_store(c1), c));
    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("ab.pem"), NULL));
    STORE(c1, 3, 0);
    STORE(c2, 2, 0);
    TRUST(c1, "ABC", "D");
    TRUST(c2, "AB", "C");
    X509_free(c);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

void sc_isolation_store_flags(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3;

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("ab.pem"), NULL));
    CALL(1, X509_STORE_set_flags(SSL_CTX_get_cert_store(c1), X509_V_FLAG_CRL_CHECK));
    c3 = client_ctx();
    CALL(1, SSL_CTX_load_verify_locations(c3, fx("ab.pem"), NULL));
    HS(c1, "leafA", V_NO_CRL);
    HS(c2, "leafA", V_OK);
    HS(c3, "leafA", V_OK);
    HS(c2, "leafArev", V_OK);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* A CRL added to one store revokes only there. */
void sc_isolation_add_crl(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();
    X509_CRL *crl = fixture_crl("crlA.pem");

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("a.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("a.pem"), NULL));
    CALL(1, X509_STORE_add_crl(SSL_CTX_get_cert_store(c1), crl));
    X509_STORE_set_flags(SSL_CTX_get_cert_store(c1), X509_V_FLAG_CRL_CHECK);
    STORE(c1, 1, 1);
    STORE(c2, 1, 0);
    HS(c1, "leafArev", V_REVOKED);
    HS(c1, "leafA", V_OK);
    HS(c2, "leafArev", V_OK);
    X509_CRL_free(crl);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

/* Freeing contexts in any order leaves the others (and later loads) whole;
 * certificates taken out of a store outlive every context. */
void sc_isolation_free_order(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3;
    STACK_OF(X509) * kept;
    int i;

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("ab.pem"), NULL));
    kept = X509_STORE_get1_all_certs(SSL_CTX_get_cert_store(c1));
    SSL_CTX_free(c1);
    say("freed c1");
    TRUST(c2, "AB", "C");
    SSL_CTX_free(c2);
    say("freed c2");
    c3 = client_ctx();
    CALL(1, SSL_CTX_load_verify_locations(c3, fx("ab.pem"), NULL));
    TRUST(c3, "AB", "C");
    SSL_CTX_free(c3);
    for (i = 0; kept && i < sk_X509_num(kept); i++) {
        char buf[256];

        X509_NAME_oneline(X509_get_subject_name(sk_X509_value(kept, i)), buf, sizeof(buf));
        say("kept[%d] %s", i, buf);
    }
    sk_X509_pop_free(kept, X509_free);
}
