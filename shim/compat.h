/*
 * Everything that differs between OpenSSL 3.x releases lives behind this
 * header.  Decisions are made at run time from the copy's own version, so a
 * shim built on 3.0 headers works unchanged on a newer 3.x.
 */
#ifndef TC_COMPAT_H
#define TC_COMPAT_H

#include "ossl.h"

/*
 * Is `lu` a file lookup (X509_LOOKUP_file()) of this copy?  OpenSSL has no
 * getter for a lookup's method.  The field's offset is found once per copy by
 * probing a lookup the shim created itself; returns -1 when the probe failed
 * (the route then passes through), 0 for no, 1 for yes.
 */
int tc_compat_is_file_lookup(struct tc_ossl *o, X509_LOOKUP *lu);

/*
 * The URI X509_STORE_set_default_paths gives its store lookup, resolved now.
 * Before 3.4 a NULL URI meant the default certificate directory (read from
 * SSL_CERT_DIR at call time); from 3.4 on it adds nothing.
 */
const char *tc_compat_default_store_uri(const struct tc_ossl *o, const char *default_dir);

/*
 * Points a verification in progress at `to` instead of `from`, so the rest of
 * it looks up issuers and CRLs in `to`, as it would have in a store the
 * callback changed.  OpenSSL has no setter: x509_store_ctx_st has begun with
 * the store pointer from 1.1.0 on, and the field is written only if it holds
 * exactly what X509_STORE_CTX_get0_store returned.  Returns 1 if done.
 */
int tc_compat_repoint_verification(X509_STORE_CTX *sctx, X509_STORE *from, X509_STORE *to);

#endif
