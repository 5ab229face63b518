/*
 * Unit tests of the per-host accounting and the stats formats: host keys,
 * the bounded host table and its counting rule (hosts.c), the per-context
 * accounting behind it (acct.c), the churn and leak rules, and the text, JSON
 * and Prometheus renderings (stats_render.c), including a golden Prometheus
 * document.
 *
 * Built as its own program by mk/hosts.mk (make check-hosts), which defines
 * TC_UNIT_HOSTS.  Other unit builds that compile every C file in tests/unit see an
 * empty file: the code below needs shim sources they do not link.
 */
#ifdef TC_UNIT_HOSTS

#include <check.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "contexts/acct.h"
#include "contexts/hosts.h"
#include "report/stats_dump.h"
#include "report/stats_render.h"

/* ---- stand-ins ------------------------------------------------------------ */

/* acct.c registers its collector here; the tests call it directly. */
static tc_stats_source_fn g_source;
void tc_stats_set_source(tc_stats_source_fn fn) { g_source = fn; }

/* ---- helpers ---------------------------------------------------------------- */

static char *render(void (*fn)(const struct tc_stats_view *, struct tc_buf *),
                    const struct tc_stats_view *v)
{
    struct tc_buf b = {0};

    fn(v, &b);
    ck_assert_int_eq(b.failed, 0);
    ck_assert_ptr_nonnull(b.data);
    ck_assert_uint_eq(strlen(b.data), b.len);
    return b.data;
}

/* Number of (possibly overlapping) occurrences of `needle` in `hay`. */
static int count_of(const char *hay, const char *needle)
{
    int n = 0;

    for (; (hay = strstr(hay, needle)); hay++)
        n++;
    return n;
}

/*
 * `doc` through Python's json module: 1 if it parses (as UTF-8), and `out`
 * gets its canonical form (sorted keys, ASCII escapes).
 */
static int json_canonical(const char *doc, char *out, size_t len)
{
    char path[] = "/tmp/tc-hosts-unit.XXXXXX", cmd[256];
    const char *py = getenv("TC_UNIT_PYTHON") ? getenv("TC_UNIT_PYTHON") : "python3";
    FILE *f, *p;
    size_t n;
    int fd = mkstemp(path), rc;

    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs(doc, f);
    fclose(f);
    snprintf(cmd, sizeof(cmd),
             "%s -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1], "
             "encoding=\"utf-8\")), sort_keys=True))' %s 2>&1",
             py, path);
    p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    n = fread(out, 1, len - 1, p);
    out[n] = '\0';
    if (n && out[n - 1] == '\n')
        out[n - 1] = '\0';
    rc = pclose(p);
    unlink(path);
    return rc == 0;
}

static struct tc_ctx_rec *fake_rec(void)
{
    struct tc_ctx_rec *rec = calloc(1, sizeof(*rec));

    ck_assert_ptr_nonnull(rec);
    rec->refs = 1;
    return rec;
}

static void free_rec(struct tc_ctx_rec *rec)
{
    tc_acct_ctx_free(rec);
    free(rec);
}

static void use_stats(const char *max_hosts)
{
    setenv("TRUSTCACHE_STATS", "/dev/null", 1);
    if (max_hosts)
        setenv("TRUSTCACHE_MAX_HOSTS", max_hosts, 1);
    else
        unsetenv("TRUSTCACHE_MAX_HOSTS");
}

/* The rows acct.c reports, through the collector it registered. */
static void acct_view(struct tc_stats_view *v)
{
    memset(v, 0, sizeof(*v));
    ck_assert_ptr_nonnull(g_source);
    g_source(v);
}

static const struct tc_stats_host *row(const struct tc_stats_view *v, const char *host)
{
    size_t i;

    for (i = 0; i < v->nhosts; i++)
        if (!strcmp(v->hosts[i].host, host))
            return &v->hosts[i];
    ck_abort_msg("no row for %s", host);
    return NULL;
}

static void free_rows(struct tc_stats_view *v)
{
    size_t i;

    for (i = 0; i < v->nhosts; i++)
        free(v->hosts[i].host);
    free(v->hosts);
}

/* ---- host keys ------------------------------------------------------------ */

START_TEST(clean_lowercases_and_keeps_dns_names)
{
    char out[TC_HOST_NAME_MAX + 1];

    tc_host_clean("API.Example.COM", out);
    ck_assert_str_eq(out, "api.example.com");
    tc_host_clean("xn--bcher-kva.example:443", out);
    ck_assert_str_eq(out, "xn--bcher-kva.example:443");
    tc_host_clean("*.wild_card-1.test", out);
    ck_assert_str_eq(out, "*.wild_card-1.test");
}
END_TEST

START_TEST(clean_escapes_everything_else)
{
    char out[TC_HOST_NAME_MAX + 1];

    tc_host_clean("a b\"c\\d\ne\xc3\xa9", out);
    ck_assert_str_eq(out, "a\\x20b\\x22c\\x5cd\\x0ae\\xc3\\xa9");
    /* The reserved row names can never be a host's key. */
    tc_host_clean("(none)", out);
    ck_assert_str_eq(out, "\\x28none\\x29");
    tc_host_clean("(other)", out);
    ck_assert_str_ne(out, TC_HOST_OTHER);
}
END_TEST

