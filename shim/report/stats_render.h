/*
 * Rendering the stats as text, JSON and Prometheus text exposition.  Pure
 * functions of a snapshot: nothing here touches OpenSSL, which may already be
 * torn down when the exit dump runs.
 */
#ifndef TC_STATS_RENDER_H
#define TC_STATS_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "base/stats.h"

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
    uint64_t contexts_live; /* live contexts this source was loaded into */
};

struct tc_stats_host {
    char *host;
    uint64_t connections, contexts, contexts_with_ca_load, ca_loads_avoided;
};

struct tc_stats_view {
    struct tc_counters counters;
    const char *version;
    const char *openssl_version;
    const char *mode;
    const char *resolution;
    struct tc_stats_bundle *bundles;
    size_t nbundles;
    struct tc_stats_host *hosts;
    size_t nhosts;
    long pid; /* Prometheus: every sample carries it, so per-process files never collide */
};

void tc_render_json(const struct tc_stats_view *v, struct tc_buf *out);
void tc_render_text(const struct tc_stats_view *v, struct tc_buf *out);
void tc_render_prom(const struct tc_stats_view *v, struct tc_buf *out);

/* Contexts alive now, and the most ever alive at once (never below now). */
uint64_t tc_stats_contexts_live(const struct tc_counters *c);
uint64_t tc_stats_contexts_live_peak(const struct tc_counters *c);

/*
 * Pool churn: at least TC_CHURN_MIN_CONNECTIONS connections to the host, and
 * as many distinct contexts as connections, i.e. every connection built its
 * own context (and, with a CA file, parsed or at least loaded it again).
 */
#define TC_CHURN_MIN_CONNECTIONS 20
int tc_stats_host_churn(const struct tc_stats_host *h);

/*
 * Likely context leak, judged from one dump: more than TC_LEAK_MIN_LIVE
 * contexts alive, the number alive is at its peak (it has never gone down
 * from the highest point), and more than half of all contexts ever created
 * are still alive.  A busy pool that creates and frees contexts keeps well
 * under half; a program that drops them without freeing them climbs.
 */
#define TC_LEAK_MIN_LIVE 100
int tc_stats_leak_suspected(const struct tc_counters *c);

#endif
