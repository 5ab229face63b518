/* The bundle cache: tables, LRU bound, refcounts, racy-stat validation. */
#include "base/child_locks.h"
#include "cache/bundle_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/stats.h"

struct tc_cache {
    pthread_rwlock_t lock;
    pthread_mutex_t fill_lock; /* guards entry->filling */
    pthread_cond_t fill_done;
    struct tc_entry *entries;       /* by key */
    struct tc_entry *first, **last; /* creation order, for the stats */
    unsigned nentries, max_entries;
    struct tc_bundle *bundles; /* by content key */
    unsigned nbundles, max_bundles;
    uint64_t tick; /* atomic */
    tc_bundle_release_fn release;
    void *release_arg;
};

static uint64_t g_serial; /* atomic; serials are unique across caches */

struct tc_cache *tc_cache_new(unsigned max_bundles, unsigned max_entries,
                              tc_bundle_release_fn release, void *arg)
{
    struct tc_cache *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (pthread_rwlock_init(&c->lock, NULL) != 0) {
        free(c);
        return NULL;
    }
    pthread_mutex_init(&c->fill_lock, NULL);
    pthread_cond_init(&c->fill_done, NULL);
    c->last = &c->first;
    c->max_bundles = max_bundles ? max_bundles : 1;
    c->max_entries = max_entries ? max_entries : 1;
    c->release = release;
    c->release_arg = arg;
    return c;
}

static void touch(struct tc_bundle *b)
{
    __atomic_store_n(&b->last_used, __atomic_add_fetch(&b->cache->tick, 1, __ATOMIC_RELAXED),
                     __ATOMIC_RELAXED);
}

struct tc_bundle *tc_bundle_new(struct tc_cache *c, const char *content_key,
                                const unsigned char *sha)
{
    struct tc_bundle *b = calloc(1, sizeof(*b));

    if (!b || !(b->content_key = strdup(content_key))) {
        free(b);
        return NULL;
    }
    memcpy(b->sha256, sha, TC_SHA256_LEN);
    b->cache = c;
    b->refs = 1;
    b->serial = __atomic_add_fetch(&g_serial, 1, __ATOMIC_RELAXED);
    return b;
}

/*
 * Calibration (OpenSSL 3.0.19, glibc malloc, retained heap of
 * X509_load_cert_crl_file into a fresh store, 20 bundles of 16 to 144
 * certificates): a least-squares fit gives 3,130 bytes per certificate plus
 * 1.97 per DER byte, within 25% of every measured fill; the 144-certificate
 * system bundle is estimated at 741 KiB against 738-772 KiB measured.  A CRL
 * keeps about 8.6 bytes per DER byte and no fixed part worth modelling (its
 * revoked entries each become an object of their own).  The Python suite
 * checks the model against a measured load on every OpenSSL it runs on.
 */
#define TC_HEAP_PER_CERT_X10     31300u /* 3,130 bytes per certificate, in tenths */
#define TC_HEAP_PER_CERT_DER_X10 20u    /* 2 bytes per DER byte, in tenths */
#define TC_HEAP_PER_CRL_DER_X10  86u    /* 8.6 bytes per DER byte, in tenths */

