/*
 * stats_render.c: the JSON document must parse (checked by Python's json
 * module) and hold exactly the documented keys and values; paths are escaped
 * as JSON strings; the text table shows the same counters; passthrough
 * reasons appear only when non-zero.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/stats_render.h"
#include "unit.h"

#define CANON_MAX (512 * 1024)

static const char SHA_A[] = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

static struct tc_stats_bundle g_bundles[2];

static void sample_view(struct tc_stats_view *v)
{
    memset(v, 0, sizeof(*v));
    v->counters.ca_loads_requested = 17;
    v->counters.ca_loads_performed = 3;
    v->counters.ca_loads_avoided = 11;
    v->counters.ca_loads_passthrough = 3;
    v->counters.passthrough[TC_PT_LOAD_FAILED] = 2;
    v->counters.passthrough[TC_PT_NOT_REGULAR] = 1;
    v->counters.contexts_created = 9;
    v->counters.contexts_freed = 4;
    v->counters.bytes_avoided_estimate = 123456789012ULL;
    v->counters.parse_ns_avoided_estimate = 98765432109876ULL;
    v->counters.cache_invalidations = 5;
    v->version = "0.1.0";
    v->openssl_version = "OpenSSL 3.0.19 27 Jan 2026";
    v->mode = "observe";
    v->resolution = "rtld_next";

    memset(g_bundles, 0, sizeof(g_bundles));
    g_bundles[0].path = "/etc/ssl/certs/ca-certificates.crt";
    memcpy(g_bundles[0].sha256, SHA_A, sizeof(SHA_A));
    g_bundles[0].certs = 144;
    g_bundles[0].crls = 2;
    g_bundles[0].loads_performed = 3;
    g_bundles[0].loads_avoided = 11;
    g_bundles[0].invalidations = 1;
    g_bundles[1].path = "/srv/empty.pem";
    v->bundles = g_bundles;
    v->nbundles = 2;
}

/* The documented top-level keys (the stats contract). */
#define DOC_KEYS                                                                                   \
    "ca_loads_requested,ca_loads_performed,ca_loads_avoided,ca_loads_passthrough,"                 \
    "passthrough_reasons,contexts_created,contexts_freed,contexts_live,"                           \
    "contexts_live_peak,contexts_leak_suspected,"                                                  \
    "bytes_avoided_estimate,parse_ns_avoided_estimate,cache_invalidations,"                        \
    "templates_built,contexts_shared,stores_privatized,template_mutations,bundles,hosts,shim"

/* Writes `text` to a scratch file and returns Python's canonical form of it
 * (heap; free()) as `view` selects, failing the test if it is not JSON. */
static char *canonical(const char *text, size_t len, const char *view)
{
    char dir[4096], path[4200], *out = malloc(CANON_MAX);

    ck_assert_ptr_nonnull(out);
    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "doc.json");
    unit_write_file(path, text, len);
    ck_assert_msg(unit_json_canonical(path, view, out, CANON_MAX),
                  "not JSON: %s\n--- text:\n%.2000s", out, text);
    return out;
}

static char *render_json_canonical(const struct tc_stats_view *v, const char *view)
{
    struct tc_buf b = {0};
    char *canon;

    tc_render_json(v, &b);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_ptr_nonnull(b.data);
    ck_assert_uint_eq(strlen(b.data), b.len);
    canon = canonical(b.data, b.len, view);
    tc_buf_free(&b);
    return canon;
}

/* The documented keys of the rendering of `v` hold exactly `want_json`. */
static void assert_json_equals(const struct tc_stats_view *v, const char *want_json)
{
    char *got = render_json_canonical(v, DOC_KEYS);
    char *want = canonical(want_json, strlen(want_json), NULL);

    ck_assert_str_eq(got, want);
    free(got);
    free(want);
}

/* ---------------------------------------------------------------- JSON */

