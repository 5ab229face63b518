/* The cached file step: fingerprint, validate, fill, and its accounting. */
#ifndef TC_SERVE_H
#define TC_SERVE_H

#include "base/passthrough.h"
#include "cache/bundle_cache.h"
#include "cache/bundle_fill.h"
#include "ossl/ossl.h"

struct tc_acq {
    struct tc_bundle *bundle; /* non-NULL: serve from this (holds a reference) */
    struct tc_entry *entry;
    int hit;                 /* served without parsing */
    enum tc_passthrough why; /* when bundle is NULL and the load is counted as passthrough */
};
/* Counts the request; fills `a`.  a->bundle NULL means: run the real function. */
void tc_acquire(struct tc_ossl *o, const struct tc_source *src, struct tc_acq *a);
/* Counts the outcome (served, or passthrough) and drops the reference. */
void tc_acq_finish(struct tc_acq *a, int served);
const char *tc_default_cert_file(struct tc_ossl *o);

#endif
