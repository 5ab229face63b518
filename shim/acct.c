/*
 * Per-context and per-host accounting, behind one mutex.  It is taken once
 * per served CA load, per connection counted and per context destroyed;
 * never while OpenSSL runs, never from a signal handler.
 */
#include "child_locks.h"
#include "acct.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "tc_hash.h"

#include "config.h"
#include "hosts.h"
#include "stats_dump.h"

/* Live contexts each cache entry was loaded into, by entry (entries live forever). */
struct live {
    const void *entry;
    uint64_t n;
    UT_hash_handle hh;
};

struct tc_ctx_acct {
    struct tc_ctx_loads loads;   /* in this process (a fork child starts over) */
    const void **held;           /* entries loaded into the context, each once */
    int nheld, capheld;
    struct tc_host_link *links;  /* one per host its connections went to */
    int nlinks, caplinks;
    unsigned gen;
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tc_hosts *g_hosts;
static unsigned g_gen = 1; /* a fork child starts a new host table: links go stale */
static struct live *g_live;
static int g_source_set;

int tc_acct_enabled(void)
{
    return tc_config()->stats_dest != TC_STATS_NONE;
}

/* Doubles `*arr` (of `*cap` elements of `size`) when full; 0 on failure. */
static int grow(void **arr, int n, int *cap, size_t size)
{
    int want = *cap ? *cap * 2 : 4;
    void *bigger;

    if (n < *cap)
        return 1;
    if (!(bigger = realloc(*arr, (size_t)want * size)))
        return 0;
    *arr = bigger;
    *cap = want;
    return 1;
}

/* One more (delta > 0) or one fewer live context holds `entry`. */
static void live_change(const void *entry, int delta)
{
    struct live *l;

    HASH_FIND_PTR(g_live, &entry, l);
    if (!l && delta > 0 && (l = calloc(1, sizeof(*l)))) {
        l->entry = entry;
        HASH_ADD_PTR(g_live, entry, l);
        if (!TC_HASH_ADDED()) {
            free(l);
            l = NULL;
        }
    }
    if (l && delta > 0)
        l->n++;
    else if (l && l->n)
        l->n--;
}

static void collect(struct tc_stats_view *v);

/* First use: the stats start asking for the rows; lock held. */
static void ready(void)
{
    if (!g_source_set) {
        tc_stats_set_source(collect);
        g_source_set = 1;
    }
}

/* The context's accounting, created on first use; lock held. */
static struct tc_ctx_acct *acct_of(struct tc_ctx_rec *rec)
{
    struct tc_ctx_acct *a = rec->acct;

    if (!a && (a = rec->acct = calloc(1, sizeof(*a))))
        a->gen = g_gen;
    if (a && a->gen != g_gen) {
        /* A fork child: only what happens from now on is this process's. */
        memset(&a->loads, 0, sizeof(a->loads));
        a->nlinks = 0;
        a->gen = g_gen;
    }
    return a;
}

static int holds(const struct tc_ctx_acct *a, const void *entry)
{
    int i;

    for (i = 0; i < a->nheld; i++)
        if (a->held[i] == entry)
            return 1;
    return 0;
}

void tc_acct_load(struct tc_ctx_rec *rec, const void *entry, int hit)
{
    struct tc_ctx_acct *a;

    pthread_mutex_lock(&g_lock);
    ready();
    if (!rec->dead && (a = acct_of(rec))) {
        if (hit)
            a->loads.avoided++;
        else
            a->loads.performed++;
        if (entry && !holds(a, entry) &&
            grow((void **)&a->held, a->nheld, &a->capheld, sizeof(*a->held))) {
            a->held[a->nheld++] = entry;
            live_change(entry, 1);
        }
    }
    pthread_mutex_unlock(&g_lock);
}

void tc_acct_ctx_dead(struct tc_ctx_rec *rec)
{
    struct tc_ctx_acct *a;
    int i;

    pthread_mutex_lock(&g_lock);
    rec->dead = 1;
    if ((a = rec->acct)) {
        for (i = 0; i < a->nheld; i++)
            live_change(a->held[i], -1);
        a->nheld = 0;
    }
    pthread_mutex_unlock(&g_lock);
}

void tc_acct_ctx_free(struct tc_ctx_rec *rec)
{
    if (!rec->acct)
        return;
    free(rec->acct->held);
    free(rec->acct->links);
    free(rec->acct);
    rec->acct = NULL;
}

static struct tc_host_link *find_link(struct tc_ctx_acct *a, const struct tc_host *h)
{
    int i;

