/*
 * Loads that overlap: the same file twice into one store, two paths with the
 * same bytes, bundles sharing roots, and repeated default-path calls.
 */
#include "harness.h"
#include "scenarios.h"

void sc_dup_same_file_one_store(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();
    X509_STORE *s1 = X509_STORE_new();
    X509_LOOKUP *lu = X509_STORE_add_lookup(s1, X509_LOOKUP_file());
    SSL_CTX *c3;

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_file(c1, fx("ab.pem")));
    STORE(c1, 2, 0);
    /* The counts are of objects read, duplicates included. */
    CALL(2, X509_load_cert_crl_file(lu, fx("a-crl.pem"), X509_FILETYPE_PEM));
    CALL(2, X509_load_cert_crl_file(lu, fx("a-crl.pem"), X509_FILETYPE_PEM));
    CALL(1, X509_load_cert_file(lu, fx("a-crl.pem"), X509_FILETYPE_PEM));
    XSTORE(s1, 1, 1);
    env_cert_dir("emptydir");
    env_cert_file("ab.pem");
    CALL(1, SSL_CTX_set_default_verify_paths(c2));
    CALL(1, SSL_CTX_set_default_verify_paths(c2));
    STORE(c2, 2, 0);
    c3 = client_ctx_with_store(s1);
    TRUST(c1, "AB", "C");
    TRUST(c2, "AB", "C");
    TRUST(c3, "A", "B");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

void sc_dup_identical_bytes_two_paths(void)
{
    SSL_CTX *c[4];
    int i;

    for (i = 0; i < 4; i++)
        c[i] = client_ctx();
    CALL(1, SSL_CTX_load_verify_locations(c[0], fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c[1], fx("ab-copy.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c[2], fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c[3], fx("ab-copy.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c[3], fx("ab.pem"), NULL));
    STORE(c[1], 2, 0);
    STORE(c[3], 2, 0);
    TRUST(c[0], "AB", "C");
    TRUST(c[1], "AB", "C");
    TRUST(c[3], "AB", "C");
    for (i = 0; i < 4; i++)
        SSL_CTX_free(c[i]);
}

/*
 * A file whose last add finds its object already in the store (C, A, A):
 * that add still searches, and so sorts, the store's objects, which then
 * list A before C.  A served load must leave the same order: into a
 * context (shared, then handed out), into a lookup's store, and into a
 * store that already holds the file.
 */
void sc_dup_trailing_sorts(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new();
    X509_LOOKUP *lu1 = X509_STORE_add_lookup(s1, X509_LOOKUP_file());
    X509_LOOKUP *lu2 = X509_STORE_add_lookup(s2, X509_LOOKUP_file());

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("c-a-a.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("c-a-a.pem"), NULL));
    STORE(c1, 2, 0);
    STORE(c2, 2, 0);
    CALL(3, X509_load_cert_crl_file(lu1, fx("c-a-a.pem"), X509_FILETYPE_PEM));
    CALL(3, X509_load_cert_crl_file(lu2, fx("c-a-a.pem"), X509_FILETYPE_PEM));
    XSTORE(s1, 2, 0);
    XSTORE(s2, 2, 0);
    CALL(2, X509_load_cert_crl_file(lu2, fx("ab.pem"), X509_FILETYPE_PEM));
    CALL(3, X509_load_cert_crl_file(lu2, fx("c-a-a.pem"), X509_FILETYPE_PEM));
    XSTORE(s2, 3, 0);
    TRUST(c1, "AC", "B");
    TRUST(c2, "AC", "B");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    X509_STORE_free(s1);
    X509_STORE_free(s2);
}

/* Store order shows which load put each root in first. */
void sc_dup_overlapping_bundles(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("b.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("abc.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c3, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c3, fx("b.pem"), NULL));
    STORE(c1, 2, 0);
    STORE(c2, 3, 0);
    STORE(c3, 2, 0);
    TRUST(c1, "AB", "C");
    TRUST(c2, "ABC", "D");
    TRUST(c3, "AB", "C");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}
