/*
 * Parsing a bundle with the readers OpenSSL's own loaders use, into a
 * scratch store, so the cache holds exactly what a real load would add.
 */
#ifndef TC_BUNDLE_FILL_H
#define TC_BUNDLE_FILL_H

#include "base/passthrough.h"
#include "cache/bundle_cache.h"
#include "ossl/ossl.h"

/* Which real loader a trust source goes through; they parse differently. */
enum tc_kind {
    TC_KIND_CERT_CRL, /* X509_load_cert_crl_file_ex: certificates and CRLs */
    TC_KIND_CERT,     /* X509_load_cert_file_ex: certificates only */
};

struct tc_source {
    const char *path;
    enum tc_kind kind;
    int type; /* X509_FILETYPE_PEM or X509_FILETYPE_ASN1 */
    OSSL_LIB_CTX *libctx;
    const char *propq;
};

struct tc_bundle *tc_bundle_parse(struct tc_ossl *o, const char *content_key,
                                  const unsigned char *sha, const struct tc_source *src,
                                  enum tc_passthrough *why);
void tc_bundle_release_objects(struct tc_bundle *b, void *arg);

#endif