    for (i = 0; i < a->nlinks; i++)
        if (a->links[i].host == h)
            return &a->links[i];
    return NULL;
}

/* The context's link to `h`, added if new; NULL if it cannot be kept. */
static struct tc_host_link *link_for(struct tc_ctx_acct *a, const struct tc_host *h)
{
    struct tc_host_link *l = find_link(a, h);

    if (l || !grow((void **)&a->links, a->nlinks, &a->caplinks, sizeof(*a->links)))
        return l;
    memset(&a->links[a->nlinks], 0, sizeof(a->links[0]));
    return &a->links[a->nlinks++];
}

/*
 * Counts what the context of `rec` has done for `h` so far, with a new
 * connection or (connection 0) as an update to an existing link; lock held.
 */
static void count(struct tc_host *h, struct tc_ctx_rec *rec, int connection)
{
    static const struct tc_ctx_loads none;
    struct tc_ctx_acct *a = rec ? acct_of(rec) : NULL;
    struct tc_host_link *link;

    if (connection) {
        tc_host_count(h, a ? link_for(a, h) : NULL, a ? &a->loads : &none);
    } else if (a && (link = find_link(a, h))) {
        tc_host_update(h, link, &a->loads);
    }
}

void tc_acct_connection(struct tc_ctx_rec *rec, const char *host, struct tc_acct_mark *mark)
{
    char key[TC_HOST_NAME_MAX + 1];
    struct tc_host *h = NULL;

    if (host)
        tc_host_clean(host, key);
    pthread_mutex_lock(&g_lock);
    ready();
    if (!g_hosts)
        g_hosts = tc_hosts_new(tc_config()->max_hosts);
    if (g_hosts) {
        h = tc_hosts_get(g_hosts, host ? key : NULL);
        count(h, rec, 1);
    }
    if (mark) {
        mark->host = h;
        mark->gen = g_gen;
    }
    pthread_mutex_unlock(&g_lock);
}

void tc_acct_connection_end(struct tc_ctx_rec *rec, const struct tc_acct_mark *mark)
{
    pthread_mutex_lock(&g_lock);
    if (rec && mark->host && mark->gen == g_gen)
        count(mark->host, rec, 0);
    pthread_mutex_unlock(&g_lock);
}

/* ---- the stats view --------------------------------------------------- */

static void add_row(const struct tc_host *h, void *arg)
{
    struct tc_stats_view *v = arg;
    struct tc_stats_host *row = &v->hosts[v->nhosts];

    if (!(row->host = strdup(h->name)))
        return;
    row->connections = h->connections;
    row->contexts = h->contexts;
    row->contexts_with_ca_load = h->contexts_with_ca_load;
    row->ca_loads_avoided = h->ca_loads_avoided;
    v->nhosts++;
}

static void collect(struct tc_stats_view *v)
{
    struct live *l;
    size_t i, rows;

    pthread_mutex_lock(&g_lock);
    rows = g_hosts ? tc_hosts_rows(g_hosts) : 0;
    if (rows && (v->hosts = calloc(rows, sizeof(*v->hosts))))
        tc_hosts_foreach(g_hosts, add_row, v);
    for (i = 0; i < v->nbundles; i++) {
        const void *key = v->bundles[i].key;

        HASH_FIND_PTR(g_live, &key, l);
        v->bundles[i].contexts_live = l ? l->n : 0;
    }
    pthread_mutex_unlock(&g_lock);
}

/* ---- fork --------------------------------------------------------------- */

void tc_acct_atfork_prepare(void) { pthread_mutex_lock(&g_lock); }
void tc_acct_atfork_parent(void) { pthread_mutex_unlock(&g_lock); }

void tc_acct_atfork_child(void)
{
    /* Contexts (and the bundles they hold) survive a fork; connections
     * counted so far were the parent's. */
    tc_hosts_free(g_hosts);
    g_hosts = NULL;
    g_gen++;
    tc_child_mutex(&g_lock);
}