START_TEST(json_exact_document)
{
    struct tc_stats_view v;

    sample_view(&v);
    assert_json_equals(
        &v,
        "{\"ca_loads_requested\": 17, \"ca_loads_performed\": 3, \"ca_loads_avoided\": 11,"
        " \"ca_loads_passthrough\": 3,"
        " \"passthrough_reasons\": {\"load_failed\": 2, \"not_a_regular_file\": 1},"
        " \"contexts_created\": 9, \"contexts_freed\": 4, \"contexts_live\": 5,"
        " \"contexts_live_peak\": 5, \"contexts_leak_suspected\": false,"
        " \"bytes_avoided_estimate\": 123456789012,"
        " \"parse_ns_avoided_estimate\": 98765432109876, \"cache_invalidations\": 5, "
        "\"templates_built\": 0, \"contexts_shared\": 0, \"stores_privatized\": 0, "
        "\"template_mutations\": 0,"
        " \"bundles\": ["
        "  {\"path\": \"/etc/ssl/certs/ca-certificates.crt\","
        "   \"sha256\": \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
        "   \"certs\": 144, \"crls\": 2, \"loads_performed\": 3, \"loads_avoided\": 11,"
        "   \"invalidations\": 1, \"contexts_live\": 0},"
        "  {\"path\": \"/srv/empty.pem\", \"sha256\": \"\", \"certs\": 0, \"crls\": 0,"
        "   \"loads_performed\": 0, \"loads_avoided\": 0, \"invalidations\": 0,"
        "   \"contexts_live\": 0}],"
        " \"hosts\": [],"
        " \"shim\": {\"version\": \"0.1.0\", \"openssl_version\": \"OpenSSL 3.0.19 27 Jan 2026\","
        "          \"mode\": \"observe\", \"resolution\": \"rtld_next\"}}");
}
END_TEST

/* Is `key` one of the comma-separated `list`? */
static int in_list(const char *list, const char *key)
{
    size_t n = strlen(key);
    const char *p;

    for (p = list; (p = strstr(p, key)); p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Names every undocumented or missing top-level key in the failure. */
static void assert_top_keys_documented(const struct tc_stats_view *v)
{
    char *keys = render_json_canonical(v, "topkeys"), extra[2048] = "", missing[2048] = "";
    char name[128], *p = keys, *q;
    const char *d;

    /* keys is ["a", "b", ...]: plain names, no escapes. */
    while ((p = strchr(p, '"')) && (q = strchr(p + 1, '"'))) {
        snprintf(name, sizeof(name), "%.*s", (int)(q - p - 1), p + 1);
        if (!in_list(DOC_KEYS, name))
            snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra), " %s", name);
        p = q + 1;
    }
    for (d = DOC_KEYS; *d; d += strcspn(d, ",") + (d[strcspn(d, ",")] == ',')) {
        snprintf(name, sizeof(name), "\"%.*s\"", (int)strcspn(d, ","), d);
        if (!strstr(keys, name))
            snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), " %s", name);
    }
    ck_assert_msg(!extra[0] && !missing[0], "undocumented keys:%s; missing keys:%s",
                  extra[0] ? extra : " none", missing[0] ? missing : " none");
    free(keys);
}

/* Exactly the documented keys, at every level: nothing missing, nothing extra. */
START_TEST(json_exact_key_set)
{
    struct tc_stats_view v;
    char *got, *want;
    static const char documented[] =
        "{\"ca_loads_requested\": 0, \"ca_loads_performed\": 0, \"ca_loads_avoided\": 0,"
        " \"ca_loads_passthrough\": 0, \"passthrough_reasons\": {\"load_failed\": 2,"
        " \"not_a_regular_file\": 1}, \"contexts_created\": 0, \"contexts_freed\": 0,"
        " \"contexts_live\": 0, \"contexts_live_peak\": 0, \"contexts_leak_suspected\": 0,"
        " \"bytes_avoided_estimate\": 0, \"parse_ns_avoided_estimate\": 0,"
        " \"cache_invalidations\": 0, \"templates_built\": 0, \"contexts_shared\": 0, "
        "\"stores_privatized\": 0, \"template_mutations\": 0,"
        " \"bundles\": [{\"path\": 0, \"sha256\": 0, \"certs\": 0, \"crls\": 0,"
        "   \"loads_performed\": 0, \"loads_avoided\": 0, \"invalidations\": 0,"
        "   \"contexts_live\": 0},"
        "  {\"path\": 0, \"sha256\": 0, \"certs\": 0, \"crls\": 0,"
        "   \"loads_performed\": 0, \"loads_avoided\": 0, \"invalidations\": 0,"
        "   \"contexts_live\": 0}],"
        " \"hosts\": [],"
        " \"shim\": {\"version\": 0, \"openssl_version\": 0, \"mode\": 0, \"resolution\": 0}}";

    sample_view(&v);
    assert_top_keys_documented(&v);
    got = render_json_canonical(&v, "keys");
    want = canonical(documented, strlen(documented), "keys");
    ck_assert_str_eq(got, want);
    free(got);
    free(want);
}
END_TEST

