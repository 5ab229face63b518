/*
 * The harness on OpenSSL 1.1.1 (Debian 11): what the scenarios call that
 * 1.1.1 lacks, written as a 1.1.1 application writes it.  Both runs of a
 * scenario (with and without the shim) use the same binary, so a mapping
 * here never changes what the comparison proves.
 *
 * - 3.0's file and directory entry points become load_locations with one of
 *   its two arguments NULL, which is what 3.0's own versions do.
 * - The *_ex loaders become the plain ones: the scenarios that need a real
 *   library context (OSSL_LIB_CTX) are skipped by name (scenarios.c); the
 *   others pass NULL, or a property query 1.1.1 has no notion of.
 * - Reading helpers (error queue, peer certificate, every certificate of a
 *   store) use 1.1.1's getters.
 */
#ifndef PARITY_OSSL_COMPAT_H
#define PARITY_OSSL_COMPAT_H

#include <openssl/err.h>
#include <openssl/opensslv.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

/* 3.0 takes and returns X509_NAME pointers as const; 1.1.1 does not. */
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
#define PARITY_NAME_CONST const
#else
#define PARITY_NAME_CONST
#endif

#if OPENSSL_VERSION_NUMBER < 0x30000000L
#define PARITY_OSSL_111 1
typedef void OSSL_LIB_CTX; /* only ever NULL here */

static inline unsigned long ERR_get_error_all(const char **file, int *line, const char **func,
                                              const char **data, int *flags)
{
    (void)func;
    return ERR_get_error_line_data(file, line, data, flags);
}
#define ERR_raise(lib, reason) ERR_put_error((lib), 0, (reason), __FILE__, __LINE__)

/* The session keeps its reference, as 3.0's get0 does. */
static inline X509 *SSL_get0_peer_certificate(const SSL *s)
{
    X509 *x = SSL_get_peer_certificate(s);

    X509_free(x);
    return x;
}

STACK_OF(X509) * X509_STORE_get1_all_certs(X509_STORE *st); /* observe.c */

static inline int SSL_CTX_load_verify_file(SSL_CTX *ctx, const char *file)
{
    return SSL_CTX_load_verify_locations(ctx, file, NULL);
}
static inline int SSL_CTX_load_verify_dir(SSL_CTX *ctx, const char *dir)
{
    return SSL_CTX_load_verify_locations(ctx, NULL, dir);
}
static inline int X509_STORE_load_file(X509_STORE *st, const char *file)
{
    return X509_STORE_load_locations(st, file, NULL);
}
static inline int X509_STORE_load_file_ex(X509_STORE *st, const char *file, OSSL_LIB_CTX *lc,
                                          const char *pq)
{
    (void)lc, (void)pq;
    return X509_STORE_load_locations(st, file, NULL);
}
static inline int X509_STORE_load_locations_ex(X509_STORE *st, const char *file, const char *dir,
                                               OSSL_LIB_CTX *lc, const char *pq)
{
    (void)lc, (void)pq;
    return X509_STORE_load_locations(st, file, dir);
}
static inline int X509_STORE_set_default_paths_ex(X509_STORE *st, OSSL_LIB_CTX *lc, const char *pq)
{
    (void)lc, (void)pq;
    return X509_STORE_set_default_paths(st);
}
static inline int X509_LOOKUP_ctrl_ex(X509_LOOKUP *lu, int cmd, const char *argc, long argl,
                                      char **ret, OSSL_LIB_CTX *lc, const char *pq)
{
    (void)lc, (void)pq;
    return X509_LOOKUP_ctrl(lu, cmd, argc, argl, ret);
}
#define X509_LOOKUP_load_file_ex(lu, file, type, lc, pq)                                           \
    X509_LOOKUP_ctrl_ex((lu), X509_L_FILE_LOAD, (file), (long)(type), NULL, (lc), (pq))
static inline int X509_load_cert_crl_file_ex(X509_LOOKUP *lu, const char *file, int type,
                                             OSSL_LIB_CTX *lc, const char *pq)
{
    (void)lc, (void)pq;
    return X509_load_cert_crl_file(lu, file, type);
}
static inline int X509_load_cert_file_ex(X509_LOOKUP *lu, const char *file, int type,
                                         OSSL_LIB_CTX *lc, const char *pq)
{
    (void)lc, (void)pq;
    return X509_load_cert_file(lu, file, type);
}
#endif

#endif
