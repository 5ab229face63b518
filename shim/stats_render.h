/*
 * Rendering the stats as text, JSON (and later Prometheus).  Pure functions of
 * a snapshot: nothing here touches OpenSSL, which may already be torn down
 * when the exit dump runs.
 */
#ifndef TC_STATS_RENDER_H
#define TC_STATS_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"

struct tc_buf {
    char *data;
    size_t len, cap;
    int failed;
};

void tc_buf_printf(struct tc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tc_buf_json_string(struct tc_buf *b, const char *s);
void tc_buf_free(struct tc_buf *b);

struct tc_stats_bundle {
    char *path;
    char sha256[65];
    int certs, crls;
    uint64_t loads_performed, loads_avoided, invalidations;
};

struct tc_stats_view {
    struct tc_counters counters;
    const char *version;
    const char *openssl_version;
    const char *mode;
    const char *resolution;
    struct tc_stats_bundle *bundles;
    size_t nbundles;
};

void tc_render_json(const struct tc_stats_view *v, struct tc_buf *out);
void tc_render_text(const struct tc_stats_view *v, struct tc_buf *out);

#endif
