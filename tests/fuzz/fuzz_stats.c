/*
 * libFuzzer target: the stats path expander and the JSON rendering
 * (shim/report/stats_dump.c, shim/report/stats_render.c, linked directly).
 *
 * Input: 2 bytes of buffer length, 8 bytes of pid, then the text (up to the
 * first NUL) used as the path template, as a bundle path and as the version
 * strings of a stats view.  Invariants:
 *   - tc_stats_expand_path equals a plain reference expansion (%p -> pid,
 *     %% -> %, anything else copied) when that fits the buffer, and returns 0
 *     otherwise; the output is always terminated inside the buffer, which is
 *     exactly `len` bytes so that ASan sees any write past it;
 *   - tc_buf_json_string writes one JSON string literal: valid UTF-8, every
 *     control character escaped, and decoding it gives back the input bytes
 *     (a valid UTF-8 sequence as its code point, any other byte as the code
 *     point of the same value);
 *   - the whole JSON document tc_render_json writes is valid JSON, and the
 *     text rendering does not crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/stats_dump.h"
#include "report/stats_render.h"

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_stats: %s\n%s\n", what, detail ? detail : "");
    abort();
}

/* ---- UTF-8 (independent of the shim's own decoder) ------------------- */

/* Code point and length of the well-formed UTF-8 sequence at p (n bytes
 * left), or 0 if there is none. */
static int utf8_decode(const unsigned char *p, size_t n, unsigned *cp)
{
    static const unsigned min[5] = {0, 0, 0x80, 0x800, 0x10000};
    int len, i;

    if (n == 0)
        return 0;
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    len = (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || (size_t)len > n)
        return 0;
    *cp = p[0] & (0x7f >> len);
    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (p[i] & 0x3f);
    }
    if (*cp < min[len] || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return len;
}

static void check_utf8(const char *s, size_t n)
{
    size_t i = 0;
    unsigned cp;
    int k;

    while (i < n) {
        if (!(k = utf8_decode((const unsigned char *)s + i, n - i, &cp)))
            fail("JSON output is not valid UTF-8", s);
        i += (size_t)k;
    }
}

/* ---- a small JSON reader ---------------------------------------------- */

struct reader {
    const char *p, *end;
    unsigned *cps; /* decoded code points of the last string, if wanted */
    size_t ncps, cap;
    int depth;
};

static void ws(struct reader *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\t' || *r->p == '\r'))
        r->p++;
}

static int hex4(const char *p, unsigned *v)
{
    int i;

    *v = 0;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return 0;
        *v = *v << 4 | (unsigned)d;
    }
    return 1;
}

static void push_cp(struct reader *r, unsigned cp)
{
    if (!r->cps)
        return;
    if (r->ncps == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->cps = realloc(r->cps, r->cap * sizeof(*r->cps));
        if (!r->cps)
            abort();
    }
    r->cps[r->ncps++] = cp;
}

static int string(struct reader *r)
{
    unsigned cp;
    int k;

    r->ncps = 0;
    if (r->p >= r->end || *r->p++ != '"')
        return 0;
    while (r->p < r->end && *r->p != '"') {
        unsigned char c = (unsigned char)*r->p;
        if (c < 0x20)
            return 0;
        if (c != '\\') {
            if (!(k = utf8_decode((const unsigned char *)r->p, (size_t)(r->end - r->p), &cp)))
                return 0;
            push_cp(r, cp);
            r->p += k;
            continue;
        }
        if (r->end - r->p < 2)
            return 0;
        switch (r->p[1]) {
        case '"':
        case '\\':
        case '/':
            push_cp(r, (unsigned char)r->p[1]);
            break;
        case 'b':
            push_cp(r, '\b');
            break;
        case 'f':
            push_cp(r, '\f');
            break;
        case 'n':
            push_cp(r, '\n');
            break;
        case 'r':
            push_cp(r, '\r');
            break;
        case 't':
            push_cp(r, '\t');
            break;
        case 'u':
            if (r->end - r->p < 6 || !hex4(r->p + 2, &cp))
                return 0;
            push_cp(r, cp); /* surrogate pairs are not needed: the shim never writes them */
            r->p += 4;
            break;
        default:
            return 0;
        }
        r->p += 2;
    }
    if (r->p >= r->end)
        return 0;
    r->p++;
    return 1;
}

static int value(struct reader *r);

static int number(struct reader *r)
{
    const char *start = r->p;

    if (r->p < r->end && *r->p == '-')
        r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9')
        return 0;
    if (*r->p == '0')
        r->p++;
    else
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    if (r->p < r->end && *r->p == '.') {
        r->p++;
        if (r->p >= r->end || *r->p < '0' || *r->p > '9')
            return 0;
        while (r->p < r->end && *r->p >= '0' && *r->p <= '9')
            r->p++;
    }
    return r->p > start;
}

static int members(struct reader *r, char close, int object)
{
    r->p++;
    ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        return 1;
    }
    for (;;) {
        ws(r);
        if (object) {
            if (!string(r))
                return 0;
            ws(r);
            if (r->p >= r->end || *r->p++ != ':')
                return 0;
        }
        if (!value(r))
            return 0;
        ws(r);
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == close) {
            r->p++;
            return 1;
        }
        return 0;
    }
}