START_TEST(json_all_zero)
{
    struct tc_stats_view v;

    memset(&v, 0, sizeof(v));
    v.version = "0.1.0";
    v.openssl_version = "not loaded";
    v.mode = "on";
    v.resolution = "none";
    assert_json_equals(
        &v, "{\"ca_loads_requested\": 0, \"ca_loads_performed\": 0, \"ca_loads_avoided\": 0,"
            " \"ca_loads_passthrough\": 0, \"passthrough_reasons\": {},"
            " \"contexts_created\": 0, \"contexts_freed\": 0, \"contexts_live\": 0,"
            " \"contexts_live_peak\": 0, \"contexts_leak_suspected\": false,"
            " \"bytes_avoided_estimate\": 0, \"parse_ns_avoided_estimate\": 0,"
            " \"cache_invalidations\": 0, \"templates_built\": 0, \"contexts_shared\": 0, "
            "\"stores_privatized\": 0, \"template_mutations\": 0, \"bundles\": [],"
            " \"hosts\": [],"
            " \"shim\": {\"version\": \"0.1.0\", \"openssl_version\": \"not loaded\","
            "          \"mode\": \"on\", \"resolution\": \"none\"}}");
}
END_TEST

/* Counters are 64-bit: the largest value is printed exactly. */
START_TEST(json_large_counters)
{
    struct tc_stats_view v;
    char *got;

    sample_view(&v);
    v.counters.ca_loads_requested = UINT64_MAX;
    v.counters.passthrough[TC_PT_INTERNAL] = UINT64_MAX - 1;
    g_bundles[0].loads_avoided = UINT64_MAX;
    got = render_json_canonical(&v, NULL);
    ck_assert_ptr_nonnull(strstr(got, "\"ca_loads_requested\": 18446744073709551615,"));
    ck_assert_ptr_nonnull(strstr(got, "\"internal_error\": 18446744073709551614"));
    ck_assert_ptr_nonnull(strstr(got, "\"loads_avoided\": 18446744073709551615,"));
    free(got);
}
END_TEST

/* More contexts freed than seen created (created before the preload took
 * effect): live is 0, never a wrapped-around huge number. */
START_TEST(json_contexts_live_never_negative)
{
    struct tc_stats_view v;
    char *got;

    sample_view(&v);
    v.counters.contexts_created = 2;
    v.counters.contexts_freed = 7;
    got = render_json_canonical(&v, NULL);
    ck_assert_ptr_nonnull(strstr(got, "\"contexts_live\": 0,"));
    free(got);
}
END_TEST

/* Each reason is listed under its name exactly when its count is non-zero. */
START_TEST(json_reasons_only_nonzero)
{
    int only = _i + 1; /* 1 .. TC_PT_COUNT-1 */
    struct tc_stats_view v;
    char want[256], *got;
    int r;

    sample_view(&v);
    for (r = 0; r < TC_PT_COUNT; r++)
        v.counters.passthrough[r] = 0;
    v.counters.passthrough[only] = 41;
    got = render_json_canonical(&v, NULL);
    snprintf(want, sizeof(want), "\"passthrough_reasons\": {\"%s\": 41}",
             tc_passthrough_name((enum tc_passthrough)only));
    ck_assert_msg(strstr(got, want) != NULL, "want %s in %s", want, got);
    free(got);
}
END_TEST

START_TEST(json_reasons_all)
{
    struct tc_stats_view v;
    char *got, want[128];
    int r;

    sample_view(&v);
    for (r = 1; r < TC_PT_COUNT; r++)
        v.counters.passthrough[r] = (uint64_t)r;
    got = render_json_canonical(&v, NULL);
    for (r = 1; r < TC_PT_COUNT; r++) {
        const char *name = tc_passthrough_name((enum tc_passthrough)r);
        ck_assert_str_ne(name, "unknown");
        snprintf(want, sizeof(want), "\"%s\": %d", name, r);
        ck_assert_msg(strstr(got, want) != NULL, "want %s in %s", want, got);
    }
    free(got);
}
END_TEST

