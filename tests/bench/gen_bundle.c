/*
 * Writes a synthetic CA bundle of COUNT self-signed roots for the bundle-size
 * rows of `make bench`.
 *
 *   gen_bundle COUNT OUT.pem
 *
 * One P-256 key signs every certificate (each is self-signed under its own
 * subject), so 10,000 roots take a couple of seconds where the openssl
 * command line would take minutes.  Each is a minimal v3 CA: serial, subject
 * = issuer "O=trustcache bench, CN=bench root N", 30 days of validity and
 * basicConstraints CA:TRUE.  The file is written under a temporary name and
 * renamed into place.
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>

static X509_NAME *root_name(long i)
{
    X509_NAME *name = X509_NAME_new();
    char cn[64];

    snprintf(cn, sizeof(cn), "bench root %ld", i);
    if (name &&
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"trustcache bench", -1, -1, 0) &&
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0))
        return name;
    X509_NAME_free(name);
    return NULL;
}

static int add_ca_constraint(X509 *x)
{
    X509_EXTENSION *ext =
        X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints, "critical,CA:TRUE");
    int ok = ext && X509_add_ext(x, ext, -1);

    X509_EXTENSION_free(ext);
    return ok;
}

#if OPENSSL_VERSION_NUMBER < 0x30000000L /* 1.1.1 */
#define X509_VERSION_3 2
static EVP_PKEY *EVP_EC_gen(const char *curve)
{
    EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
    EVP_PKEY *key = NULL;

    (void)curve; /* P-256 */
    if (!pc || EVP_PKEY_keygen_init(pc) <= 0 ||
        EVP_PKEY_CTX_set_ec_paramgen_curve_nid(pc, NID_X9_62_prime256v1) <= 0 ||
        EVP_PKEY_keygen(pc, &key) <= 0)
        key = NULL;
    EVP_PKEY_CTX_free(pc);
    return key;
}
#endif

static X509 *make_root(EVP_PKEY *key, long i)
{
    X509 *x = X509_new();
    X509_NAME *name = root_name(i);
    int ok = x && name && X509_set_version(x, X509_VERSION_3) &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), i + 1) &&
             X509_gmtime_adj(X509_getm_notBefore(x), -3600) &&
             X509_gmtime_adj(X509_getm_notAfter(x), 30L * 86400) &&
             X509_set_subject_name(x, name) && X509_set_issuer_name(x, name) &&
             X509_set_pubkey(x, key) && add_ca_constraint(x) && X509_sign(x, key, EVP_sha256());

    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

int main(int argc, char **argv)
{
    char tmp[4096];
    EVP_PKEY *key;
    BIO *out;
    long count, i;
    int ok = 1;

    if (argc != 3 || (count = strtol(argv[1], NULL, 10)) < 1) {
        fprintf(stderr, "usage: %s COUNT OUT.pem\n", argv[0]);
        return 2;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
    key = EVP_EC_gen("P-256");
    out = BIO_new_file(tmp, "w");
    for (i = 0; ok && key && out && i < count; i++) {
        X509 *x = make_root(key, i);

        ok = x && PEM_write_bio_X509(out, x);
        X509_free(x);
    }
    ok = ok && key && out && BIO_flush(out) == 1;
    BIO_free(out);
    EVP_PKEY_free(key);
    if (!ok || rename(tmp, argv[2]) != 0) {
        fprintf(stderr, "gen_bundle: cannot write %s\n", argv[2]);
        ERR_print_errors_fp(stderr);
        remove(tmp);
        return 1;
    }
    return 0;
}
