/*
 * Process-wide counters.  Plain atomics: a hook only ever adds, and the dump
 * reads them without calling into OpenSSL.
 */
#ifndef TC_STATS_H
#define TC_STATS_H

#include <stdint.h>

#include "base/passthrough.h"

struct tc_counters {
    uint64_t ca_loads_requested;
    uint64_t ca_loads_performed;
    uint64_t ca_loads_avoided;
    uint64_t ca_loads_passthrough;
    uint64_t passthrough[TC_PT_COUNT];
    uint64_t contexts_created;
    uint64_t contexts_freed;
    uint64_t bytes_avoided_estimate;
    uint64_t parse_ns_avoided_estimate;
    uint64_t cache_invalidations;
    uint64_t templates_built;
    uint64_t contexts_shared;
    uint64_t stores_privatized;
    uint64_t template_mutations;
    uint64_t contexts_live_peak; /* most contexts alive at once (ctx_track.c) */
};

extern struct tc_counters tc_counters;

#define TC_COUNT(field, n) __atomic_add_fetch(&tc_counters.field, (n), __ATOMIC_RELAXED)
#define TC_READ(field)     __atomic_load_n(&tc_counters.field, __ATOMIC_RELAXED)

void tc_count_passthrough(enum tc_passthrough why);

/* A consistent-enough copy for rendering. */
void tc_counters_snapshot(struct tc_counters *out);

/* Forget everything (the child of a fork starts its own counts). */
void tc_counters_reset(void);

#endif