static int literal(struct reader *r, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
        return 0;
    r->p += n;
    return 1;
}

static int value(struct reader *r)
{
    int ok;

    ws(r);
    if (r->p >= r->end || ++r->depth > 64)
        return 0;
    switch (*r->p) {
    case '{':
        ok = members(r, '}', 1);
        break;
    case '[':
        ok = members(r, ']', 0);
        break;
    case '"':
        ok = string(r);
        break;
    case 't':
        ok = literal(r, "true");
        break;
    case 'f':
        ok = literal(r, "false");
        break;
    case 'n':
        ok = literal(r, "null");
        break;
    default:
        ok = number(r);
        break;
    }
    r->depth--;
    return ok;
}

/* ---- the checks ----------------------------------------------------------- */

/* The decoded string must give back exactly the bytes of `s`. */
static void check_round_trip(const char *s, const unsigned *cps, size_t ncps, const char *json)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), at = 0, i;
    unsigned cp;
    int k;

    for (i = 0; i < ncps; i++) {
        k = utf8_decode(p + at, n - at, &cp);
        if (k && cp == cps[i])
            at += (size_t)k;
        else if (at < n && p[at] == cps[i])
            at++;
        else
            fail("the JSON string does not decode to the input", json);
    }
    if (at != n)
        fail("the JSON string is shorter than the input", json);
}

static void check_json_string(const char *s)
{
    struct tc_buf b = {0};
    struct reader r = {0};

    tc_buf_json_string(&b, s);
    if (b.failed)
        fail("tc_buf_json_string failed", s);
    if (b.data[b.len] != '\0')
        fail("the buffer is not terminated", NULL);
    check_utf8(b.data, b.len);
    r.p = b.data;
    r.end = b.data + b.len;
    r.cps = malloc(sizeof(unsigned));
    r.cap = 1;
    if (!r.cps)
        abort();
    if (!string(&r) || r.p != r.end)
        fail("not one JSON string literal", b.data);
    check_round_trip(s, r.cps, r.ncps, b.data);
    free(r.cps);
    tc_buf_free(&b);
}

/* The plain reference: %p -> pid, %% -> %, every other byte as it is. */
static size_t expand_ref(const char *t, long pid, char *out)
{
    size_t n = 0;

    for (; *t; t++) {
        if (t[0] == '%' && t[1] == 'p') {
            n += (size_t)sprintf(out + n, "%ld", pid);
            t++;
        } else if (t[0] == '%' && t[1] == '%') {
            out[n++] = '%';
            t++;
        } else {
            out[n++] = *t;
        }
    }
    out[n] = '\0';
    return n;
}

static void check_expand(const char *t, long pid, size_t len)
{
    char *want = malloc(strlen(t) * 21 + 1), *got = malloc(len ? len : 1);
    size_t n;
    int rc;

    if (!want || !got)
        abort();
    n = expand_ref(t, pid, want);
    rc = tc_stats_expand_path(t, pid, got, len);
    if (n < len && (rc != 1 || strcmp(got, want) != 0))
        fail("the expansion differs from the reference", want);
    if (n >= len && rc != 0)
        fail("an expansion that does not fit was accepted", want);
    if (len && !memchr(got, '\0', len))
        fail("the expansion is not terminated inside the buffer", NULL);
    free(want);
    free(got);
}

static void check_document(const char *s, const uint8_t *counts)
{
    struct tc_stats_bundle bundle;
    struct tc_stats_view v;
    struct tc_buf b = {0}, text = {0};
    struct reader r = {0};
    size_t i;

    memset(&v, 0, sizeof(v));
    memset(&bundle, 0, sizeof(bundle));
    for (i = 0; i < sizeof(v.counters) / sizeof(uint64_t); i++)
        ((uint64_t *)&v.counters)[i] = (uint64_t)counts[i % 8] << (i % 7 * 8);
    bundle.path = (char *)s;
    memcpy(bundle.sha256, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 65);
    bundle.certs = counts[0];
    v.version = s;
    v.openssl_version = s;
    v.mode = "on";
    v.resolution = s;
    v.bundles = &bundle;
    v.nbundles = 1;
    tc_render_json(&v, &b);
    if (b.failed)
        fail("tc_render_json failed", NULL);
    check_utf8(b.data, b.len);
    r.p = b.data;
    r.end = b.data + b.len;
    if (!value(&r))
        fail("the stats document is not valid JSON", b.data);
    ws(&r);
    if (r.p != r.end)
        fail("the stats document has trailing text", b.data);
    tc_render_text(&v, &text);
    tc_buf_free(&b);
    tc_buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t head[10] = {0};
    size_t len;
    long pid;
    char *s;

    memcpy(head, data, size < sizeof(head) ? size : sizeof(head));
    len = ((size_t)head[0] << 8 | head[1]) % 4200;
    memcpy(&pid, head + 2, sizeof(pid));
    data += size < sizeof(head) ? size : sizeof(head);
    size -= size < sizeof(head) ? size : sizeof(head);
    if (!(s = malloc(size + 1)))
        abort();
    memcpy(s, data, size);
    s[size] = '\0';

    check_expand(s, pid, len);
    check_json_string(s);
    check_document(s, head);
    free(s);
    return 0;
}
