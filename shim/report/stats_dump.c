/* The stats dump: collection, destination, atomic write. */
#include "base/child_locks.h"
#include "report/stats_dump.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/bundle_cache.h"
#include "base/config.h"
#include "ossl/ossl.h"

struct collect {
    struct tc_stats_view *v;
    size_t cap;
    const struct tc_ossl *first;
    int res_next, res_caller;
};

static void collect_entry(const struct tc_entry *e, void *arg)
{
    struct collect *c = arg;
    struct tc_stats_bundle *s;

    if (c->v->nbundles == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        struct tc_stats_bundle *b = realloc(c->v->bundles, cap * sizeof(*b));
        if (!b)
            return;
        c->v->bundles = b;
        c->cap = cap;
    }
    s = &c->v->bundles[c->v->nbundles];
    memset(s, 0, sizeof(*s));
    if (!(s->path = strdup(e->path)))
        return;
    memcpy(s->sha256, e->sha_hex, sizeof(s->sha256));
    s->certs = e->certs;
    s->crls = e->crls;
    s->loads_performed = __atomic_load_n(&e->loads_performed, __ATOMIC_RELAXED);
    s->loads_avoided = __atomic_load_n(&e->loads_avoided, __ATOMIC_RELAXED);
    s->invalidations = __atomic_load_n(&e->invalidations, __ATOMIC_RELAXED);
    s->contexts_live = __atomic_load_n(&e->contexts_live, __ATOMIC_RELAXED);
    c->v->nbundles++;
}

static void collect_copy(struct tc_ossl *o, void *arg)
{
    struct collect *c = arg;

    if (!c->first || (!c->first->active && o->active))
        c->first = o;
    if (o->resolution == TC_RES_NEXT)
        c->res_next = 1;
    else
        c->res_caller = 1;
    if (__atomic_load_n(&o->ready, __ATOMIC_ACQUIRE) > 0)
        tc_cache_foreach_entry(o->cache, collect_entry, c);
}

static tc_stats_source_fn g_source; /* atomic */

void tc_stats_set_source(tc_stats_source_fn fn)
{
    __atomic_store_n(&g_source, fn, __ATOMIC_RELEASE);
}

void tc_stats_collect(struct tc_stats_view *v)
{
    struct collect c = {.v = v};
    tc_stats_source_fn source = __atomic_load_n(&g_source, __ATOMIC_ACQUIRE);

    memset(v, 0, sizeof(*v));
    tc_counters_snapshot(&v->counters);
    tc_ossl_foreach(collect_copy, &c);
    if (source)
        source(v);
    v->version = TC_VERSION;
    v->pid = (long)getpid();
    v->openssl_version =
        c.first ? (c.first->version_text[0] ? c.first->version_text : "unknown") : "not loaded";
    v->mode = tc_mode_name(tc_config()->mode);
    v->resolution = c.res_next && c.res_caller ? "rtld_next+caller"
                    : c.res_next               ? "rtld_next"
                    : c.res_caller             ? "caller"
                                               : "none";
}

void tc_stats_view_free(struct tc_stats_view *v)
{
    size_t i;

    for (i = 0; i < v->nbundles; i++)
        free(v->bundles[i].path);
    free(v->bundles);
    for (i = 0; i < v->nhosts; i++)
        free(v->hosts[i].host);
    free(v->hosts);
    memset(v, 0, sizeof(*v));
}

int tc_stats_expand_path(const char *template, long pid, char *out, size_t len)
{
    size_t n = 0;
    const char *p;
    int w;

    if (!len)
        return 0;
    out[0] = '\0';
    for (p = template; *p; p++) {
        if (p[0] == '%' && (p[1] == 'p' || p[1] == '%')) {
            w = p[1] == 'p' ? snprintf(out + n, len - n, "%ld", pid)
                            : snprintf(out + n, len - n, "%%");
            p++;
        } else {
            w = snprintf(out + n, len - n, "%c", *p);
        }
        if (w < 0 || (size_t)w >= len - n)
            return 0;
        n += (size_t)w;
    }
    return 1;
}

