/*
 * Bundle kinds: missing, empty, corrupt and truncated files, DER where PEM is
 * expected, CRLs, TRUSTED CERTIFICATE aux data, and the error queue around
 * loads (what a failed load leaves, what a successful one keeps).
 */
#include <openssl/err.h>

#include "harness.h"
#include "scenarios.h"

static X509_LOOKUP *file_lookup(X509_STORE *st)
{
    return X509_STORE_add_lookup(st, X509_LOOKUP_file());
}

/* Loads fixture `name` through every file route, twice each, into fresh
 * contexts; want is the expected result of the routes that return 1/0, and
 * leaf_a the expected verify result for leafA afterwards, in the contexts
 * and (leaf_a_lookup) in the store that X509_load_cert_file also filled. */
static void load_everywhere(const char *name, long want, long leaf_a, long leaf_a_lookup)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx(), *c4 = client_ctx();
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new();
    SSL_CTX *c5, *c6;
    int round;

    say("-- bundle %s", name);
    for (round = 0; round < 2; round++) {
        CALL(want, SSL_CTX_load_verify_locations(round ? c2 : c1, fx(name), NULL));
        CALL(want, SSL_CTX_load_verify_file(round ? c2 : c1, fx(name)));
        CALL(want, X509_STORE_load_file(round ? s2 : s1, fx(name)));
        CALL(want, X509_STORE_load_locations_ex(round ? s2 : s1, fx(name), NULL, NULL, NULL));
        CALL(want,
             X509_LOOKUP_load_file(file_lookup(round ? s2 : s1), fx(name), X509_FILETYPE_PEM));
        CALL(ANY_RC,
             X509_load_cert_crl_file(file_lookup(round ? s2 : s1), fx(name), X509_FILETYPE_PEM));
        CALL(ANY_RC,
             X509_load_cert_file(file_lookup(round ? s2 : s1), fx(name), X509_FILETYPE_PEM));
    }
    /* The default-path calls swallow load failures and clear the queue. */
    env_cert_dir("emptydir");
    env_cert_file(name);
    CALL(1, SSL_CTX_set_default_verify_paths(c3));
    CALL(1, SSL_CTX_set_default_verify_file(c4));
    STORE(c1, -1, -1);
    STORE(c2, -1, -1);
    STORE(c3, -1, -1);
    XSTORE(s1, -1, -1);
    XSTORE(s2, -1, -1);
    c5 = client_ctx_with_store(s1);
    c6 = client_ctx_with_store(s2);
    HS(c1, "leafA", leaf_a);
    HS(c3, "leafA", leaf_a);
    HS(c4, "leafB", V_NO_ISSUER);
    HS(c5, "leafA", leaf_a_lookup);
    HS(c6, "leafC", V_NO_ISSUER);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
    SSL_CTX_free(c5);
    SSL_CTX_free(c6);
}

void sc_bundle_missing(void) { load_everywhere("no-such-bundle.pem", 0, V_NO_ISSUER, V_NO_ISSUER); }

void sc_bundle_empty(void) { load_everywhere("empty.pem", 0, V_NO_ISSUER, V_NO_ISSUER); }

/* corrupt.pem has one PEM block with garbage inside; a-truncated.pem is a
 * good root followed by half of another, which every route rejects, though
 * X509_load_cert_file has added the good root by then. */
void sc_bundle_corrupt(void)
{
    load_everywhere("corrupt.pem", 0, V_NO_ISSUER, V_NO_ISSUER);
    load_everywhere("a-truncated.pem", 0, V_NO_ISSUER, V_OK);
}

void sc_bundle_der_as_pem(void) { load_everywhere("a.der", 0, V_NO_ISSUER, V_NO_ISSUER); }