START_TEST(clean_cuts_long_names_between_escapes)
{
    char in[600], out[TC_HOST_NAME_MAX + 8];

    memset(out, 'Z', sizeof(out));
    memset(in, 'a', 400);
    in[400] = '\0';
    tc_host_clean(in, out);
    ck_assert_uint_eq(strlen(out), TC_HOST_NAME_MAX);
    ck_assert_int_eq(out[TC_HOST_NAME_MAX + 1], 'Z'); /* nothing written past the end */
    /* 253 plain bytes, then an escape that would need 4: cut before it. */
    memset(in, 'b', 253);
    strcpy(in + 253, " tail");
    tc_host_clean(in, out);
    ck_assert_uint_eq(strlen(out), 253);
}
END_TEST

/* ---- the table -------------------------------------------------------------- */

START_TEST(table_rows_and_reserved_rows)
{
    struct tc_hosts *t = tc_hosts_new(8);
    struct tc_host *a, *b;

    ck_assert_ptr_nonnull(t);
    a = tc_hosts_get(t, "a.example");
    b = tc_hosts_get(t, "b.example");
    ck_assert_ptr_ne(a, b);
    ck_assert_ptr_eq(tc_hosts_get(t, "a.example"), a);
    ck_assert_str_eq(tc_hosts_get(t, NULL)->name, TC_HOST_NONE);
    ck_assert_ptr_eq(tc_hosts_get(t, ""), tc_hosts_get(t, NULL));
    /* Rows without connections are listed only for named hosts. */
    ck_assert_uint_eq(tc_hosts_rows(t), 2);
    tc_host_count(tc_hosts_get(t, NULL), NULL, NULL);
    ck_assert_uint_eq(tc_hosts_rows(t), 3);
    tc_hosts_free(t);
}
END_TEST

static void collect_names(const struct tc_host *h, void *arg)
{
    char *names = arg;

    strcat(names, h->name);
    strcat(names, ",");
}

START_TEST(table_bound_overflows_into_other)
{
    struct tc_hosts *t = tc_hosts_new(2);
    char names[256] = "";

    tc_host_count(tc_hosts_get(t, "one"), NULL, NULL);
    tc_host_count(tc_hosts_get(t, "two"), NULL, NULL);
    ck_assert_str_eq(tc_hosts_get(t, "three")->name, TC_HOST_OTHER);
    tc_host_count(tc_hosts_get(t, "three"), NULL, NULL);
    tc_host_count(tc_hosts_get(t, "four"), NULL, NULL);
    /* Hosts seen before the table filled keep their rows. */
    ck_assert_str_eq(tc_hosts_get(t, "one")->name, "one");
    tc_host_count(tc_hosts_get(t, "one"), NULL, NULL);
    tc_host_count(tc_hosts_get(t, NULL), NULL, NULL);
    ck_assert_uint_eq(tc_hosts_get(t, "one")->connections, 2);
    ck_assert_uint_eq(tc_hosts_get(t, "five")->connections, 2);
    ck_assert_uint_eq(tc_hosts_rows(t), 4);
    tc_hosts_foreach(t, collect_names, names);
    ck_assert_str_eq(names, "one,two,(other),(none),");
    tc_hosts_free(t);
}
END_TEST

/* Each context counts once per host, "with a CA load" once, and its avoided
 * loads only as they grow. */
START_TEST(count_contexts_once_and_avoided_loads_as_they_grow)
{
    struct tc_hosts *t = tc_hosts_new(4);
    struct tc_host *h = tc_hosts_get(t, "h");
    struct tc_host_link la = {0}, lb = {0}, lc = {0};
    struct tc_ctx_loads a = {1, 0}, b = {0, 1}, none = {0, 0};

    tc_host_count(h, &la, &a);
    tc_host_count(h, &la, &a);
    tc_host_count(h, &la, &a);
    ck_assert_uint_eq(h->connections, 3);
    ck_assert_uint_eq(h->contexts, 1);
    ck_assert_uint_eq(h->contexts_with_ca_load, 1);
    ck_assert_uint_eq(h->ca_loads_avoided, 0);

    tc_host_count(h, &lb, &b);
    ck_assert_uint_eq(h->contexts, 2);
    ck_assert_uint_eq(h->contexts_with_ca_load, 2);
    ck_assert_uint_eq(h->ca_loads_avoided, 1);

    /* urllib3 1.26 reloads the file into the same context on reconnect. */
    a.avoided = 2;
    tc_host_count(h, &la, &a);
    ck_assert_uint_eq(h->ca_loads_avoided, 3);

    /* A context that never loaded a CA file; later it does (update only). */
    tc_host_count(h, &lc, &none);
    ck_assert_uint_eq(h->contexts, 3);
    ck_assert_uint_eq(h->contexts_with_ca_load, 2);
    none.avoided = 1;
    tc_host_update(h, &lc, &none);
    tc_host_update(h, &lc, &none);
    ck_assert_uint_eq(h->connections, 6);
    ck_assert_uint_eq(h->contexts, 3);
    ck_assert_uint_eq(h->contexts_with_ca_load, 3);
    ck_assert_uint_eq(h->ca_loads_avoided, 4);

    /* An unknown context: the connection only. */
    tc_host_count(h, NULL, NULL);
    ck_assert_uint_eq(h->connections, 7);
    ck_assert_uint_eq(h->contexts, 3);
    tc_hosts_free(t);
}
END_TEST