static int write_all(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t w = write(fd, data, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return 0;
        data += w;
        len -= (size_t)w;
    }
    return 1;
}

int tc_write_atomic(const char *path, const char *data, size_t len)
{
    static unsigned counter;
    char tmp[PATH_MAX];
    int fd, ok, saved;

    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(),
                 __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED)) >= (int)sizeof(tmp)) {
        errno = ENAMETOOLONG;
        return 0;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return 0;
    ok = write_all(fd, data, len);
    saved = errno;
    ok = close(fd) == 0 && ok;
    /* rename() replaces a symlink at `path` itself; it never writes through it. */
    if (ok && rename(tmp, path) == 0)
        return 1;
    saved = errno ? errno : saved;
    unlink(tmp);
    errno = saved;
    return 0;
}

static void warn(const char *what, const char *path)
{
    char line[PATH_MAX + 128];
    int n = snprintf(line, sizeof(line), "trustcache: cannot write stats to %s: %s\n", path, what);

    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}

static void render(const struct tc_config *cfg, struct tc_buf *out)
{
    enum tc_stats_format fmt = cfg->stats_format;
    struct tc_stats_view v;

    if (fmt == TC_FMT_AUTO)
        fmt = cfg->stats_dest == TC_STATS_STDERR ? TC_FMT_TEXT : TC_FMT_JSON;
    tc_stats_collect(&v);
    if (fmt == TC_FMT_JSON)
        tc_render_json(&v, out);
    else if (fmt == TC_FMT_PROM)
        tc_render_prom(&v, out);
    else
        tc_render_text(&v, out);
    tc_stats_view_free(&v);
}

/* Writes `out` where the configuration says; a failure is reported once per
 * process unless `final` (periodic rewrites would repeat it every interval). */
static int emit(const struct tc_config *cfg, const struct tc_buf *out, int final)
{
    static int warned;
    char path[PATH_MAX];
    const char *why = NULL, *shown = path;
    int ok = 0;

    if (cfg->stats_dest == TC_STATS_STDERR)
        return write_all(STDERR_FILENO, out->data, out->len);
    if (!tc_stats_expand_path(cfg->stats_path, (long)getpid(), path, sizeof(path))) {
        why = "path too long";
        shown = cfg->stats_path;
    } else if (!(ok = tc_write_atomic(path, out->data, out->len))) {
        why = strerror(errno);
    }
    if (why && (final || !warned)) {
        warned = 1;
        warn(why, shown);
    }
    return ok;
}

static pthread_mutex_t g_dump_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_final_done;

static int dump(int final)
{
    const struct tc_config *cfg = tc_config();
    struct tc_buf out = {0};
    int ok = 1;

    if (cfg->secure || cfg->stats_dest == TC_STATS_NONE)
        return 1;
    if (!tc_ossl_seen())
        return 1; /* never touched OpenSSL (a shell, a wrapper): nothing to say */
    pthread_mutex_lock(&g_dump_lock);
    if (!g_final_done) {
        g_final_done = final;
        render(cfg, &out);
        ok = !out.failed && out.data && emit(cfg, &out, final);
        tc_buf_free(&out);
    }
    pthread_mutex_unlock(&g_dump_lock);
    return ok;
}

int tc_stats_dump(void) { return dump(0); }
int tc_stats_dump_final(void) { return dump(1); }

void tc_stats_dump_lock_for_fork(void) { pthread_mutex_lock(&g_dump_lock); }
void tc_stats_dump_unlock_after_fork(int in_child)
{
    if (!in_child) {
        pthread_mutex_unlock(&g_dump_lock);
        return;
    }
    /* glibc ties a held lock to the thread that took it: the child starts afresh. */
    tc_child_mutex(&g_dump_lock);
    g_final_done = 0;
}