/* A bundle carrying a CRL: revocation applies only where CRL checking is on. */
void sc_bundle_crl(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("a-crl.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("a-crl.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_file(c3, fx("a-crl.pem")));
    X509_STORE_set_flags(SSL_CTX_get_cert_store(c1), X509_V_FLAG_CRL_CHECK);
    X509_STORE_set_flags(SSL_CTX_get_cert_store(c3),
                         X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    STORE(c1, 1, 1);
    STORE(c2, 1, 1);
    HS(c1, "leafA", V_OK);
    HS(c1, "leafArev", V_REVOKED);
    HS(c2, "leafArev", V_OK);
    HS(c3, "leafArev", V_REVOKED);
    HS(c3, "leafA", V_OK);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* TRUSTED CERTIFICATE blocks carry trust settings that verification obeys:
 * serverAuth trusted, serverAuth rejected, and trusted for clientAuth only
 * (a trust list without serverAuth rejects too). */
void sc_bundle_trusted_certificate(void)
{
    SSL_CTX *t1 = client_ctx(), *t2 = client_ctx(), *r1 = client_ctx(), *r2 = client_ctx();
    SSL_CTX *k1 = client_ctx(), *k2 = client_ctx();
    X509_STORE *s1 = X509_STORE_new();
    SSL_CTX *x1;

    CALL(1, SSL_CTX_load_verify_locations(t1, fx("a-trust-server.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(t2, fx("a-trust-server.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(r1, fx("a-reject-server.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(r2, fx("a-reject-server.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(k1, fx("a-trust-client.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_file(k2, fx("a-trust-client.pem")));
    CALL(1, X509_load_cert_file(file_lookup(s1), fx("a-reject-server.pem"), X509_FILETYPE_PEM));
    STORE(t1, 1, 0);
    STORE(r2, 1, 0);
    STORE(k1, 1, 0);
    XSTORE(s1, 1, 0);
    x1 = client_ctx_with_store(s1);
    HS(t1, "leafA", V_OK);
    HS(t2, "leafA", V_OK);
    HS(r1, "leafA", V_REJECTED);
    HS(r2, "leafA", V_REJECTED);
    HS(k1, "leafA", V_REJECTED);
    HS(k2, "leafA", V_REJECTED);
    HS(x1, "leafA", V_REJECTED);
    SSL_CTX_free(t1);
    SSL_CTX_free(t2);
    SSL_CTX_free(r1);
    SSL_CTX_free(r2);
    SSL_CTX_free(k1);
    SSL_CTX_free(k2);
    SSL_CTX_free(x1);
}

/* An error the caller left on the queue: successful loads keep it, failed
 * loads add to it, the default-path calls clear it. */
static void push_marker(void)
{
    ERR_raise(ERR_LIB_USER, 42);
    say("queued 128:42");
}

/* Runs a load between ERR_set_mark and ERR_pop_to_mark, as callers that
 * probe several locations do: only the marker may remain afterwards. */
#define MARKED(expr)                                                                               \
    do {                                                                                           \
        long rc_;                                                                                  \
        int popped_;                                                                               \
        push_marker();                                                                             \
        ERR_set_mark();                                                                            \
        rc_ = (long)(expr);                                                                        \
        popped_ = ERR_pop_to_mark();                                                               \
        say("%s under a mark = %ld, pop_to_mark = %d", #expr, rc_, popped_);                       \
        show_errors();                                                                             \
    } while (0)

void sc_preexisting_error(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx(), *c4 = client_ctx();
    X509_STORE *s1 = X509_STORE_new();
    SSL_CTX *c5;

    env_cert_dir("emptydir");
    env_cert_file("ab.pem");
    push_marker();
    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    push_marker();
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("ab.pem"), NULL));
    push_marker();
    CALL(1, SSL_CTX_load_verify_file(c2, fx("ab.pem")));
    push_marker();
    CALL(1, X509_STORE_load_file(s1, fx("ab.pem")));
    push_marker();
    CALL(1, X509_LOOKUP_load_file(file_lookup(s1), fx("ab.pem"), X509_FILETYPE_PEM));
    push_marker();
    CALL(2, X509_load_cert_crl_file(file_lookup(s1), fx("ab.pem"), X509_FILETYPE_PEM));
    push_marker();
    CALL(2, X509_load_cert_file(file_lookup(s1), fx("ab.pem"), X509_FILETYPE_PEM));
    push_marker();
    CALL(1, SSL_CTX_set_default_verify_paths(c3));
    push_marker();
    CALL(1, SSL_CTX_set_default_verify_file(c4));
    push_marker();
    CALL(0, SSL_CTX_load_verify_locations(c4, fx("no-such-bundle.pem"), NULL));
    push_marker();
    CALL(0, SSL_CTX_load_verify_locations(c4, fx("corrupt.pem"), NULL));
    MARKED(SSL_CTX_load_verify_locations(c4, fx("no-such-bundle.pem"), NULL));
    MARKED(SSL_CTX_load_verify_locations(c4, fx("ab.pem"), NULL));
    MARKED(X509_STORE_load_file(s1, fx("empty.pem")));
    MARKED(SSL_CTX_set_default_verify_paths(c1));
    STORE(c1, 2, 0);
    STORE(c4, 2, 0);
    c5 = client_ctx_with_store(s1);
    TRUST(c1, "AB", "C");
    TRUST(c5, "A", "D");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
    SSL_CTX_free(c5);
}