/* Paths are arbitrary bytes: quotes, backslashes and control characters
 * must come back from a JSON parser exactly as they were. */
START_TEST(json_escapes_paths)
{
    struct tc_stats_view v;

    sample_view(&v);
    g_bundles[0].path = "/tmp/a \"quoted\" \\back\\slash\x01\x1f\t\n\r\b\f\x7f/caf\xc3\xa9.pem";
    v.nbundles = 1;
    v.openssl_version = "Open\"SSL\\ 3";
    assert_json_equals(
        &v, "{\"ca_loads_requested\": 17, \"ca_loads_performed\": 3, \"ca_loads_avoided\": 11,"
            " \"ca_loads_passthrough\": 3,"
            " \"passthrough_reasons\": {\"load_failed\": 2, \"not_a_regular_file\": 1},"
            " \"contexts_created\": 9, \"contexts_freed\": 4, \"contexts_live\": 5,"
            " \"contexts_live_peak\": 5, \"contexts_leak_suspected\": false,"
            " \"bytes_avoided_estimate\": 123456789012,"
            " \"parse_ns_avoided_estimate\": 98765432109876, \"cache_invalidations\": 5, "
            "\"templates_built\": 0, \"contexts_shared\": 0, \"stores_privatized\": 0, "
            "\"template_mutations\": 0,"
            " \"bundles\": ["
            "  {\"path\": \"/tmp/a \\\"quoted\\\" "
            "\\\\back\\\\slash\\u0001\\u001f\\t\\n\\r\\b\\f\\u007f/caf\\u00e9.pem\","
            "   \"sha256\": \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\","
            "   \"certs\": 144, \"crls\": 2, \"loads_performed\": 3, \"loads_avoided\": 11,"
            "   \"invalidations\": 1, \"contexts_live\": 0}],"
            " \"hosts\": [],"
            " \"shim\": {\"version\": \"0.1.0\", \"openssl_version\": \"Open\\\"SSL\\\\ 3\","
            "          \"mode\": \"observe\", \"resolution\": \"rtld_next\"}}");
}
END_TEST

/*
 * A path that is not valid UTF-8 (Linux allows any bytes) must still give a
 * document JSON readers accept: JSON text is UTF-8 (RFC 8259 section 8.1).
 */
START_TEST(json_non_utf8_path_still_parses)
{
    struct tc_stats_view v;
    char *got;

    sample_view(&v);
    g_bundles[1].path = "/srv/latin1-caf\xe9-\xff\xfe.pem";
    got = render_json_canonical(&v, NULL);
    ck_assert_ptr_nonnull(strstr(got, "\"certs\": 144"));
    ck_assert_ptr_nonnull(strstr(got, "/srv/latin1-caf"));
    free(got);
}
END_TEST

/* Many bundles: the buffer grows well past its first allocation. */
START_TEST(json_many_bundles)
{
    enum { N = 1500 };
    struct tc_stats_bundle *many = calloc(N, sizeof(*many));
    char(*paths)[48] = calloc(N, sizeof(*paths));
    struct tc_stats_view v;
    char *got, *p;
    int i, seen = 0;

    ck_assert_ptr_nonnull(many);
    ck_assert_ptr_nonnull(paths);
    sample_view(&v);
    for (i = 0; i < N; i++) {
        snprintf(paths[i], sizeof(paths[i]), "/etc/ssl/bundle-%04d.pem", i);
        many[i].path = paths[i];
        memcpy(many[i].sha256, SHA_A, sizeof(SHA_A));
        many[i].certs = i;
    }
    v.bundles = many;
    v.nbundles = N;
    got = render_json_canonical(&v, NULL);
    for (p = got; (p = strstr(p, "\"path\": \"/etc/ssl/bundle-")); p++)
        seen++;
    ck_assert_int_eq(seen, N);
    ck_assert_ptr_nonnull(
        strstr(got, "\"certs\": 1499, \"contexts_live\": 0, \"crls\": 0, \"invalidations\": 0, "
                    "\"loads_avoided\": 0, \"loads_performed\": 0, "
                    "\"path\": \"/etc/ssl/bundle-1499.pem\""));
    free(got);
    free(many);
    free(paths);
}
END_TEST

/* ---------------------------------------------------------------- buffer */