static size_t sat_add(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

/* n * tenths / 10, saturating at SIZE_MAX. */
static size_t sat_scale(size_t n, size_t tenths)
{
    return n > SIZE_MAX / tenths ? SIZE_MAX : n * tenths / 10;
}

size_t tc_heap_estimate(int certs, size_t cert_der_bytes, size_t crl_der_bytes)
{
    size_t total = sat_scale(certs > 0 ? (size_t)certs : 0, TC_HEAP_PER_CERT_X10);

    total = sat_add(total, sat_scale(cert_der_bytes, TC_HEAP_PER_CERT_DER_X10));
    return sat_add(total, sat_scale(crl_der_bytes, TC_HEAP_PER_CRL_DER_X10));
}

void tc_bundle_hold(struct tc_bundle *b) { __atomic_add_fetch(&b->refs, 1, __ATOMIC_ACQ_REL); }

void tc_bundle_release(struct tc_bundle *b)
{
    if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (b->cache->release)
        b->cache->release(b, b->cache->release_arg);
    free(b->objs);
    free(b->is_crl);
    free(b->dups);
    free(b->dup_is_crl);
    free(b->dup_at);
    free(b->content_key);
    free(b);
}

struct tc_entry *tc_cache_entry(struct tc_cache *c, const char *key, const char *path)
{
    struct tc_entry *e;
    size_t klen = strlen(key);

    pthread_rwlock_rdlock(&c->lock);
    HASH_FIND(hh, c->entries, key, klen, e);
    pthread_rwlock_unlock(&c->lock);
    if (e)
        return e;

    pthread_rwlock_wrlock(&c->lock);
    HASH_FIND(hh, c->entries, key, klen, e);
    if (!e && c->nentries < c->max_entries && (e = calloc(1, sizeof(*e)))) {
        e->key = strdup(key);
        e->path = strdup(path);
        if (e->key && e->path)
            HASH_ADD_KEYPTR(hh, c->entries, e->key, klen, e);
        if (!e->key || !e->path || !TC_HASH_ADDED()) {
            free(e->key);
            free(e->path);
            free(e);
            e = NULL;
        } else {
            *c->last = e;
            c->last = &e->next_in_order;
            c->nentries++;
        }
    }
    pthread_rwlock_unlock(&c->lock);
    return e;
}

enum tc_check tc_cache_check(struct tc_cache *c, struct tc_entry *e, const struct tc_identity *now,
                             struct tc_bundle **out, unsigned char *sha_out)
{
    enum tc_check res;

    *out = NULL;
    pthread_rwlock_rdlock(&c->lock);
    if (!e->bundle) {
        res = TC_CHECK_EMPTY;
    } else if (!tc_identity_equal(&e->id, now)) {
        res = TC_CHECK_CHANGED;
    } else if (tc_identity_racy(&e->id, &e->read_at)) {
        memcpy(sha_out, e->bundle->sha256, TC_SHA256_LEN);
        res = TC_CHECK_RACY;
    } else {
        *out = e->bundle;
        tc_bundle_hold(*out);
        touch(*out);
        res = TC_CHECK_HIT;
    }
    pthread_rwlock_unlock(&c->lock);
    return res;
}

/* Removes `b` from the content table; the caller releases the table's reference. */
static void unlink_bundle(struct tc_cache *c, struct tc_bundle *b)
{
    if (b->in_table) {
        HASH_DELETE(hh, c->bundles, b);
        b->in_table = 0;
        c->nbundles--;
    }
}

/*
 * Detaches the entry's bundle.  A bundle no entry holds any more leaves the
 * table; it is freed once in-flight users release it.  Returns the references
 * to drop after the lock is released (OpenSSL frees must not run under it).
 */
static int detach(struct tc_cache *c, struct tc_entry *e, struct tc_bundle **drop)
{
    struct tc_bundle *b = e->bundle;
    int n = 0;

    if (!b)
        return 0;
    e->bundle = NULL;
    drop[n++] = b; /* the entry's reference */
    if (--b->entries == 0 && b->in_table) {
        unlink_bundle(c, b);
        drop[n++] = b; /* the table's reference */
    }
    return n;
}

static void drop_all(struct tc_bundle **drop, int n)
{
    while (n-- > 0)
        tc_bundle_release(drop[n]);
}

void tc_cache_invalidate(struct tc_cache *c, struct tc_entry *e)
{
    struct tc_bundle *drop[2];
    int n;

    pthread_rwlock_wrlock(&c->lock);
    n = detach(c, e, drop);
    pthread_rwlock_unlock(&c->lock);
    if (n) {
        __atomic_add_fetch(&e->invalidations, 1, __ATOMIC_RELAXED);
        TC_COUNT(cache_invalidations, 1);
    }
    drop_all(drop, n);
}

struct tc_bundle *tc_cache_confirm(struct tc_cache *c, struct tc_entry *e, const unsigned char *sha,
                                   const struct tc_identity *id, const struct timespec *read_at)
{
    struct tc_bundle *b = NULL;

    pthread_rwlock_wrlock(&c->lock);
    if (e->bundle && tc_identity_equal(&e->id, id) &&
        !memcmp(e->bundle->sha256, sha, TC_SHA256_LEN)) {
        e->read_at = *read_at; /* once old enough, stat alone vouches again */
        b = e->bundle;
        tc_bundle_hold(b);
        touch(b);
    }
    pthread_rwlock_unlock(&c->lock);
    return b;
}

struct tc_bundle *tc_cache_find_content(struct tc_cache *c, const char *content_key)
{
    struct tc_bundle *b;

    pthread_rwlock_rdlock(&c->lock);
    HASH_FIND_STR(c->bundles, content_key, b);
    if (b)
        tc_bundle_hold(b);
    pthread_rwlock_unlock(&c->lock);
    return b;
}

/* Evicts least recently used bundles over the bound, sparing `keep`. */
static int evict_over_bound(struct tc_cache *c, struct tc_bundle *keep, struct tc_bundle ***drop,
                            int *cap)
{
    int n = 0;

    while (c->nbundles > c->max_bundles) {
        struct tc_bundle *b, *tmp, *victim = NULL;
        struct tc_entry *e;

        HASH_ITER(hh, c->bundles, b, tmp) {
            /* cppcheck-suppress uninitvar ; HASH_ITER assigns it (uthash.h, not read) */
            if (b != keep && (!victim || b->last_used < victim->last_used))
                victim = b;
        }
        if (!victim)
            break;
        for (e = c->first; e; e = e->next_in_order) {
            if (e->bundle == victim) {
                e->bundle = NULL;
                victim->entries--;
                if (n + 2 > *cap) {
                    struct tc_bundle **bigger =
                        realloc(*drop, sizeof(struct tc_bundle *) * (size_t)(*cap * 2));
                    if (!bigger)
                        continue; /* leak one reference rather than free in use */
                    *drop = bigger;
                    *cap *= 2;
                }
                (*drop)[n++] = victim;
            }
        }
        unlink_bundle(c, victim);
        if (n + 1 <= *cap)
            (*drop)[n++] = victim;
    }
    return n;
}

struct tc_bundle *tc_cache_attach(struct tc_cache *c, struct tc_entry *e, struct tc_bundle *b,
                                  const struct tc_identity *id, const struct timespec *read_at)
{
    struct tc_bundle *existing, *old_drop[3], **drop;
    int cap = 8, n_old, n_evict = 0;

    drop = malloc(sizeof(struct tc_bundle *) * (size_t)cap);
    pthread_rwlock_wrlock(&c->lock);
    if (!b->in_table) {
        HASH_FIND_STR(c->bundles, b->content_key, existing);
        if (existing) {
            tc_bundle_hold(existing); /* caller's reference moves to the winner */
            old_drop[0] = b;
            b = existing;
            n_old = 1;
        } else {
            HASH_ADD_KEYPTR(hh, c->bundles, b->content_key, strlen(b->content_key), b);
            if (TC_HASH_ADDED()) { /* else: served, but not shared by content */
                b->in_table = 1;
                c->nbundles++;
                tc_bundle_hold(b); /* the table's reference */
            }
            n_old = 0;
        }
    } else {
        n_old = 0;
    }
    if (e->bundle != b) {
        struct tc_bundle *prev[2];
        int np = detach(c, e, prev);
        while (np-- > 0)
            old_drop[n_old++] = prev[np]; /* at most 1 + 2 */
        e->bundle = b;
        b->entries++;
        tc_bundle_hold(b); /* the entry's reference */
    }
    e->id = *id;
    e->read_at = *read_at;
    tc_sha256_hex(b->sha256, e->sha_hex);
    e->certs = b->certs;
    e->crls = b->crls;
    touch(b);
    if (drop)
        n_evict = evict_over_bound(c, b, &drop, &cap);
    pthread_rwlock_unlock(&c->lock);
    drop_all(old_drop, n_old);
    if (drop) {
        drop_all(drop, n_evict);
        free(drop);
    }
    return b;
}

void tc_cache_foreach_entry(struct tc_cache *c, void (*fn)(const struct tc_entry *e, void *arg),
                            void *arg)
{
    struct tc_entry *e;

    pthread_rwlock_rdlock(&c->lock);
    for (e = c->first; e; e = e->next_in_order)
        fn(e, arg);
    pthread_rwlock_unlock(&c->lock);
}

unsigned tc_cache_bundle_count(struct tc_cache *c)
{
    unsigned n;

    pthread_rwlock_rdlock(&c->lock);
    n = c->nbundles;
    pthread_rwlock_unlock(&c->lock);
    return n;
}

int tc_cache_fill_begin(struct tc_cache *c, struct tc_entry *e)
{
    struct timespec until;
    int waited = 0;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 30;
    pthread_mutex_lock(&c->fill_lock);
    while (e->filling) {
        waited = 1;
        if (pthread_cond_timedwait(&c->fill_done, &c->fill_lock, &until) != 0)
            break; /* a stuck filler: go ahead rather than hang the host */
    }
    e->filling = 1;
    pthread_mutex_unlock(&c->fill_lock);
    return waited;
}

void tc_cache_fill_end(struct tc_cache *c, struct tc_entry *e)
{
    pthread_mutex_lock(&c->fill_lock);
    e->filling = 0;
    pthread_cond_broadcast(&c->fill_done);
    pthread_mutex_unlock(&c->fill_lock);
}

void tc_cache_lock_for_fork(struct tc_cache *c)
{
    pthread_mutex_lock(&c->fill_lock);
    pthread_rwlock_wrlock(&c->lock);
}

void tc_cache_unlock_after_fork(struct tc_cache *c, int in_child)
{
    struct tc_entry *e;

    /* A filler in another thread does not exist in the child. */
    for (e = c->first; in_child && e; e = e->next_in_order) {
        e->filling = 0;
        /* The child's stats are its own: its per-source counts start at zero. */
        e->loads_performed = e->loads_avoided = e->invalidations = 0;
    }
    /*
     * glibc records the writer's thread id, and the forking thread has a new
     * one in the child, where an unlock would not release the lock: start the
     * child with fresh locks instead.
     */
    if (in_child) {
        tc_child_rwlock(&c->lock);
        pthread_cond_init(&c->fill_done, NULL);
        tc_child_mutex(&c->fill_lock);
        return;
    }
    pthread_rwlock_unlock(&c->lock);
    pthread_mutex_unlock(&c->fill_lock);
}
