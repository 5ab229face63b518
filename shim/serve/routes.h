/*
 * Each hooked entry point's behaviour, served from the cache.  A handler
 * returns the real function's result, or TC_REAL when it did not serve the
 * call and the hook must run the real function.
 */
#ifndef TC_ROUTES_H
#define TC_ROUTES_H

#include <limits.h>

#include "ossl/ossl.h"

/* Returned by a route handler that did not serve the call: run the real one. */
#define TC_REAL INT_MIN

int tc_h_load_cert_crl_file(struct tc_ossl *o, X509_LOOKUP *lu, const char *file, int type,
                            OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_load_cert_file(struct tc_ossl *o, X509_LOOKUP *lu, const char *file, int type,
                        OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_lookup_ctrl(struct tc_ossl *o, X509_LOOKUP *lu, int cmd, const char *argc, long argl,
                     OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_store_load_file(struct tc_ossl *o, X509_STORE *store, const char *file,
                         OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_store_load_locations(struct tc_ossl *o, X509_STORE *store, const char *file,
                              const char *dir, OSSL_LIB_CTX *libctx, const char *propq);
int tc_h_store_default_paths(struct tc_ossl *o, X509_STORE *store, OSSL_LIB_CTX *libctx,
                             const char *propq);
int tc_h_ctx_default_paths(struct tc_ossl *o, SSL_CTX *ctx);
int tc_h_ctx_load_verify_locations(struct tc_ossl *o, SSL_CTX *ctx, const char *file,
                                   const char *dir);
int tc_h_ctx_load_verify_file(struct tc_ossl *o, SSL_CTX *ctx, const char *file);
int tc_h_ctx_default_verify_file(struct tc_ossl *o, SSL_CTX *ctx);
int tc_h_ctx_load_verify_dir(struct tc_ossl *o, SSL_CTX *ctx, const char *dir);
int tc_h_ctx_unserved(struct tc_ossl *o, SSL_CTX *ctx);
void tc_h_ctx_handout(struct tc_ossl *o, SSL_CTX *ctx);
void tc_h_ctx_replaced(struct tc_ossl *o, SSL_CTX *ctx);

#endif