START_TEST(buf_grows_and_escapes)
{
    struct tc_buf b = {0};
    char big[10000];

    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    tc_buf_printf(&b, "%s", big);
    tc_buf_printf(&b, "|%d|", 42);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_uint_eq(b.len, sizeof(big) - 1 + 4);
    ck_assert_str_eq(b.data + sizeof(big) - 1, "|42|");
    tc_buf_free(&b);
    ck_assert_ptr_null(b.data);
    ck_assert_uint_eq(b.len, 0);

    tc_buf_json_string(&b, NULL);
    tc_buf_json_string(&b, "a\"b\\c\x01");
    ck_assert_str_eq(b.data, "\"\"\"a\\\"b\\\\c\\u0001\"");
    tc_buf_free(&b);
}
END_TEST

/* ---------------------------------------------------------------- text */

/* Is there a line holding `label` followed (on that line) by `value`? */
static int row_has(const char *text, const char *label, const char *value)
{
    const char *p = text;

    while ((p = strstr(p, label))) {
        const char *eol = strchr(p, '\n'), *v = strstr(p + strlen(label), value);
        if (v && (!eol || v < eol))
            return 1;
        p += strlen(label);
    }
    return 0;
}

START_TEST(text_shows_counters)
{
    struct tc_stats_view v;
    struct tc_buf b = {0};

    sample_view(&v);
    tc_render_text(&v, &b);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_ptr_nonnull(b.data);
    ck_assert_msg(row_has(b.data, "CA loads requested", "17"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "parsed", " 3"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "served from cache", "11"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "passed through", " 3"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "load_failed", " 2"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "not_a_regular_file", " 1"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "contexts created", " 9"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "contexts freed", " 4"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "contexts live", " 5"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "cache invalidations", " 5"), "%s", b.data);
    /* 123456789012 B = 120563270.5 KiB; 98765432109876 ns = 98765432.1 ms */
    ck_assert_msg(row_has(b.data, "heap avoided", "120563270.5 KiB"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "parse time avoided", "98765432.1 ms"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "trustcache 0.1.0", "OpenSSL 3.0.19"), "%s", b.data);
    ck_assert_msg(row_has(b.data, "mode: observe", "rtld_next"), "%s", b.data);
    /* Bundle rows: short sha, counts, path. */
    ck_assert_msg(row_has(b.data, "9f86d081 ", "/etc/ssl/certs/ca-certificates.crt"), "%s", b.data);
    ck_assert_ptr_null(strstr(b.data, "9f86d0818")); /* only 8 hex digits */
    ck_assert_msg(row_has(b.data, "-", "/srv/empty.pem"), "%s", b.data);
    /* Zero reasons are not listed. */
    ck_assert_ptr_null(strstr(b.data, "file_unavailable"));
    ck_assert_ptr_null(strstr(b.data, "internal_error"));
    ck_assert_ptr_null(strstr(b.data, "symbol_missing"));
    tc_buf_free(&b);
}
END_TEST

START_TEST(text_no_bundles_no_table)
{
    struct tc_stats_view v;
    struct tc_buf b = {0};

    sample_view(&v);
    v.nbundles = 0;
    tc_render_text(&v, &b);
    ck_assert_ptr_nonnull(b.data);
    ck_assert_ptr_null(strstr(b.data, "sha256"));
    ck_assert_msg(row_has(b.data, "CA loads requested", "17"), "%s", b.data);
    tc_buf_free(&b);
}
END_TEST

Suite *stats_render_suite(void)
{
    Suite *s = suite_create("stats_render");
    TCase *t;

    t = tcase_create("json");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, json_exact_key_set);
    tcase_add_test(t, json_exact_document);
    tcase_add_test(t, json_all_zero);
    tcase_add_test(t, json_large_counters);
    tcase_add_test(t, json_contexts_live_never_negative);
    tcase_add_loop_test(t, json_reasons_only_nonzero, 0, TC_PT_COUNT - 1);
    tcase_add_test(t, json_reasons_all);
    tcase_add_test(t, json_escapes_paths);
    tcase_add_test(t, json_non_utf8_path_still_parses);
    tcase_add_test(t, json_many_bundles);
    suite_add_tcase(s, t);

    t = tcase_create("text");
    tcase_add_test(t, buf_grows_and_escapes);
    tcase_add_test(t, text_shows_counters);
    tcase_add_test(t, text_no_bundles_no_table);
    suite_add_tcase(s, t);
    return s;
}
