/*
 * Default paths follow SSL_CERT_FILE / SSL_CERT_DIR at the moment of each
 * load, including when the process changes them between loads.
 */
#include <stdlib.h>

#include "harness.h"
#include "scenarios.h"

void sc_env_file_and_dir_set(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();

    env_cert_file("a.pem");
    env_cert_dir("hashdir");
    CALL(1, SSL_CTX_set_default_verify_paths(c1));
    CALL(1, SSL_CTX_set_default_verify_paths(c2));
    STORE(c1, 1, 0);
    TRUST(c1, "AC", "B");
    TRUST(c2, "AD", "E");
    STORE(c1, 2, 0);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

/* The system bundle: the counts vary by machine but not between runs. */
void sc_env_unset(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();

    env_cert_file(NULL);
    env_cert_dir(NULL);
    CALL(1, SSL_CTX_set_default_verify_paths(c1));
    CALL(1, SSL_CTX_set_default_verify_paths(c2));
    STORE(c1, -1, -1);
    STORE(c2, -1, -1);
    TRUST(c1, "", "A");
    TRUST(c2, "", "B");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

/* A missing default file is not an error for the default-path calls, but is
 * for an explicit X509_FILETYPE_DEFAULT lookup load. */
void sc_env_file_missing(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();
    X509_STORE *s4 = X509_STORE_new();
    SSL_CTX *c4;

    env_cert_file_path("<missing>", scratch("missing.pem"));
    env_cert_dir("emptydir");
    CALL(1, SSL_CTX_set_default_verify_paths(c1));
    CALL(1, SSL_CTX_set_default_verify_paths(c2));
    CALL(1, SSL_CTX_set_default_verify_file(c3));
    CALL(0, X509_LOOKUP_load_file(X509_STORE_add_lookup(s4, X509_LOOKUP_file()), NULL,
                                  X509_FILETYPE_DEFAULT));
    STORE(c1, 0, 0);
    STORE(c3, 0, 0);
    XSTORE(s4, 0, 0);
    c4 = client_ctx_with_store(s4);
    TRUST(c1, "", "A");
    TRUST(c3, "", "B");
    TRUST(c4, "", "A");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
}

void sc_env_file_changed(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx(), *c4 = client_ctx();

    env_cert_dir("emptydir");
    env_cert_file("a.pem");
    CALL(1, SSL_CTX_set_default_verify_paths(c1));
    env_cert_file("b.pem");
    CALL(1, SSL_CTX_set_default_verify_paths(c2));
    env_cert_file("a.pem");
    CALL(1, SSL_CTX_set_default_verify_paths(c3));
    env_cert_file("b.pem");
    CALL(1, SSL_CTX_set_default_verify_file(c4));
    TRUST(c1, "A", "B");
    TRUST(c2, "B", "A");
    TRUST(c3, "A", "B");
    TRUST(c4, "B", "A");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
}

void sc_env_dir_changed(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();

    env_cert_file("a.pem");
    env_cert_dir("hashdir");
    CALL(1, SSL_CTX_set_default_verify_paths(c1));
    env_cert_dir("emptydir");
    CALL(1, SSL_CTX_set_default_verify_paths(c2));
    env_cert_dir("hashdir");
    CALL(1, SSL_CTX_set_default_verify_paths(c3));
    TRUST(c1, "AC", "B");
    TRUST(c2, "A", "C");
    TRUST(c3, "AD", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}
