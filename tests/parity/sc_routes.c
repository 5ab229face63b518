/*
 * Every entry point that loads CA files, each used more than once on the
 * same bundle so that, with the shim, the repeat loads are served from its
 * cache, and each followed by handshakes that must trust exactly the
 * bundle's roots (A and B of ab.pem) and nothing else.
 */
#include "harness.h"
#include "scenarios.h"

static X509_LOOKUP *file_lookup(X509_STORE *st)
{
    return X509_STORE_add_lookup(st, X509_LOOKUP_file());
}

void sc_route_ctx_default_verify_paths(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();

    env_cert_file("ab.pem");
    env_cert_dir("emptydir");
    CALL(1, SSL_CTX_set_default_verify_paths(c1));
    STORE(c1, 2, 0);
    CALL(1, SSL_CTX_set_default_verify_paths(c2));
    STORE(c2, 2, 0);
    TRUST(c1, "AB", "C");
    TRUST(c2, "AB", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

void sc_route_ctx_load_verify_locations_file(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c3, fx("ab.pem"), NULL));
    STORE(c1, 2, 0);
    STORE(c3, 2, 0);
    TRUST(c1, "AB", "C");
    TRUST(c2, "B", "D");
    TRUST(c3, "A", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* A directory alone is lazy: the store fills during the handshakes. */
void sc_route_ctx_load_verify_locations_dir(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();

    CALL(1, SSL_CTX_load_verify_locations(c1, NULL, fx("hashdir")));
    CALL(1, SSL_CTX_load_verify_locations(c2, NULL, fx("no-such-dir")));
    STORE(c1, 0, 0);
    TRUST(c1, "C", "A");
    STORE(c1, 1, 0);
    TRUST(c1, "D", "");
    STORE(c1, 2, 0);
    TRUST(c2, "", "C");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

void sc_route_ctx_load_verify_locations_both(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), fx("hashdir")));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("ab.pem"), fx("hashdir")));
    STORE(c1, 2, 0);
    TRUST(c1, "ABC", "E");
    TRUST(c2, "BD", "E");
    STORE(c1, 3, 0);
    STORE(c2, 3, 0);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

void sc_route_ctx_load_verify_locations_null(void)
{
    SSL_CTX *c1 = client_ctx();

    CALL(0, SSL_CTX_load_verify_locations(c1, NULL, NULL));
    CALL(0, SSL_CTX_load_verify_locations(c1, NULL, NULL));
    STORE(c1, 0, 0);
    TRUST(c1, "", "A");
    SSL_CTX_free(c1);
}