/* ---- acct.c ---------------------------------------------------------------- */

START_TEST(acct_hosts_none_and_late_loads)
{
    struct tc_ctx_rec *a = fake_rec(), *b = fake_rec();
    struct tc_acct_mark mark;
    struct tc_stats_view v;
    static struct tc_entry entry;

    use_stats(NULL);
    /* a: the CA file is loaded first (Python); b: after naming the host (curl). */
    tc_acct_load(a, &entry, 0);
    tc_acct_connection(a, "API.example.com", &mark);
    tc_acct_connection_end(a, &mark);
    tc_acct_connection(b, "api.example.COM", &mark);
    tc_acct_load(b, &entry, 1);
    tc_acct_connection_end(b, &mark);
    tc_acct_connection_end(b, &mark); /* a second end adds nothing */
    tc_acct_connection(b, NULL, NULL);
    tc_acct_connection(NULL, NULL, NULL);

    acct_view(&v);
    ck_assert_uint_eq(v.nhosts, 2);
    ck_assert_str_eq(v.hosts[0].host, "api.example.com");
    ck_assert_uint_eq(row(&v, "api.example.com")->connections, 2);
    ck_assert_uint_eq(row(&v, "api.example.com")->contexts, 2);
    ck_assert_uint_eq(row(&v, "api.example.com")->contexts_with_ca_load, 2);
    ck_assert_uint_eq(row(&v, "api.example.com")->ca_loads_avoided, 1);
    ck_assert_uint_eq(row(&v, TC_HOST_NONE)->connections, 2);
    ck_assert_uint_eq(row(&v, TC_HOST_NONE)->contexts, 1);
    ck_assert_uint_eq(row(&v, TC_HOST_NONE)->ca_loads_avoided, 1);
    free_rows(&v);
    free_rec(a);
    free_rec(b);
}
END_TEST

START_TEST(acct_bound_from_environment)
{
    char name[32];
    struct tc_stats_view v;
    int i;

    use_stats("3");
    for (i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "h%d.example", i);
        tc_acct_connection(NULL, name, NULL);
    }
    acct_view(&v);
    ck_assert_uint_eq(v.nhosts, 4);
    ck_assert_str_eq(v.hosts[2].host, "h2.example");
    ck_assert_uint_eq(row(&v, TC_HOST_OTHER)->connections, 7);
    free_rows(&v);
}
END_TEST

/* Each bundle's live contexts: counted once per context, gone with it. */
START_TEST(acct_bundle_contexts_live)
{
    struct tc_ctx_rec *a = fake_rec(), *b = fake_rec();
    static struct tc_entry e1, e2;

    use_stats(NULL);
    tc_acct_load(a, &e1, 0);
    tc_acct_load(a, &e1, 1);
    tc_acct_load(b, &e1, 1);
    tc_acct_load(b, &e2, 1);
    ck_assert_uint_eq(e1.contexts_live, 2);
    ck_assert_uint_eq(e2.contexts_live, 1);
    tc_acct_ctx_dead(a);
    tc_acct_load(a, &e2, 1); /* a dead context takes nothing more */
    ck_assert_uint_eq(e1.contexts_live, 1);
    ck_assert_uint_eq(e2.contexts_live, 1);
    tc_acct_ctx_dead(b);
    ck_assert_uint_eq(e1.contexts_live, 0);
    ck_assert_uint_eq(e2.contexts_live, 0);
    free_rec(a);
    free_rec(b);
}
END_TEST

/*
 * Loads into one context from many threads at once, while other threads'
 * contexts come and go: no load is lost and every bundle's live count ends
 * exact (each context's accounting has its own lock, the live counts are
 * atomic; nothing here shares a mutex).
 */
#define ACCT_THREADS 8
#define ACCT_LOADS   2000

struct acct_worker {
    struct tc_ctx_rec *shared;
    struct tc_entry *entries;
};

static void *acct_worker_main(void *arg)
{
    struct acct_worker *w = arg;
    int i;

    for (i = 0; i < ACCT_LOADS; i++) {
        struct tc_ctx_rec *own = fake_rec();

        tc_acct_load(w->shared, &w->entries[i % 2], 1);
        tc_acct_load(own, &w->entries[i % 2], 0);
        tc_acct_ctx_dead(own);
        free_rec(own);
    }
    return NULL;
}

