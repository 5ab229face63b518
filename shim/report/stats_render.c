/*
 * Text, JSON and Prometheus renderings of a stats snapshot, and the two
 * judgements they report: pool churn per host, and a likely context leak.
 */
#include "report/stats_render.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/tc_hash.h"

void tc_buf_printf(struct tc_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->failed)
        return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
        /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start just set it */
        n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < room) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) {
            b->failed = 1;
            return;
        }
        b->data = d;
        b->cap = cap;
    }
}

/* Length of the valid UTF-8 sequence at `s`, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
    int n, i;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/*
 * A JSON string.  Paths are bytes, not text: a byte that is not part of valid
 * UTF-8 is written as the code point of the same value (Latin-1), so the
 * document stays valid JSON whatever the file system holds.
 */
void tc_buf_json_string(struct tc_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int n;

    tc_buf_printf(b, "\"");
    while (p && *p) {
        n = utf8_len(p);
        if (*p == '"' || *p == '\\')
            tc_buf_printf(b, "\\%c", *p);
        else if (*p < 0x20 || n == 0)
            tc_buf_printf(b, "\\u%04x", *p);
        else
            tc_buf_printf(b, "%.*s", n, (const char *)p);
        p += n ? n : 1;
    }
    tc_buf_printf(b, "\"");
}

