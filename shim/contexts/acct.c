/*
 * Per-context and per-host accounting.
 *
 * A CA load and a context's death touch only that context's record, under
 * the record's own word lock, and the cache entry's live-context count, an
 * atomic: the load path shares no lock between contexts.  Connections go
 * through one mutex for the host table, then the record's lock (always in
 * that order).  Never held while OpenSSL runs, never from a signal handler.
 */
#include "base/child_locks.h"
#include "contexts/acct.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cache/bundle_cache.h"
#include "base/config.h"
#include "contexts/hosts.h"
#include "report/stats_dump.h"
#include "base/word_lock.h"

/*
 * A list, not a growing array: a load updates it with one pointer store, so
 * a fork() while another thread is in the middle of a load (the record's
 * word lock is not held across fork, unlike a mutex) leaves the child a
 * list that is whole, at worst without the node being added.
 */
struct held {
    struct tc_entry *entry;
    struct held *next;
};

struct tc_ctx_acct {
    struct tc_ctx_loads loads;  /* in this process (a fork child starts over) */
    struct held *held;          /* entries loaded into the context, each once */
    struct tc_host_link *links; /* one per host its connections went to */
    int nlinks, caplinks;
    unsigned gen;
};

/* The host table; taken before any record's lock. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tc_hosts *g_hosts;
static unsigned g_gen = 1; /* atomic: a fork child starts a new host table, links go stale */
static int g_source_set;   /* atomic */

int tc_acct_enabled(void) { return tc_config()->stats_dest != TC_STATS_NONE; }

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
static void live_change(struct tc_entry *entry, int delta)
{
    if (delta > 0)
        __atomic_add_fetch(&entry->contexts_live, 1, __ATOMIC_RELAXED);
    else
        __atomic_sub_fetch(&entry->contexts_live, 1, __ATOMIC_RELAXED);
}

static void collect(struct tc_stats_view *v);

/* First use: the stats start asking for the host rows. */
static void ready(void)
{
    if (!__atomic_load_n(&g_source_set, __ATOMIC_ACQUIRE) &&
        !__atomic_exchange_n(&g_source_set, 1, __ATOMIC_ACQ_REL))
        tc_stats_set_source(collect);
}

static void rec_lock(struct tc_ctx_rec *rec) { tc_word_lock(&rec->acct_lockword); }
static void rec_unlock(struct tc_ctx_rec *rec) { tc_word_unlock(&rec->acct_lockword); }

/* The context's accounting, created on first use; record lock held. */
static struct tc_ctx_acct *acct_of(struct tc_ctx_rec *rec)
{
    struct tc_ctx_acct *a = rec->acct;
    unsigned gen = __atomic_load_n(&g_gen, __ATOMIC_ACQUIRE);

    if (!a && (a = rec->acct = calloc(1, sizeof(*a))))
        a->gen = gen;
    if (a && a->gen != gen) {
        /* A fork child: only what happens from now on is this process's. */
        memset(&a->loads, 0, sizeof(a->loads));
        a->nlinks = 0;
        a->gen = gen;
    }
    return a;
}

static int holds(const struct tc_ctx_acct *a, const struct tc_entry *entry)
{
    const struct held *h;

    for (h = a->held; h; h = h->next)
        if (h->entry == entry)
            return 1;
    return 0;
}

/* Notes that the context holds `entry`; record lock held. */
static void hold(struct tc_ctx_acct *a, struct tc_entry *entry)
{
    struct held *h;

    if (holds(a, entry) || !(h = malloc(sizeof(*h))))
        return;
    h->entry = entry;
    h->next = a->held;
    a->held = h; /* the one store that adds it */
    live_change(entry, 1);
}

void tc_acct_load(struct tc_ctx_rec *rec, struct tc_entry *entry, int hit)
{
    struct tc_ctx_acct *a;

    ready();
    rec_lock(rec);
    if (!rec->dead && (a = acct_of(rec))) {
        if (hit)
            a->loads.avoided++;
        else
            a->loads.performed++;
        if (entry)
            hold(a, entry);
    }
    rec_unlock(rec);
}

/* Each node, once detached from the record, is released. */
static void release_held(struct held *h)
{
    struct held *next;

    for (; h; h = next) {
        next = h->next;
        live_change(h->entry, -1);
        free(h);
    }
}

void tc_acct_ctx_dead(struct tc_ctx_rec *rec)
{
    struct held *h = NULL;

    rec_lock(rec);
    rec->dead = 1;
    if (rec->acct) {
        h = rec->acct->held;
        rec->acct->held = NULL; /* detached first: see struct held */
    }
    rec_unlock(rec);
    release_held(h);
}

void tc_acct_ctx_free(struct tc_ctx_rec *rec)
{
    if (!rec->acct)
        return;
    release_held(rec->acct->held); /* a record never declared dead */
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
 * connection or (connection 0) as an update to an existing link; host table
 * lock held.
 */
static void count(struct tc_host *h, struct tc_ctx_rec *rec, int connection)
{
    static const struct tc_ctx_loads none;
    struct tc_ctx_acct *a;
    struct tc_host_link *link;

    if (!rec) {
        if (connection)
            tc_host_count(h, NULL, &none);
        return;
    }
    rec_lock(rec);
    a = acct_of(rec);
    if (connection)
        tc_host_count(h, a ? link_for(a, h) : NULL, a ? &a->loads : &none);
    else if (a && (link = find_link(a, h)))
        tc_host_update(h, link, &a->loads);
    rec_unlock(rec);
}

void tc_acct_connection(struct tc_ctx_rec *rec, const char *host, struct tc_acct_mark *mark)
{
    char key[TC_HOST_NAME_MAX + 1];
    struct tc_host *h = NULL;

    if (host)
        tc_host_clean(host, key);
    ready();
    pthread_mutex_lock(&g_lock);
    if (!g_hosts)
        g_hosts = tc_hosts_new(tc_config()->max_hosts);
    if (g_hosts) {
        h = tc_hosts_get(g_hosts, host ? key : NULL);
        count(h, rec, 1);
    }
    if (mark) {
        mark->host = h;
        mark->gen = __atomic_load_n(&g_gen, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&g_lock);
}

void tc_acct_connection_end(struct tc_ctx_rec *rec, const struct tc_acct_mark *mark)
{
    pthread_mutex_lock(&g_lock);
    if (rec && mark->host && mark->gen == __atomic_load_n(&g_gen, __ATOMIC_RELAXED))
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
    size_t rows;

    pthread_mutex_lock(&g_lock);
    rows = g_hosts ? tc_hosts_rows(g_hosts) : 0;
    if (rows && (v->hosts = calloc(rows, sizeof(*v->hosts))))
        tc_hosts_foreach(g_hosts, add_row, v);
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
    __atomic_add_fetch(&g_gen, 1, __ATOMIC_RELEASE);
    tc_child_mutex(&g_lock);
}
