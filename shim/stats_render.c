/* Text and JSON renderings of a stats snapshot. */
#include "stats_render.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tc_buf_printf(struct tc_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (b->failed)
        return;
    for (;;) {
        size_t room = b->cap - b->len;
        va_start(ap, fmt);
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

static uint64_t contexts_live(const struct tc_counters *c)
{
    return c->contexts_created > c->contexts_freed ? c->contexts_created - c->contexts_freed : 0;
}

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
        tc_buf_printf(b,
                      ", \"sha256\": \"%s\", \"certs\": %d, \"crls\": %d, \"loads_performed\": %" PRIu64
                      ", \"loads_avoided\": %" PRIu64 ", \"invalidations\": %" PRIu64 "}",
                      s->sha256, s->certs, s->crls, s->loads_performed, s->loads_avoided,
                      s->invalidations);
    }
    tc_buf_printf(b, "%s],\n", v->nbundles ? "\n  " : "");
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
    json_counter(b, "contexts_live", contexts_live(c));
    json_counter(b, "bytes_avoided_estimate", c->bytes_avoided_estimate);
    json_counter(b, "parse_ns_avoided_estimate", c->parse_ns_avoided_estimate);
    json_counter(b, "cache_invalidations", c->cache_invalidations);
    json_counter(b, "templates_built", c->templates_built);
    json_counter(b, "contexts_shared", c->contexts_shared);
    json_counter(b, "stores_privatized", c->stores_privatized);
    json_counter(b, "template_mutations", c->template_mutations);
    json_bundles(b, v);
    json_shim(b, v);
    tc_buf_printf(b, "}\n");
}

static void text_row(struct tc_buf *b, const char *label, uint64_t v)
{
    tc_buf_printf(b, "  %-28s %12" PRIu64 "\n", label, v);
}

void tc_render_text(const struct tc_stats_view *v, struct tc_buf *b)
{
    const struct tc_counters *c = &v->counters;
    size_t i;
    int r;

    tc_buf_printf(b, "trustcache %s (OpenSSL: %s, mode: %s, resolution: %s)\n", v->version,
                  v->openssl_version, v->mode, v->resolution);
    text_row(b, "CA loads requested", c->ca_loads_requested);
    text_row(b, "  parsed (cache filled)", c->ca_loads_performed);
    text_row(b, "  served from cache", c->ca_loads_avoided);
    text_row(b, "  passed through", c->ca_loads_passthrough);
    for (r = 1; r < TC_PT_COUNT; r++)
        if (c->passthrough[r])
            tc_buf_printf(b, "    %-26s %12" PRIu64 "\n", tc_passthrough_name((enum tc_passthrough)r),
                          c->passthrough[r]);
    text_row(b, "contexts created", c->contexts_created);
    text_row(b, "contexts freed", c->contexts_freed);
    text_row(b, "contexts live", contexts_live(c));
    text_row(b, "cache invalidations", c->cache_invalidations);
    text_row(b, "shared stores built", c->templates_built);
    text_row(b, "contexts on a shared store", c->contexts_shared);
    text_row(b, "private copies made", c->stores_privatized);
    text_row(b, "shared-store mutations", c->template_mutations);
    tc_buf_printf(b, "  %-28s %9.1f KiB\n", "heap avoided (estimate)",
                  (double)c->bytes_avoided_estimate / 1024.0);
    tc_buf_printf(b, "  %-28s %9.1f ms\n", "parse time avoided (est.)",
                  (double)c->parse_ns_avoided_estimate / 1e6);
    if (v->nbundles)
        tc_buf_printf(b, "  %-8s %-8s %-6s %-5s %-6s %-5s  %s\n", "sha256", "parsed", "served",
                      "certs", "crls", "inval", "path");
    for (i = 0; i < v->nbundles; i++) {
        const struct tc_stats_bundle *s = &v->bundles[i];
        tc_buf_printf(b, "  %.8s %-8" PRIu64 " %-6" PRIu64 " %-5d %-6d %-5" PRIu64 "  %s\n",
                      s->sha256[0] ? s->sha256 : "-", s->loads_performed, s->loads_avoided,
                      s->certs, s->crls, s->invalidations, s->path);
    }
}