void tc_buf_free(struct tc_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

uint64_t tc_stats_contexts_live(const struct tc_counters *c)
{
    return c->contexts_created > c->contexts_freed ? c->contexts_created - c->contexts_freed : 0;
}

uint64_t tc_stats_contexts_live_peak(const struct tc_counters *c)
{
    uint64_t live = tc_stats_contexts_live(c);

    return c->contexts_live_peak > live ? c->contexts_live_peak : live;
}

int tc_stats_host_churn(const struct tc_stats_host *h)
{
    return h->connections >= TC_CHURN_MIN_CONNECTIONS && h->contexts >= h->connections;
}

int tc_stats_leak_suspected(const struct tc_counters *c)
{
    uint64_t live = tc_stats_contexts_live(c);

    return live > TC_LEAK_MIN_LIVE && tc_stats_contexts_live_peak(c) == live &&
           live > c->contexts_created / 2;
}

/* ---- JSON ------------------------------------------------------------- */

static void json_counter(struct tc_buf *b, const char *name, uint64_t v)
{
    tc_buf_printf(b, "  \"%s\": %" PRIu64 ",\n", name, v);
}

static void json_reasons(struct tc_buf *b, const struct tc_counters *c)
{
    int r, first = 1;

    tc_buf_printf(b, "  \"passthrough_reasons\": {");
    for (r = 1; r < TC_PT_COUNT; r++) {
        if (!c->passthrough[r])
            continue;
        tc_buf_printf(b, "%s\"%s\": %" PRIu64, first ? "" : ", ",
                      tc_passthrough_name((enum tc_passthrough)r), c->passthrough[r]);
        first = 0;
    }
    tc_buf_printf(b, "},\n");
}

static void json_bundles(struct tc_buf *b, const struct tc_stats_view *v)
{
    size_t i;

    tc_buf_printf(b, "  \"bundles\": [");
    for (i = 0; i < v->nbundles; i++) {
        const struct tc_stats_bundle *s = &v->bundles[i];
        tc_buf_printf(b, "%s\n    {\"path\": ", i ? "," : "");
        tc_buf_json_string(b, s->path);
        tc_buf_printf(
            b,
            ", \"sha256\": \"%s\", \"certs\": %d, \"crls\": %d, \"loads_performed\": %" PRIu64
            ", \"loads_avoided\": %" PRIu64 ", \"invalidations\": %" PRIu64
            ", \"contexts_live\": %" PRIu64 "}",
            s->sha256, s->certs, s->crls, s->loads_performed, s->loads_avoided, s->invalidations,
            s->contexts_live);
    }
    tc_buf_printf(b, "%s],\n", v->nbundles ? "\n  " : "");
}

static void json_hosts(struct tc_buf *b, const struct tc_stats_view *v)
{
    size_t i;

    tc_buf_printf(b, "  \"hosts\": [");
    for (i = 0; i < v->nhosts; i++) {
        const struct tc_stats_host *h = &v->hosts[i];
        tc_buf_printf(b, "%s\n    {\"host\": ", i ? "," : "");
        tc_buf_json_string(b, h->host);
        tc_buf_printf(b,
                      ", \"connections\": %" PRIu64 ", \"contexts\": %" PRIu64
                      ", \"contexts_with_ca_load\": %" PRIu64 ", \"ca_loads_avoided\": %" PRIu64
                      ", \"churn\": %s}",
                      h->connections, h->contexts, h->contexts_with_ca_load, h->ca_loads_avoided,
                      tc_stats_host_churn(h) ? "true" : "false");
    }
    tc_buf_printf(b, "%s],\n", v->nhosts ? "\n  " : "");
}

static void json_shim(struct tc_buf *b, const struct tc_stats_view *v)
{
    tc_buf_printf(b, "  \"shim\": {\"version\": ");
    tc_buf_json_string(b, v->version);
    tc_buf_printf(b, ", \"openssl_version\": ");
    tc_buf_json_string(b, v->openssl_version);
    tc_buf_printf(b, ", \"mode\": ");
    tc_buf_json_string(b, v->mode);
    tc_buf_printf(b, ", \"resolution\": ");
    tc_buf_json_string(b, v->resolution);
    tc_buf_printf(b, "}\n");
}

void tc_render_json(const struct tc_stats_view *v, struct tc_buf *b)
{
    const struct tc_counters *c = &v->counters;

    tc_buf_printf(b, "{\n");
    json_counter(b, "ca_loads_requested", c->ca_loads_requested);
    json_counter(b, "ca_loads_performed", c->ca_loads_performed);
    json_counter(b, "ca_loads_avoided", c->ca_loads_avoided);
    json_counter(b, "ca_loads_passthrough", c->ca_loads_passthrough);
    json_reasons(b, c);
    json_counter(b, "contexts_created", c->contexts_created);
    json_counter(b, "contexts_freed", c->contexts_freed);
    json_counter(b, "contexts_live", tc_stats_contexts_live(c));
    json_counter(b, "contexts_live_peak", tc_stats_contexts_live_peak(c));
    tc_buf_printf(b, "  \"contexts_leak_suspected\": %s,\n",
                  tc_stats_leak_suspected(c) ? "true" : "false");
    json_counter(b, "bytes_avoided_estimate", c->bytes_avoided_estimate);
    json_counter(b, "parse_ns_avoided_estimate", c->parse_ns_avoided_estimate);
    json_counter(b, "cache_invalidations", c->cache_invalidations);
    json_counter(b, "templates_built", c->templates_built);
    json_counter(b, "contexts_shared", c->contexts_shared);
    json_counter(b, "stores_privatized", c->stores_privatized);
    json_counter(b, "template_mutations", c->template_mutations);
    json_bundles(b, v);
    json_hosts(b, v);
    json_shim(b, v);
    tc_buf_printf(b, "}\n");
}

/* ---- text --------------------------------------------------------------- */

static void text_row(struct tc_buf *b, const char *label, uint64_t v)
{
    tc_buf_printf(b, "  %-28s %12" PRIu64 "\n", label, v);
}

static void text_counters(struct tc_buf *b, const struct tc_counters *c)
{
    int r;

    text_row(b, "CA loads requested", c->ca_loads_requested);
    text_row(b, "  parsed (cache filled)", c->ca_loads_performed);
    text_row(b, "  served from cache", c->ca_loads_avoided);
    text_row(b, "  passed through", c->ca_loads_passthrough);
    for (r = 1; r < TC_PT_COUNT; r++)
        if (c->passthrough[r])
            tc_buf_printf(b, "    %-26s %12" PRIu64 "\n",
                          tc_passthrough_name((enum tc_passthrough)r), c->passthrough[r]);
    text_row(b, "contexts created", c->contexts_created);
    text_row(b, "contexts freed", c->contexts_freed);
    text_row(b, "contexts live", tc_stats_contexts_live(c));
    text_row(b, "  most live at once", tc_stats_contexts_live_peak(c));
    text_row(b, "cache invalidations", c->cache_invalidations);
    text_row(b, "shared stores built", c->templates_built);
    text_row(b, "contexts on a shared store", c->contexts_shared);
    text_row(b, "private copies made", c->stores_privatized);
    text_row(b, "shared-store mutations", c->template_mutations);
    tc_buf_printf(b, "  %-28s %9.1f KiB\n", "heap avoided (estimate)",
                  (double)c->bytes_avoided_estimate / 1024.0);
    tc_buf_printf(b, "  %-28s %9.1f ms\n", "parse time avoided (est.)",
                  (double)c->parse_ns_avoided_estimate / 1e6);
}

static void text_bundles(struct tc_buf *b, const struct tc_stats_view *v)
{
    size_t i;

    if (v->nbundles)
        tc_buf_printf(b, "  %-8s %-8s %-6s %-5s %-6s %-5s %-5s  %s\n", "sha256", "parsed", "served",
                      "certs", "crls", "inval", "live", "path");
    for (i = 0; i < v->nbundles; i++) {
        const struct tc_stats_bundle *s = &v->bundles[i];
        tc_buf_printf(
            b, "  %.8s %-8" PRIu64 " %-6" PRIu64 " %-5d %-6d %-5" PRIu64 " %-5" PRIu64 "  %s\n",
            s->sha256[0] ? s->sha256 : "-", s->loads_performed, s->loads_avoided, s->certs, s->crls,
            s->invalidations, s->contexts_live, s->path);
    }
}

static void text_hosts(struct tc_buf *b, const struct tc_stats_view *v)
{
    size_t i;

    if (v->nhosts)
        tc_buf_printf(b, "  %-32s %11s %8s %9s %8s\n", "host", "connections", "contexts",
                      "CA loaded", "avoided");
    for (i = 0; i < v->nhosts; i++) {
        const struct tc_stats_host *h = &v->hosts[i];
        tc_buf_printf(b, "  %-32s %11" PRIu64 " %8" PRIu64 " %9" PRIu64 " %8" PRIu64 "\n", h->host,
                      h->connections, h->contexts, h->contexts_with_ca_load, h->ca_loads_avoided);
    }
}

/* Plain sentences for what an operator should act on. */
static void text_warnings(struct tc_buf *b, const struct tc_stats_view *v)
{
    const struct tc_counters *c = &v->counters;
    size_t i;

    for (i = 0; i < v->nhosts; i++)
        if (tc_stats_host_churn(&v->hosts[i]))
            tc_buf_printf(b,
                          "%s: %" PRIu64 " connections built %" PRIu64
                          " TLS contexts \xe2\x80\x94 each connection creates its own context;"
                          " reuse one per host\n",
                          v->hosts[i].host, v->hosts[i].connections, v->hosts[i].contexts);
    if (tc_stats_leak_suspected(c))
        tc_buf_printf(b,
                      "contexts: %" PRIu64 " TLS contexts live, the most so far, of %" PRIu64
                      " ever created \xe2\x80\x94 likely leaked; free contexts no longer in use\n",
                      tc_stats_contexts_live(c), c->contexts_created);
}

void tc_render_text(const struct tc_stats_view *v, struct tc_buf *b)
{
    tc_buf_printf(b, "trustcache %s (OpenSSL: %s, mode: %s, resolution: %s)\n", v->version,
                  v->openssl_version, v->mode, v->resolution);
    text_counters(b, &v->counters);
    text_bundles(b, v);
    text_hosts(b, v);
    text_warnings(b, v);
}

/* ---- Prometheus text exposition ----------------------------------------- */

/*
 * A label value: \, " and newline escaped as the format requires.  Bytes that
 * are not valid UTF-8, and other control characters, are written as the four
 * characters \xNN (an escaped backslash, then xNN): the format has no escape
 * for them, and readers reject values that are not UTF-8.
 */
static void prom_label_value(struct tc_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    int n;

    while (p && *p) {
        n = utf8_len(p);
        if (*p == '\\' || *p == '"')
            tc_buf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            tc_buf_printf(b, "\\n");
        else if (n == 0 || *p < 0x20 || *p == 0x7f)
            tc_buf_printf(b, "\\\\x%02x", *p);
        else
            tc_buf_printf(b, "%.*s", n, (const char *)p);
        p += n ? n : 1;
    }
}

static void prom_family(struct tc_buf *b, const char *name, const char *type, const char *help)
{
    tc_buf_printf(b, "# HELP trustcache_%s %s\n# TYPE trustcache_%s %s\n", name, help, name, type);
}

/*
 * The pid of the writing process, a label on every sample: node_exporter's
 * textfile collector rejects a scrape in which two files (two processes'
 * dumps) hold the same series.
 */
static __thread long g_prom_pid
    __attribute__((tls_model("initial-exec"))); /* set by tc_render_prom */

static void prom_value(struct tc_buf *b, const char *name, uint64_t v)
{
    tc_buf_printf(b, "trustcache_%s{pid=\"%ld\"} %" PRIu64 "\n", name, g_prom_pid, v);
}

static void prom_labeled(struct tc_buf *b, const char *name, const char *label, const char *value,
                         uint64_t v)
{
    tc_buf_printf(b, "trustcache_%s{pid=\"%ld\",%s=\"", name, g_prom_pid, label);
    prom_label_value(b, value);
    tc_buf_printf(b, "\"} %" PRIu64 "\n", v);
}

static void prom_scalar(struct tc_buf *b, const char *name, const char *type, const char *help,
                        uint64_t v)
{
    prom_family(b, name, type, help);
    prom_value(b, name, v);
}

static void prom_info(struct tc_buf *b, const struct tc_stats_view *v)
{
    prom_family(b, "info", "gauge", "The shim and the OpenSSL it serves (always 1).");
    tc_buf_printf(b, "trustcache_info{pid=\"%ld\",version=\"", g_prom_pid);
    prom_label_value(b, v->version);
    tc_buf_printf(b, "\",openssl_version=\"");
    prom_label_value(b, v->openssl_version);
    tc_buf_printf(b, "\",mode=\"");
    prom_label_value(b, v->mode);
    tc_buf_printf(b, "\",resolution=\"");
    prom_label_value(b, v->resolution);
    tc_buf_printf(b, "\"} 1\n");
}

static void prom_loads(struct tc_buf *b, const struct tc_counters *c)
{
    int r;

    prom_scalar(b, "ca_loads_requested_total", "counter",
                "CA file loads that reached the shim: performed + avoided + passed through.",
                c->ca_loads_requested);
    prom_scalar(b, "ca_loads_performed_total", "counter",
                "CA file loads parsed by OpenSSL to fill the cache.", c->ca_loads_performed);
    prom_scalar(b, "ca_loads_avoided_total", "counter",
                "CA file loads served from the cache without parsing.", c->ca_loads_avoided);
    prom_family(b, "ca_loads_passthrough_total", "counter",
                "CA file loads left to OpenSSL, by reason.");
    for (r = 1; r < TC_PT_COUNT; r++)
        prom_labeled(b, "ca_loads_passthrough_total", "reason",
                     tc_passthrough_name((enum tc_passthrough)r), c->passthrough[r]);
}

static void prom_contexts(struct tc_buf *b, const struct tc_counters *c)
{
    prom_scalar(b, "contexts_created_total", "counter", "TLS contexts created.",
                c->contexts_created);
    prom_scalar(b, "contexts_freed_total", "counter", "TLS contexts destroyed.", c->contexts_freed);
    prom_scalar(b, "contexts_live", "gauge", "TLS contexts alive now.", tc_stats_contexts_live(c));
    prom_scalar(b, "contexts_live_peak", "gauge", "Most TLS contexts alive at once.",
                tc_stats_contexts_live_peak(c));
    prom_scalar(b, "contexts_leak_suspected", "gauge",
                "1 when more than 100 contexts are alive, at their peak, and more than half of"
                " all created: likely leaked.",
                (uint64_t)tc_stats_leak_suspected(c));
}

static void prom_savings(struct tc_buf *b, const struct tc_counters *c)
{
    prom_scalar(b, "heap_avoided_estimate_bytes_total", "counter",
                "Heap the avoided parses would have kept (estimate).", c->bytes_avoided_estimate);
    prom_family(b, "parse_time_avoided_estimate_seconds_total", "counter",
                "Time the avoided parses would have taken (estimate).");
    tc_buf_printf(b,
                  "trustcache_parse_time_avoided_estimate_seconds_total{pid=\"%ld\"} %" PRIu64
                  ".%09" PRIu64 "\n",
                  g_prom_pid, c->parse_ns_avoided_estimate / 1000000000u,
                  c->parse_ns_avoided_estimate % 1000000000u);
    prom_scalar(b, "cache_invalidations_total", "counter",
                "Cached bundles dropped because the file changed on disk.", c->cache_invalidations);
    prom_scalar(b, "shared_stores_built_total", "counter", "Shared certificate stores built.",
                c->templates_built);
    prom_scalar(b, "contexts_shared_total", "counter",
                "Contexts put on a shared certificate store.", c->contexts_shared);
    prom_scalar(b, "stores_privatized_total", "counter",
                "Private store copies made for contexts that left sharing.", c->stores_privatized);
    prom_scalar(b, "shared_store_mutations_total", "counter",
                "Changes made to a shared store from outside OpenSSL.", c->template_mutations);
}

/* Bundle rows summed per path: one path may be cached under several loaders or
 * OpenSSL copies, and a metric may not repeat a label set. */
struct prom_bundle {
    const char *path;
    uint64_t certs, crls, performed, avoided, invalidations, live;
    UT_hash_handle hh;
};

static struct prom_bundle *prom_bundles_sum(const struct tc_stats_view *v, size_t *n)
{
    struct prom_bundle *rows = calloc(v->nbundles ? v->nbundles : 1, sizeof(*rows)), *index = NULL;
    struct prom_bundle *r;
    size_t i;

    *n = 0;
    for (i = 0; rows && i < v->nbundles; i++) {
        const struct tc_stats_bundle *s = &v->bundles[i];
        HASH_FIND_STR(index, s->path, r);
        if (!r) {
            r = &rows[(*n)++];
            r->path = s->path;
            HASH_ADD_KEYPTR(hh, index, r->path, strlen(r->path), r);
            if (!TC_HASH_ADDED()) {
                /* No index, no document: the dump reports the failure.  The
                 * index lives in `rows`, so it goes first. */
                HASH_CLEAR(hh, index);
                free(rows);
                return NULL;
            }
        }
        r->certs = (uint64_t)s->certs > r->certs ? (uint64_t)s->certs : r->certs;
        r->crls = (uint64_t)s->crls > r->crls ? (uint64_t)s->crls : r->crls;
        r->performed += s->loads_performed;
        r->avoided += s->loads_avoided;
        r->invalidations += s->invalidations;
        r->live += s->contexts_live;
    }
    HASH_CLEAR(hh, index);
    return rows;
}

/* One family with a sample per row; `field` is the offset of a uint64_t in a row. */
static void prom_rows(struct tc_buf *b, const char *name, const char *type, const char *help,
                      const char *label, const void *rows, size_t n, size_t size, size_t name_at,
                      size_t field)
{
    size_t i;

    prom_family(b, name, type, help);
    for (i = 0; i < n; i++) {
        const char *row = (const char *)rows + i * size;
        prom_labeled(b, name, label, *(const char *const *)(row + name_at),
                     *(const uint64_t *)(row + field));
    }
}

static void prom_bundle_family(struct tc_buf *b, const struct prom_bundle *rows, size_t n,
                               const char *name, const char *type, const char *help, size_t field)
{
    prom_rows(b, name, type, help, "bundle", rows, n, sizeof(*rows),
              offsetof(struct prom_bundle, path), field);
}

static void prom_bundles(struct tc_buf *b, const struct tc_stats_view *v)
{
    size_t n;
    struct prom_bundle *rows = prom_bundles_sum(v, &n);

    if (!rows) {
        b->failed = 1;
        return;
    }
    if (n) {
        prom_bundle_family(b, rows, n, "bundle_certs", "gauge",
                           "Certificates in the bundle's current content.",
                           offsetof(struct prom_bundle, certs));
        prom_bundle_family(b, rows, n, "bundle_crls", "gauge",
                           "CRLs in the bundle's current content.",
                           offsetof(struct prom_bundle, crls));
        prom_bundle_family(b, rows, n, "bundle_loads_performed_total", "counter",
                           "Loads of this bundle parsed by OpenSSL.",
                           offsetof(struct prom_bundle, performed));
        prom_bundle_family(b, rows, n, "bundle_loads_avoided_total", "counter",
                           "Loads of this bundle served from the cache.",
                           offsetof(struct prom_bundle, avoided));
        prom_bundle_family(b, rows, n, "bundle_invalidations_total", "counter",
                           "Times this bundle changed on disk.",
                           offsetof(struct prom_bundle, invalidations));
        prom_bundle_family(b, rows, n, "bundle_contexts_live", "gauge",
                           "Live contexts this bundle was loaded into.",
                           offsetof(struct prom_bundle, live));
    }
    free(rows);
}

static void prom_host_family(struct tc_buf *b, const struct tc_stats_view *v, const char *name,
                             const char *help, size_t field)
{
    prom_rows(b, name, "counter", help, "host", v->hosts, v->nhosts, sizeof(*v->hosts),
              offsetof(struct tc_stats_host, host), field);
}

static void prom_hosts(struct tc_buf *b, const struct tc_stats_view *v)
{
    size_t i;

    if (!v->nhosts)
        return;
    prom_host_family(b, v, "host_connections_total",
                     "Client connections, by SNI or verified host name.",
                     offsetof(struct tc_stats_host, connections));
    prom_host_family(b, v, "host_contexts_total",
                     "Distinct TLS contexts the host's connections were made from.",
                     offsetof(struct tc_stats_host, contexts));
    prom_host_family(b, v, "host_contexts_with_ca_load_total",
                     "Of those contexts, the ones a CA bundle was loaded into.",
                     offsetof(struct tc_stats_host, contexts_with_ca_load));
    prom_host_family(b, v, "host_ca_loads_avoided_total",
                     "CA loads served from the cache into the host's contexts.",
                     offsetof(struct tc_stats_host, ca_loads_avoided));
    prom_family(b, "host_churn", "gauge",
                "1 when 20 or more connections each built their own context.");
    for (i = 0; i < v->nhosts; i++)
        prom_labeled(b, "host_churn", "host", v->hosts[i].host,
                     (uint64_t)tc_stats_host_churn(&v->hosts[i]));
}

void tc_render_prom(const struct tc_stats_view *v, struct tc_buf *b)
{
    g_prom_pid = v->pid;
    prom_info(b, v);
    prom_loads(b, &v->counters);
    prom_contexts(b, &v->counters);
    prom_savings(b, &v->counters);
    prom_bundles(b, v);
    prom_hosts(b, v);
}