START_TEST(acct_loads_from_many_threads)
{
    static struct tc_entry entries[2];
    struct acct_worker w = {fake_rec(), entries};
    pthread_t tid[ACCT_THREADS];
    struct tc_stats_view v;
    int i;

    use_stats(NULL);
    for (i = 0; i < ACCT_THREADS; i++)
        ck_assert_int_eq(pthread_create(&tid[i], NULL, acct_worker_main, &w), 0);
    for (i = 0; i < ACCT_THREADS; i++)
        pthread_join(tid[i], NULL);
    ck_assert_uint_eq(entries[0].contexts_live, 1);
    ck_assert_uint_eq(entries[1].contexts_live, 1);
    tc_acct_connection(w.shared, "threads.example", NULL);
    acct_view(&v);
    ck_assert_uint_eq(row(&v, "threads.example")->ca_loads_avoided, ACCT_THREADS * ACCT_LOADS);
    free_rows(&v);
    tc_acct_ctx_dead(w.shared);
    ck_assert_uint_eq(entries[0].contexts_live, 0);
    ck_assert_uint_eq(entries[1].contexts_live, 0);
    free_rec(w.shared);
}
END_TEST

/* A fork child keeps its contexts but starts its own host rows. */
START_TEST(acct_fork_child_starts_its_own_rows)
{
    struct tc_ctx_rec *a = fake_rec();
    struct tc_acct_mark before;
    struct tc_stats_view v;
    static struct tc_entry entry;

    use_stats(NULL);
    tc_acct_load(a, &entry, 1);
    tc_acct_connection(a, "parent.example", &before);
    tc_acct_atfork_prepare();
    tc_acct_atfork_child();
    tc_acct_connection_end(a, &before); /* the parent's row is gone: ignored */
    tc_acct_connection(a, "child.example", NULL);
    tc_acct_connection(a, "child.example", NULL);
    acct_view(&v);
    ck_assert_uint_eq(v.nhosts, 1);
    ck_assert_str_eq(v.hosts[0].host, "child.example");
    ck_assert_uint_eq(v.hosts[0].connections, 2);
    ck_assert_uint_eq(v.hosts[0].contexts, 1);
    /* Its load happened in the parent. */
    ck_assert_uint_eq(v.hosts[0].contexts_with_ca_load, 0);
    ck_assert_uint_eq(v.hosts[0].ca_loads_avoided, 0);
    free_rows(&v);
    free_rec(a);
}
END_TEST

/* ---- the rules --------------------------------------------------------------- */

START_TEST(churn_rule)
{
    struct tc_stats_host h = {.host = "h"};

    h.connections = 19, h.contexts = 19;
    ck_assert_int_eq(tc_stats_host_churn(&h), 0);
    h.connections = 20, h.contexts = 20;
    ck_assert_int_eq(tc_stats_host_churn(&h), 1);
    h.connections = 20, h.contexts = 19;
    ck_assert_int_eq(tc_stats_host_churn(&h), 0);
    h.connections = 500, h.contexts = 1;
    ck_assert_int_eq(tc_stats_host_churn(&h), 0);
}
END_TEST

START_TEST(leak_rule)
{
    struct tc_counters c;

    memset(&c, 0, sizeof(c));
    c.contexts_created = 150, c.contexts_live_peak = 101;
    c.contexts_freed = 49; /* 101 live, at the peak, > half of 150 */
    ck_assert_int_eq(tc_stats_leak_suspected(&c), 1);
    c.contexts_freed = 50; /* 100 live: not more than 100 */
    ck_assert_int_eq(tc_stats_leak_suspected(&c), 0);
    c.contexts_created = 151, c.contexts_live_peak = 120, c.contexts_freed = 50;
    ck_assert_int_eq(tc_stats_leak_suspected(&c), 0); /* down from its peak */
    c.contexts_created = 300, c.contexts_live_peak = 101, c.contexts_freed = 199;
    ck_assert_int_eq(tc_stats_leak_suspected(&c), 0); /* 101 is not > half of 300 */
    /* A peak below live (counters read while a context was being created). */
    c.contexts_created = 150, c.contexts_live_peak = 0, c.contexts_freed = 0;
    ck_assert_uint_eq(tc_stats_contexts_live_peak(&c), 150);
    ck_assert_int_eq(tc_stats_leak_suspected(&c), 1);
}
END_TEST

/* ---- renderings -------------------------------------------------------------- */

static struct tc_stats_bundle g_bundles[3];
static struct tc_stats_host g_hosts[3];

