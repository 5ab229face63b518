/*
 * Adding a cached bundle to a caller's store, reading a store's objects, and
 * the per-store record (what was replayed into it, or which template it is).
 */
#ifndef TC_BUNDLE_REPLAY_H
#define TC_BUNDLE_REPLAY_H

#include "cache/bundle_cache.h"
#include "ossl/ossl.h"

int tc_bundle_replay(struct tc_ossl *o, X509_STORE *store, struct tc_bundle *b);
/*
 * The objects `store` holds (X509 or X509_CRL pointers), in its stack order,
 * read under its lock; their kinds in *is_crl when asked, a reference each
 * when `hold`.  NULL if it holds none (*n is 0) or on failure (*n is the
 * count, or 1 when even that could not be read).  It never changes how the
 * store keeps its objects (ossl/compat.h, tc_compat_store_read_by_copy).
 */
void **tc_store_objects(struct tc_ossl *o, X509_STORE *store, int *n, unsigned char **is_crl,
                        int hold);
/* Drops one reference to a certificate (is_crl 0) or CRL (is_crl 1). */
void tc_obj_release(struct tc_ossl *o, void *obj, int is_crl);
/* How many objects `store` holds; -1 if that could not be read. */
int tc_store_count(struct tc_ossl *o, X509_STORE *store);
/* The same without references, sorted by address, for bsearch with tc_ptr_cmp. */
void **tc_store_members(struct tc_ossl *o, X509_STORE *store, int *n);
int tc_ptr_cmp(const void *a, const void *b);

/* The template a store is, if any (a marker in the store's ex_data). */
struct tc_template;
struct tc_template *tc_store_template(struct tc_ossl *o, X509_STORE *store);
int tc_store_mark_template(struct tc_ossl *o, X509_STORE *store, struct tc_template *t);
void tc_store_record_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                             void *argp);

#endif
