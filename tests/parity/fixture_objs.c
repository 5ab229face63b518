/*
 * Fixture objects read straight from disk with the PEM readers, for the
 * scenarios that add a certificate, CRL or key themselves. These reads are
 * not CA loads: no hooked entry point is involved.
 */
#include <openssl/pem.h>

#include "harness.h"

X509 *fixture_cert(const char *name)
{
    BIO *b = BIO_new_file(fx(name), "r");
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    if (!x)
        unexpected("cannot read fixture %s", name);
    return x;
}

X509_CRL *fixture_crl(const char *name)
{
    BIO *b = BIO_new_file(fx(name), "r");
    X509_CRL *x = b ? PEM_read_bio_X509_CRL(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    if (!x)
        unexpected("cannot read fixture %s", name);
    return x;
}

EVP_PKEY *fixture_key(const char *name)
{
    BIO *b = BIO_new_file(fx(name), "r");
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;

    BIO_free(b);
    if (!k)
        unexpected("cannot read fixture %s", name);
    return k;
}
