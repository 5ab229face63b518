/* The counters and the names their reasons are reported under. */
#include "base/stats.h"

#include <string.h>

struct tc_counters tc_counters;

static const char *const g_reason_names[TC_PT_COUNT] = {
    [TC_PT_NONE] = "none",
    [TC_PT_LOAD_FAILED] = "load_failed",
    [TC_PT_UNAVAILABLE] = "file_unavailable",
    [TC_PT_NOT_REGULAR] = "not_a_regular_file",
    [TC_PT_CHANGED] = "file_changed_during_load",
    [TC_PT_MAJOR_UNKNOWN] = "openssl_major_unknown",
    [TC_PT_SYMBOL_MISSING] = "symbol_missing",
    [TC_PT_UNTRACKED_CTX] = "context_untracked",
    [TC_PT_LOOKUP_UNKNOWN] = "lookup_layout_unknown",
    [TC_PT_PATH_TABLE_FULL] = "path_table_full",
    [TC_PT_ORDER_UNKNOWN] = "load_order_unknown",
    [TC_PT_LIBCTX] = "library_context",
    [TC_PT_INTERNAL] = "internal_error",
};

const char *tc_passthrough_name(enum tc_passthrough r)
{
    return (r >= 0 && r < TC_PT_COUNT) ? g_reason_names[r] : "unknown";
}

void tc_count_passthrough(enum tc_passthrough why)
{
    TC_COUNT(ca_loads_passthrough, 1);
    TC_COUNT(passthrough[why], 1);
}

void tc_counters_snapshot(struct tc_counters *out)
{
    uint64_t *dst = (uint64_t *)out;
    uint64_t *src = (uint64_t *)&tc_counters;
    size_t i;

    for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
        dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

void tc_counters_reset(void) { memset(&tc_counters, 0, sizeof(tc_counters)); }