void sc_route_ctx_load_verify_file(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();

    CALL(1, SSL_CTX_load_verify_file(c1, fx("ab.pem")));
    CALL(1, SSL_CTX_load_verify_file(c2, fx("ab.pem")));
    STORE(c2, 2, 0);
    TRUST(c1, "AB", "C");
    TRUST(c2, "AB", "D");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

void sc_route_ctx_set_default_verify_file(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();

    env_cert_file("ab.pem");
    CALL(1, SSL_CTX_set_default_verify_file(c1));
    CALL(1, SSL_CTX_set_default_verify_file(c2));
    STORE(c1, 2, 0);
    STORE(c2, 2, 0);
    TRUST(c1, "AB", "C");
    TRUST(c2, "A", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

/* The last store asks for a property query, which may be cached apart. */
void sc_route_store_set_default_paths(void)
{
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new(), *s3 = X509_STORE_new();
    X509_STORE *s4 = X509_STORE_new();
    SSL_CTX *c1, *c2, *c3, *c4;

    env_cert_file("ab.pem");
    env_cert_dir("emptydir");
    CALL(1, X509_STORE_set_default_paths(s1));
    CALL(1, X509_STORE_set_default_paths_ex(s2, NULL, NULL));
    CALL(1, X509_STORE_set_default_paths_ex(s3, NULL, NULL));
    CALL(1, X509_STORE_set_default_paths_ex(s4, NULL, "provider=default"));
    XSTORE(s1, 2, 0);
    XSTORE(s4, 2, 0);
    c1 = client_ctx_with_store(s1);
    c2 = client_ctx_with_store(s2);
    c3 = client_ctx_with_store(s3);
    c4 = client_ctx_with_store(s4);
    TRUST(c1, "AB", "C");
    TRUST(c2, "B", "D");
    TRUST(c3, "A", "E");
    TRUST(c4, "AB", "C");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
}

void sc_route_store_load_locations(void)
{
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new(), *s3 = X509_STORE_new();
    SSL_CTX *c1, *c2, *c3;

    CALL(1, X509_STORE_load_locations(s1, fx("ab.pem"), NULL));
    CALL(1, X509_STORE_load_locations_ex(s2, fx("ab.pem"), NULL, NULL, NULL));
    CALL(1, X509_STORE_load_locations(s3, fx("ab.pem"), fx("hashdir")));
    CALL(0, X509_STORE_load_locations(s3, NULL, NULL));
    XSTORE(s1, 2, 0);
    XSTORE(s2, 2, 0);
    c1 = client_ctx_with_store(s1);
    c2 = client_ctx_with_store(s2);
    c3 = client_ctx_with_store(s3);
    TRUST(c1, "AB", "C");
    TRUST(c2, "A", "D");
    TRUST(c3, "BC", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

void sc_route_store_load_file(void)
{
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new(), *s3 = X509_STORE_new();
    SSL_CTX *c1, *c2, *c3;

    CALL(1, X509_STORE_load_file(s1, fx("ab.pem")));
    CALL(1, X509_STORE_load_file_ex(s2, fx("ab.pem"), NULL, NULL));
    CALL(1, X509_STORE_load_file_ex(s3, fx("ab.pem"), NULL, NULL));
    XSTORE(s1, 2, 0);
    XSTORE(s3, 2, 0);
    c1 = client_ctx_with_store(s1);
    c2 = client_ctx_with_store(s2);
    c3 = client_ctx_with_store(s3);
    TRUST(c1, "AB", "C");
    TRUST(c2, "B", "D");
    TRUST(c3, "A", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* X509_LOOKUP_load_file(_ex) are macros over X509_LOOKUP_ctrl(_ex). */
void sc_route_lookup_ctrl_file_load(void)
{
    X509_STORE *s[4];
    SSL_CTX *c[4];
    int i;

    for (i = 0; i < 4; i++)
        s[i] = X509_STORE_new();
    CALL(1, X509_LOOKUP_load_file(file_lookup(s[0]), fx("ab.pem"), X509_FILETYPE_PEM));
    CALL(1,
         X509_LOOKUP_load_file_ex(file_lookup(s[1]), fx("ab.pem"), X509_FILETYPE_PEM, NULL, NULL));
    CALL(1, X509_LOOKUP_ctrl(file_lookup(s[2]), X509_L_FILE_LOAD, fx("ab.pem"), X509_FILETYPE_PEM,
                             NULL));
    CALL(1, X509_LOOKUP_ctrl_ex(file_lookup(s[3]), X509_L_FILE_LOAD, fx("ab.pem"),
                                X509_FILETYPE_PEM, NULL, NULL, NULL));
    XSTORE(s[0], 2, 0);
    XSTORE(s[3], 2, 0);
    for (i = 0; i < 4; i++)
        c[i] = client_ctx_with_store(s[i]);
    TRUST(c[0], "AB", "C");
    TRUST(c[1], "A", "D");
    TRUST(c[2], "B", "E");
    TRUST(c[3], "AB", "");
    for (i = 0; i < 4; i++)
        SSL_CTX_free(c[i]);
}

/* X509_FILETYPE_DEFAULT ignores the name and reads SSL_CERT_FILE. */
void sc_route_lookup_filetype_default(void)
{
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new(), *s3 = X509_STORE_new();
    SSL_CTX *c1, *c2, *c3;

    env_cert_file("ab.pem");
    CALL(1, X509_LOOKUP_load_file(file_lookup(s1), NULL, X509_FILETYPE_DEFAULT));
    CALL(1, X509_LOOKUP_load_file_ex(file_lookup(s2), NULL, X509_FILETYPE_DEFAULT, NULL, NULL));
    CALL(1, X509_LOOKUP_load_file(file_lookup(s3), fx("b.pem"), X509_FILETYPE_DEFAULT));
    XSTORE(s1, 2, 0);
    XSTORE(s3, 2, 0);
    c1 = client_ctx_with_store(s1);
    c2 = client_ctx_with_store(s2);
    c3 = client_ctx_with_store(s3);
    TRUST(c1, "AB", "C");
    TRUST(c2, "B", "D");
    TRUST(c3, "A", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* Returns the number of objects loaded, CRLs included. */
void sc_route_load_cert_crl_file(void)
{
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new(), *s3 = X509_STORE_new();
    SSL_CTX *c1, *c2, *c3;

    CALL(2, X509_load_cert_crl_file(file_lookup(s1), fx("a-crl.pem"), X509_FILETYPE_PEM));
    CALL(2, X509_load_cert_crl_file_ex(file_lookup(s2), fx("a-crl.pem"), X509_FILETYPE_PEM, NULL,
                                       NULL));
    CALL(2, X509_load_cert_crl_file(file_lookup(s3), fx("ab.pem"), X509_FILETYPE_PEM));
    CALL(2, X509_load_cert_crl_file(file_lookup(s3), fx("ab.pem"), X509_FILETYPE_PEM));
    XSTORE(s1, 1, 1);
    XSTORE(s2, 1, 1);
    XSTORE(s3, 2, 0);
    X509_STORE_set_flags(s2, X509_V_FLAG_CRL_CHECK);
    c1 = client_ctx_with_store(s1);
    c2 = client_ctx_with_store(s2);
    c3 = client_ctx_with_store(s3);
    TRUST(c1, "A", "B");
    HS(c1, "leafArev", V_OK);
    HS(c2, "leafArev", V_REVOKED);
    TRUST(c2, "A", "C");
    TRUST(c3, "AB", "C");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* X509_load_cert_file reads certificates only: the CRL in a-crl.pem is
 * skipped, so a cache that holds it must not hand it out here. */
void sc_route_load_cert_file_pem(void)
{
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new(), *s3 = X509_STORE_new();
    SSL_CTX *c1, *c2, *c3;

    CALL(2, X509_load_cert_file(file_lookup(s1), fx("ab.pem"), X509_FILETYPE_PEM));
    CALL(2, X509_load_cert_file_ex(file_lookup(s2), fx("ab.pem"), X509_FILETYPE_PEM, NULL, NULL));
    CALL(1, X509_load_cert_crl_file(file_lookup(s3), fx("a.pem"), X509_FILETYPE_PEM));
    CALL(1, X509_load_cert_file(file_lookup(s3), fx("a-crl.pem"), X509_FILETYPE_PEM));
    CALL(1, X509_load_cert_file(file_lookup(s3), fx("a-crl.pem"), X509_FILETYPE_PEM));
    XSTORE(s1, 2, 0);
    XSTORE(s2, 2, 0);
    XSTORE(s3, 1, 0);
    X509_STORE_set_flags(s3, X509_V_FLAG_CRL_CHECK);
    c1 = client_ctx_with_store(s1);
    c2 = client_ctx_with_store(s2);
    c3 = client_ctx_with_store(s3);
    TRUST(c1, "AB", "C");
    TRUST(c2, "B", "D");
    HS(c3, "leafA", V_NO_CRL);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* DER files through every route that accepts X509_FILETYPE_ASN1. */
void sc_route_load_cert_file_der(void)
{
    X509_STORE *s[4];
    SSL_CTX *c[4];
    int i;

    for (i = 0; i < 4; i++)
        s[i] = X509_STORE_new();
    CALL(1, X509_load_cert_file(file_lookup(s[0]), fx("a.der"), X509_FILETYPE_ASN1));
    CALL(1, X509_load_cert_file_ex(file_lookup(s[1]), fx("a.der"), X509_FILETYPE_ASN1, NULL, NULL));
    CALL(1, X509_load_cert_crl_file(file_lookup(s[2]), fx("a.der"), X509_FILETYPE_ASN1));
    CALL(1, X509_LOOKUP_load_file(file_lookup(s[3]), fx("a.der"), X509_FILETYPE_ASN1));
    CALL(0, X509_load_cert_file(file_lookup(s[3]), fx("a.pem"), X509_FILETYPE_ASN1));
    XSTORE(s[0], 1, 0);
    XSTORE(s[3], 1, 0);
    for (i = 0; i < 4; i++)
        c[i] = client_ctx_with_store(s[i]);
    TRUST(c[0], "A", "B");
    TRUST(c[1], "A", "");
    TRUST(c[2], "A", "");
    TRUST(c[3], "A", "C");
    for (i = 0; i < 4; i++)
        SSL_CTX_free(c[i]);
}

/* A c_rehash-style directory through X509_LOOKUP_hash_dir: nothing is read
 * until a handshake needs an issuer, and CRLs come from the .r0 links. */
void sc_route_hash_dir_lookup(void)
{
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new();
    SSL_CTX *c1, *c2;

    CALL(1, X509_LOOKUP_add_dir(X509_STORE_add_lookup(s1, X509_LOOKUP_hash_dir()), fx("hashdir"),
                                X509_FILETYPE_PEM));
    CALL(1, X509_LOOKUP_add_dir(X509_STORE_add_lookup(s2, X509_LOOKUP_hash_dir()), fx("hashdir"),
                                X509_FILETYPE_PEM));
    CALL(1, X509_STORE_load_file(s2, fx("a.pem")));
    X509_STORE_set_flags(s2, X509_V_FLAG_CRL_CHECK);
    XSTORE(s1, 0, 0);
    c1 = client_ctx_with_store(s1);
    c2 = client_ctx_with_store(s2);
    TRUST(c1, "C", "AB");
    STORE(c1, 1, 0);
    TRUST(c1, "D", "");
    STORE(c1, 2, 0);
    HS(c2, "leafCrev", V_REVOKED);
    HS(c2, "leafC", V_OK);
    HS(c2, "leafA", V_NO_CRL);
    STORE(c2, 2, 1);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

#ifndef PARITY_OSSL_111
/* The _ex routes with a library context of their own. */
void sc_route_ex_libctx(void)
{
    OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();
    X509_STORE *s1 = X509_STORE_new(), *s2 = X509_STORE_new();
    SSL_CTX *c1, *c2;

    CALL(1, X509_STORE_load_file_ex(s1, fx("ab.pem"), lc, NULL));
    CALL(1, X509_STORE_load_locations_ex(s2, fx("ab.pem"), NULL, lc, NULL));
    XSTORE(s2, 2, 0);
    c1 = client_ctx_with_store(s1);
    c2 = client_ctx_with_store(s2);
    TRUST(c1, "AB", "C");
    TRUST(c2, "AB", "D");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    OSSL_LIB_CTX_free(lc);
}
#endif