static void sample_view(struct tc_stats_view *v)
{
    memset(v, 0, sizeof(*v));
    v->pid = 4242;
    v->counters.ca_loads_requested = 52;
    v->counters.ca_loads_performed = 1;
    v->counters.ca_loads_avoided = 49;
    v->counters.ca_loads_passthrough = 2;
    v->counters.passthrough[TC_PT_LOAD_FAILED] = 2;
    v->counters.contexts_created = 60;
    v->counters.contexts_freed = 55;
    v->counters.contexts_live_peak = 7;
    v->counters.bytes_avoided_estimate = 1048576;
    v->counters.parse_ns_avoided_estimate = 1234567890123ULL;
    v->counters.cache_invalidations = 1;
    v->counters.templates_built = 1;
    v->counters.contexts_shared = 50;
    v->version = "0.1.0";
    v->openssl_version = "OpenSSL 3.0.19 27 Jan 2026";
    v->mode = "on";
    v->resolution = "caller";

    memset(g_bundles, 0, sizeof(g_bundles));
    g_bundles[0].path = "/etc/ssl/certs/ca-certificates.crt";
    strcpy(g_bundles[0].sha256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
    g_bundles[0].certs = 144;
    g_bundles[0].loads_performed = 1;
    g_bundles[0].loads_avoided = 40;
    g_bundles[0].contexts_live = 3;
    /* The same path under another loader: one Prometheus series. */
    g_bundles[1] = g_bundles[0];
    g_bundles[1].crls = 2;
    g_bundles[1].loads_performed = 0;
    g_bundles[1].loads_avoided = 9;
    g_bundles[1].invalidations = 1;
    g_bundles[1].contexts_live = 1;
    g_bundles[2].path = "/srv/we\"ird\\dir\n\xff.pem";
    v->bundles = g_bundles;
    v->nbundles = 3;

    memset(g_hosts, 0, sizeof(g_hosts));
    g_hosts[0] = (struct tc_stats_host){"api.example.com", 25, 25, 25, 24};
    g_hosts[1] = (struct tc_stats_host){"pooled.example", 30, 1, 1, 0};
    g_hosts[2] = (struct tc_stats_host){"(none)", 2, 2, 0, 0};
    v->hosts = g_hosts;
    v->nhosts = 3;
}

START_TEST(json_hosts_peak_and_bundle_live)
{
    struct tc_stats_view v;
    char *doc, canon[16384];

    sample_view(&v);
    doc = render(tc_render_json, &v);
    ck_assert_msg(json_canonical(doc, canon, sizeof(canon)), "not JSON: %s\n%s", canon, doc);
    ck_assert_ptr_nonnull(strstr(canon, "\"contexts_live\": 5, \"contexts_live_peak\": 7,"));
    ck_assert_ptr_nonnull(strstr(canon, "\"contexts_leak_suspected\": false,"));
    ck_assert_ptr_nonnull(strstr(
        canon, "\"hosts\": [{\"ca_loads_avoided\": 24, \"churn\": true, \"connections\": 25, "
               "\"contexts\": 25, \"contexts_with_ca_load\": 25, \"host\": \"api.example.com\"}, "
               "{\"ca_loads_avoided\": 0, \"churn\": false, \"connections\": 30, \"contexts\": 1, "
               "\"contexts_with_ca_load\": 1, \"host\": \"pooled.example\"}, "
               "{\"ca_loads_avoided\": 0, \"churn\": false, \"connections\": 2, \"contexts\": 2, "
               "\"contexts_with_ca_load\": 0, \"host\": \"(none)\"}]"));
    ck_assert_int_eq(count_of(canon, "\"contexts_live\": 3,"), 1);
    ck_assert_int_eq(count_of(canon, "\"contexts_live\": 1,"), 1);
    free(doc);
}
END_TEST

START_TEST(json_empty_hosts_and_leak_flag)
{
    struct tc_stats_view v;
    char *doc, canon[16384];

    sample_view(&v);
    v.nhosts = 0;
    v.hosts = NULL;
    v.counters.contexts_created = 400;
    v.counters.contexts_freed = 10;
    v.counters.contexts_live_peak = 390;
    doc = render(tc_render_json, &v);
    ck_assert_msg(json_canonical(doc, canon, sizeof(canon)), "not JSON: %s\n%s", canon, doc);
    ck_assert_ptr_nonnull(strstr(canon, "\"hosts\": [],"));
    ck_assert_ptr_nonnull(strstr(canon, "\"contexts_leak_suspected\": true,"));
    ck_assert_ptr_nonnull(strstr(canon, "\"contexts_live_peak\": 390,"));
    free(doc);
}
END_TEST

START_TEST(text_churn_and_leak_lines)
{
    struct tc_stats_view v;
    char *text;

    sample_view(&v);
    text = render(tc_render_text, &v);
    ck_assert_msg(strstr(text,
                         "\napi.example.com: 25 connections built 25 TLS contexts \xe2\x80\x94 "
                         "each connection creates its own context; reuse one per host\n"),
                  "%s", text);
    ck_assert_int_eq(count_of(text, "connections built"), 1); /* not the pooled host */
    ck_assert_ptr_null(strstr(text, "likely leaked"));
    ck_assert_ptr_nonnull(strstr(text, "\n    most live at once                     7\n"));
    ck_assert_ptr_nonnull(strstr(
        text, "  api.example.com                           25       25        25       24\n"));
    free(text);

    v.counters.contexts_created = 400;
    v.counters.contexts_freed = 10;
    v.counters.contexts_live_peak = 390;
    text = render(tc_render_text, &v);
    ck_assert_msg(strstr(text,
                         "\ncontexts: 390 TLS contexts live, the most so far, of 400 ever "
                         "created \xe2\x80\x94 likely leaked; free contexts no longer in use\n"),
                  "%s", text);
    free(text);
}
END_TEST

/* The whole Prometheus document for the sample view, byte for byte. */
static const char GOLDEN_PROM[] =
    "# HELP trustcache_info The shim and the OpenSSL it serves (always 1).\n"
    "# TYPE trustcache_info gauge\n"
    "trustcache_info{pid=\"4242\",version=\"0.1.0\",openssl_version=\"OpenSSL 3.0.19 27 Jan 2026\","
    "mode=\"on\",resolution=\"caller\"} 1\n"
    "# HELP trustcache_ca_loads_requested_total CA file loads that reached the shim: performed"
    " + avoided + passed through.\n"
    "# TYPE trustcache_ca_loads_requested_total counter\n"
    "trustcache_ca_loads_requested_total{pid=\"4242\"} 52\n"
    "# HELP trustcache_ca_loads_performed_total CA file loads parsed by OpenSSL to fill the"
    " cache.\n"
    "# TYPE trustcache_ca_loads_performed_total counter\n"
    "trustcache_ca_loads_performed_total{pid=\"4242\"} 1\n"
    "# HELP trustcache_ca_loads_avoided_total CA file loads served from the cache without"
    " parsing.\n"
    "# TYPE trustcache_ca_loads_avoided_total counter\n"
    "trustcache_ca_loads_avoided_total{pid=\"4242\"} 49\n"
    "# HELP trustcache_ca_loads_passthrough_total CA file loads left to OpenSSL, by reason.\n"
    "# TYPE trustcache_ca_loads_passthrough_total counter\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"load_failed\"} 2\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"file_unavailable\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"not_a_regular_file\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"file_changed_during_load\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"openssl_major_unknown\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"symbol_missing\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"context_untracked\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"lookup_layout_unknown\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"path_table_full\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"load_order_unknown\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"library_context\"} 0\n"
    "trustcache_ca_loads_passthrough_total{pid=\"4242\",reason=\"internal_error\"} 0\n"
    "# HELP trustcache_contexts_created_total TLS contexts created.\n"
    "# TYPE trustcache_contexts_created_total counter\n"
    "trustcache_contexts_created_total{pid=\"4242\"} 60\n"
    "# HELP trustcache_contexts_freed_total TLS contexts destroyed.\n"
    "# TYPE trustcache_contexts_freed_total counter\n"
    "trustcache_contexts_freed_total{pid=\"4242\"} 55\n"
    "# HELP trustcache_contexts_live TLS contexts alive now.\n"
    "# TYPE trustcache_contexts_live gauge\n"
    "trustcache_contexts_live{pid=\"4242\"} 5\n"
    "# HELP trustcache_contexts_live_peak Most TLS contexts alive at once.\n"
    "# TYPE trustcache_contexts_live_peak gauge\n"
    "trustcache_contexts_live_peak{pid=\"4242\"} 7\n"
    "# HELP trustcache_contexts_leak_suspected 1 when more than 100 contexts are alive, at"
    " their peak, and more than half of all created: likely leaked.\n"
    "# TYPE trustcache_contexts_leak_suspected gauge\n"
    "trustcache_contexts_leak_suspected{pid=\"4242\"} 0\n"
    "# HELP trustcache_heap_avoided_estimate_bytes_total Heap the avoided parses would have"
    " kept (estimate).\n"
    "# TYPE trustcache_heap_avoided_estimate_bytes_total counter\n"
    "trustcache_heap_avoided_estimate_bytes_total{pid=\"4242\"} 1048576\n"
    "# HELP trustcache_parse_time_avoided_estimate_seconds_total Time the avoided parses would"
    " have taken (estimate).\n"
    "# TYPE trustcache_parse_time_avoided_estimate_seconds_total counter\n"
    "trustcache_parse_time_avoided_estimate_seconds_total{pid=\"4242\"} 1234.567890123\n"
    "# HELP trustcache_cache_invalidations_total Cached bundles dropped because the file"
    " changed on disk.\n"
    "# TYPE trustcache_cache_invalidations_total counter\n"
    "trustcache_cache_invalidations_total{pid=\"4242\"} 1\n"
    "# HELP trustcache_shared_stores_built_total Shared certificate stores built.\n"
    "# TYPE trustcache_shared_stores_built_total counter\n"
    "trustcache_shared_stores_built_total{pid=\"4242\"} 1\n"
    "# HELP trustcache_contexts_shared_total Contexts put on a shared certificate store.\n"
    "# TYPE trustcache_contexts_shared_total counter\n"
    "trustcache_contexts_shared_total{pid=\"4242\"} 50\n"
    "# HELP trustcache_stores_privatized_total Private store copies made for contexts that"
    " left sharing.\n"
    "# TYPE trustcache_stores_privatized_total counter\n"
    "trustcache_stores_privatized_total{pid=\"4242\"} 0\n"
    "# HELP trustcache_shared_store_mutations_total Changes made to a shared store from"
    " outside OpenSSL.\n"
    "# TYPE trustcache_shared_store_mutations_total counter\n"
    "trustcache_shared_store_mutations_total{pid=\"4242\"} 0\n"
    "# HELP trustcache_bundle_certs Certificates in the bundle's current content.\n"
    "# TYPE trustcache_bundle_certs gauge\n"
    "trustcache_bundle_certs{pid=\"4242\",bundle=\"/etc/ssl/certs/ca-certificates.crt\"} 144\n"
    "trustcache_bundle_certs{pid=\"4242\",bundle=\"/srv/we\\\"ird\\\\dir\\n\\\\xff.pem\"} 0\n"
    "# HELP trustcache_bundle_crls CRLs in the bundle's current content.\n"
    "# TYPE trustcache_bundle_crls gauge\n"
    "trustcache_bundle_crls{pid=\"4242\",bundle=\"/etc/ssl/certs/ca-certificates.crt\"} 2\n"
    "trustcache_bundle_crls{pid=\"4242\",bundle=\"/srv/we\\\"ird\\\\dir\\n\\\\xff.pem\"} 0\n"
    "# HELP trustcache_bundle_loads_performed_total Loads of this bundle parsed by OpenSSL.\n"
    "# TYPE trustcache_bundle_loads_performed_total counter\n"
    "trustcache_bundle_loads_performed_total{pid=\"4242\",bundle=\"/etc/ssl/certs/"
    "ca-certificates.crt\"} 1\n"
    "trustcache_bundle_loads_performed_total{pid=\"4242\",bundle=\"/srv/"
    "we\\\"ird\\\\dir\\n\\\\xff.pem\"} 0\n"
    "# HELP trustcache_bundle_loads_avoided_total Loads of this bundle served from the cache.\n"
    "# TYPE trustcache_bundle_loads_avoided_total counter\n"
    "trustcache_bundle_loads_avoided_total{pid=\"4242\",bundle=\"/etc/ssl/certs/"
    "ca-certificates.crt\"} 49\n"
    "trustcache_bundle_loads_avoided_total{pid=\"4242\",bundle=\"/srv/"
    "we\\\"ird\\\\dir\\n\\\\xff.pem\"} 0\n"
    "# HELP trustcache_bundle_invalidations_total Times this bundle changed on disk.\n"
    "# TYPE trustcache_bundle_invalidations_total counter\n"
    "trustcache_bundle_invalidations_total{pid=\"4242\",bundle=\"/etc/ssl/certs/"
    "ca-certificates.crt\"} 1\n"
    "trustcache_bundle_invalidations_total{pid=\"4242\",bundle=\"/srv/"
    "we\\\"ird\\\\dir\\n\\\\xff.pem\"} 0\n"
    "# HELP trustcache_bundle_contexts_live Live contexts this bundle was loaded into.\n"
    "# TYPE trustcache_bundle_contexts_live gauge\n"
    "trustcache_bundle_contexts_live{pid=\"4242\",bundle=\"/etc/ssl/certs/ca-certificates.crt\"} "
    "4\n"
    "trustcache_bundle_contexts_live{pid=\"4242\",bundle=\"/srv/we\\\"ird\\\\dir\\n\\\\xff.pem\"} "
    "0\n"
    "# HELP trustcache_host_connections_total Client connections, by SNI or verified host"
    " name.\n"
    "# TYPE trustcache_host_connections_total counter\n"
    "trustcache_host_connections_total{pid=\"4242\",host=\"api.example.com\"} 25\n"
    "trustcache_host_connections_total{pid=\"4242\",host=\"pooled.example\"} 30\n"
    "trustcache_host_connections_total{pid=\"4242\",host=\"(none)\"} 2\n"
    "# HELP trustcache_host_contexts_total Distinct TLS contexts the host's connections were"
    " made from.\n"
    "# TYPE trustcache_host_contexts_total counter\n"
    "trustcache_host_contexts_total{pid=\"4242\",host=\"api.example.com\"} 25\n"
    "trustcache_host_contexts_total{pid=\"4242\",host=\"pooled.example\"} 1\n"
    "trustcache_host_contexts_total{pid=\"4242\",host=\"(none)\"} 2\n"
    "# HELP trustcache_host_contexts_with_ca_load_total Of those contexts, the ones a CA"
    " bundle was loaded into.\n"
    "# TYPE trustcache_host_contexts_with_ca_load_total counter\n"
    "trustcache_host_contexts_with_ca_load_total{pid=\"4242\",host=\"api.example.com\"} 25\n"
    "trustcache_host_contexts_with_ca_load_total{pid=\"4242\",host=\"pooled.example\"} 1\n"
    "trustcache_host_contexts_with_ca_load_total{pid=\"4242\",host=\"(none)\"} 0\n"
    "# HELP trustcache_host_ca_loads_avoided_total CA loads served from the cache into the"
    " host's contexts.\n"
    "# TYPE trustcache_host_ca_loads_avoided_total counter\n"
    "trustcache_host_ca_loads_avoided_total{pid=\"4242\",host=\"api.example.com\"} 24\n"
    "trustcache_host_ca_loads_avoided_total{pid=\"4242\",host=\"pooled.example\"} 0\n"
    "trustcache_host_ca_loads_avoided_total{pid=\"4242\",host=\"(none)\"} 0\n"
    "# HELP trustcache_host_churn 1 when 20 or more connections each built their own"
    " context.\n"
    "# TYPE trustcache_host_churn gauge\n"
    "trustcache_host_churn{pid=\"4242\",host=\"api.example.com\"} 1\n"
    "trustcache_host_churn{pid=\"4242\",host=\"pooled.example\"} 0\n"
    "trustcache_host_churn{pid=\"4242\",host=\"(none)\"} 0\n";

START_TEST(prom_golden)
{
    struct tc_stats_view v;
    char *doc;

    sample_view(&v);
    doc = render(tc_render_prom, &v);
    ck_assert_str_eq(doc, GOLDEN_PROM);
    free(doc);
}
END_TEST

START_TEST(prom_label_escapes)
{
    struct tc_stats_view v;
    char *doc;

    sample_view(&v);
    g_bundles[0].path = "a\\b\"c\nd\te\x7f"
                        "f\xc3\xa9g\xc3(h";
    v.nbundles = 1;
    doc = render(tc_render_prom, &v);
    /* \ " and newline by the format's escapes; tab, DEL and bytes that are not
     * UTF-8 as a literal \xNN; valid UTF-8 as is. */
    ck_assert_msg(
        strstr(doc, ",bundle=\"a\\\\b\\\"c\\nd\\\\x09e\\\\x7ff\xc3\xa9g\\\\xc3(h\"} 144\n"), "%s",
        doc);
    free(doc);
}
END_TEST

/* Families without rows are left out; every sample follows its HELP and TYPE. */
START_TEST(prom_structure)
{
    struct tc_stats_view v;
    char *doc, *line, *save = NULL, family[128] = "";
    int samples = 0;

    sample_view(&v);
    v.nbundles = 0;
    v.nhosts = 0;
    doc = render(tc_render_prom, &v);
    ck_assert_ptr_null(strstr(doc, "trustcache_bundle_"));
    ck_assert_ptr_null(strstr(doc, "trustcache_host_"));
    for (line = strtok_r(doc, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char name[128];

        if (!strncmp(line, "# HELP ", 7)) {
            ck_assert_int_eq(sscanf(line + 7, "%127s", family), 1);
        } else if (!strncmp(line, "# TYPE ", 7)) {
            ck_assert_int_eq(sscanf(line + 7, "%127s", name), 1);
            ck_assert_str_eq(name, family);
        } else {
            ck_assert_int_eq(sscanf(line, "%127[a-z_]", name), 1);
            ck_assert_msg(!strcmp(name, family), "sample %s under family %s", line, family);
            samples++;
        }
    }
    ck_assert_int_eq(samples, 1 + 3 + 12 + 5 + 7);
    free(doc);
}
END_TEST

/* ---- runner ----------------------------------------------------------------- */

/* One test case per test, so results carry the test's own name. */
#define ADD(s, fn)                                                                                 \
    do {                                                                                           \
        TCase *tc_ = tcase_create(#fn);                                                            \
        tcase_add_test(tc_, fn);                                                                   \
        suite_add_tcase(s, tc_);                                                                   \
    } while (0)

static Suite *hosts_suite(void)
{
    Suite *s = suite_create("hosts");

    ADD(s, clean_lowercases_and_keeps_dns_names);
    ADD(s, clean_escapes_everything_else);
    ADD(s, clean_cuts_long_names_between_escapes);
    ADD(s, table_rows_and_reserved_rows);
    ADD(s, table_bound_overflows_into_other);
    ADD(s, count_contexts_once_and_avoided_loads_as_they_grow);
    ADD(s, acct_hosts_none_and_late_loads);
    ADD(s, acct_bound_from_environment);
    ADD(s, acct_bundle_contexts_live);
    ADD(s, acct_loads_from_many_threads);
    ADD(s, acct_fork_child_starts_its_own_rows);
    ADD(s, churn_rule);
    ADD(s, leak_rule);
    ADD(s, json_hosts_peak_and_bundle_live);
    ADD(s, json_empty_hosts_and_leak_flag);
    ADD(s, text_churn_and_leak_lines);
    ADD(s, prom_golden);
    ADD(s, prom_label_escapes);
    ADD(s, prom_structure);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(hosts_suite());
    TestResult **res;
    int i, run, failed;

    /* Each test in its own process: configuration and tables start fresh. */
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_SILENT);
    res = srunner_results(sr);
    run = srunner_ntests_run(sr);
    for (i = 0; i < run; i++) {
        if (tr_rtype(res[i]) == CK_PASS)
            printf("PASS %s\n", tr_tcname(res[i]));
        else
            printf("FAIL %s: %s (%s:%d)\n", tr_tcname(res[i]), tr_msg(res[i]), tr_lfile(res[i]),
                   tr_lno(res[i]));
    }
    free(res);
    failed = srunner_ntests_failed(sr);
    printf("%d passed, %d failed\n", run - failed, failed);
    srunner_free(sr);
    return failed == 0 && run > 0 ? 0 : 1;
}

#endif /* TC_UNIT_HOSTS */
