/*
 * bundle_cache.c with fake bundles: no OpenSSL objects, and a release
 * callback that only records which bundle went and when.  Covers the entry
 * table and its bound, the check results, confirm after a racy check,
 * invalidation counts, content sharing, the LRU bound and reference counts.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cache/bundle_cache.h"
#include "base/stats.h"
#include "unit.h"

/* ---------------------------------------------------------------- fixtures */

#define MAX_RELEASES 256

struct tracker {
    int calls;
    uint64_t serial[MAX_RELEASES];
    char key[MAX_RELEASES][64];
    int refs[MAX_RELEASES];
};

static struct tracker g_tr;

static void track_release(struct tc_bundle *b, void *arg)
{
    struct tracker *t = arg;

    ck_assert_ptr_eq(t, &g_tr);
    if (t->calls < MAX_RELEASES) {
        t->serial[t->calls] = b->serial;
        snprintf(t->key[t->calls], sizeof(t->key[0]), "%s", b->content_key);
        t->refs[t->calls] = b->refs;
    }
    t->calls++;
}

/* How many times bundles with this content key were released. */
static int released_key(const char *key)
{
    int i, n = 0;

    for (i = 0; i < g_tr.calls && i < MAX_RELEASES; i++)
        if (!strcmp(g_tr.key[i], key)) {
            ck_assert_int_eq(g_tr.refs[i], 0);
            n++;
        }
    return n;
}

static int released_bundle(uint64_t serial)
{
    int i, n = 0;

    for (i = 0; i < g_tr.calls && i < MAX_RELEASES; i++)
        if (g_tr.serial[i] == serial)
            n++;
    return n;
}

/* The cache has no destructor (it lives as long as the process); keeping it
 * reachable tells the leak checker its contents are not leaks. */
static struct tc_cache *g_caches[8];

static struct tc_cache *new_cache(unsigned max_bundles, unsigned max_entries)
{
    struct tc_cache *c = tc_cache_new(max_bundles, max_entries, track_release, &g_tr);
    size_t i;

    ck_assert_ptr_nonnull(c);
    for (i = 0; i < sizeof(g_caches) / sizeof(g_caches[0]); i++)
        if (!g_caches[i]) {
            g_caches[i] = c;
            break;
        }
    memset(&g_tr, 0, sizeof(g_tr));
    tc_counters_reset();
    return c;
}

/* A file identity; `n` tells files (and versions) apart. */
static struct tc_identity ident(int n)
{
    struct tc_identity id;

    memset(&id, 0, sizeof(id));
    id.dev = 1;
    id.ino = (ino_t)(1000 + n);
    id.size = 100 + n;
    id.mtim.tv_sec = 1000;
    id.ctim.tv_sec = 1000;
    return id;
}

/* Read long after the identity's timestamps (stat vouches), or right after. */
static const struct timespec READ_OLD = {5000, 0};
static const struct timespec READ_RECENT = {1001, 0};

static void sha_of(int n, unsigned char *sha) { memset(sha, n, TC_SHA256_LEN); }

static struct tc_entry *entry(struct tc_cache *c, const char *key)
{
    char path[64];
    struct tc_entry *e;

    snprintf(path, sizeof(path), "/etc/ssl/%s.pem", key);
    e = tc_cache_entry(c, key, path);
    ck_assert_msg(e != NULL, "entry %s", key);
    return e;
}

/* A new bundle for content `ckey` (sha filled with `n`), attached to `e` as
 * read with identity ident(idn) at `read_at`.  Returns the caller's reference. */
static struct tc_bundle *put_as(struct tc_cache *c, struct tc_entry *e, const char *ckey, int n,
                                int idn, const struct timespec *read_at)
{
    unsigned char sha[TC_SHA256_LEN];
    struct tc_identity id = ident(idn);
    struct tc_bundle *b, *got;

    sha_of(n, sha);
    b = tc_bundle_new(c, ckey, sha);
    ck_assert_ptr_nonnull(b);
    b->certs = n;
    b->crls = n % 3;
    got = tc_cache_attach(c, e, b, &id, read_at);
    ck_assert_ptr_nonnull(got);
    return got;
}

static struct tc_bundle *put(struct tc_cache *c, struct tc_entry *e, const char *ckey, int n)
{
    return put_as(c, e, ckey, n, n, &READ_OLD);
}

/* Attaches a new bundle and drops the caller's reference at once. */
static void put_drop(struct tc_cache *c, struct tc_entry *e, const char *ckey, int n)
{
    tc_bundle_release(put(c, e, ckey, n));
}

static enum tc_check check_as(struct tc_cache *c, struct tc_entry *e, int idn,
                              struct tc_bundle **out)
{
    unsigned char sha[TC_SHA256_LEN];
    struct tc_identity id = ident(idn);

    return tc_cache_check(c, e, &id, out, sha);
}

/* A hit on `e` (identity idn) returning `want`; drops the reference. */
static void assert_hit(struct tc_cache *c, struct tc_entry *e, int idn, struct tc_bundle *want)
{
    struct tc_bundle *out = NULL;

    ck_assert_int_eq(check_as(c, e, idn, &out), TC_CHECK_HIT);
    ck_assert_ptr_nonnull(out);
    if (want)
        ck_assert_ptr_eq(out, want);
    tc_bundle_release(out);
}

static void assert_empty(struct tc_cache *c, struct tc_entry *e, int idn)
{
    struct tc_bundle *out = (struct tc_bundle *)&out;

    ck_assert_int_eq(check_as(c, e, idn, &out), TC_CHECK_EMPTY);
    ck_assert_ptr_null(out);
}

/* Is content `ckey` in the content table?  (Drops the reference.) */
static int has_content(struct tc_cache *c, const char *ckey)
{
    struct tc_bundle *b = tc_cache_find_content(c, ckey);

    if (!b)
        return 0;
    ck_assert_str_eq(b->content_key, ckey);
    tc_bundle_release(b);
    return 1;
}

/* ---------------------------------------------------------------- entries */

START_TEST(entry_created_once)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e1 = tc_cache_entry(c, "k1", "/p1"), *e2;

    ck_assert_ptr_nonnull(e1);
    ck_assert_str_eq(e1->key, "k1");
    ck_assert_str_eq(e1->path, "/p1");
    ck_assert_ptr_eq(tc_cache_entry(c, "k1", "/elsewhere"), e1);
    ck_assert_str_eq(e1->path, "/p1");
    e2 = tc_cache_entry(c, "k2", "/p1");
    ck_assert_ptr_nonnull(e2);
    ck_assert_ptr_ne(e1, e2);
    ck_assert_ptr_null(e1->bundle);
    ck_assert_uint_eq(e1->invalidations, 0);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 0);
}
END_TEST

START_TEST(entry_table_bound)
{
    struct tc_cache *c = new_cache(4, 3);
    struct tc_entry *e1 = tc_cache_entry(c, "k1", "/p1");

    ck_assert_ptr_nonnull(e1);
    ck_assert_ptr_nonnull(tc_cache_entry(c, "k2", "/p2"));
    ck_assert_ptr_nonnull(tc_cache_entry(c, "k3", "/p3"));
    ck_assert_ptr_null(tc_cache_entry(c, "k4", "/p4"));
    ck_assert_ptr_null(tc_cache_entry(c, "k5", "/p5"));
    /* A full table still finds what it has. */
    ck_assert_ptr_eq(tc_cache_entry(c, "k1", "/p1"), e1);
    ck_assert_ptr_nonnull(tc_cache_entry(c, "k3", "/p3"));
}
END_TEST

static void visit(const struct tc_entry *e, void *arg)
{
    char *order = arg;

    strcat(order, e->key);
    strcat(order, ",");
}

START_TEST(entries_visited_in_creation_order)
{
    struct tc_cache *c = new_cache(4, 8);
    char order[64] = "", hex[65];
    unsigned char sha[TC_SHA256_LEN];
    struct tc_entry *e;

    entry(c, "k3");
    e = entry(c, "k1");
    entry(c, "k2");
    entry(c, "k1");
    put_drop(c, e, "K7", 7);
    tc_cache_foreach_entry(c, visit, order);
    ck_assert_str_eq(order, "k3,k1,k2,");
    /* What the stats show for an entry: the content it last held. */
    sha_of(7, sha);
    tc_sha256_hex(sha, hex);
    ck_assert_str_eq(e->sha_hex, hex);
    ck_assert_int_eq(e->certs, 7);
    ck_assert_int_eq(e->crls, 1);
}
END_TEST

/* ---------------------------------------------------------------- checks */

START_TEST(check_empty)
{
    struct tc_cache *c = new_cache(4, 8);

    assert_empty(c, entry(c, "k1"), 1);
}
END_TEST

START_TEST(check_hit)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e = entry(c, "k1");
    struct tc_bundle *b = put(c, e, "K1", 1);

    ck_assert_ptr_eq(e->bundle, b);
    ck_assert_str_eq(b->content_key, "K1");
    assert_hit(c, e, 1, b);
    assert_hit(c, e, 1, b);
    tc_bundle_release(b);
    /* The entry and the table still hold it. */
    assert_hit(c, e, 1, b);
    ck_assert_int_eq(g_tr.calls, 0);
}
END_TEST

START_TEST(check_changed)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e = entry(c, "k1");
    struct tc_identity id = ident(1);
    unsigned char sha[TC_SHA256_LEN];
    struct tc_bundle *out;

    put_drop(c, e, "K1", 1);
    id.size++;
    ck_assert_int_eq(tc_cache_check(c, e, &id, &out, sha), TC_CHECK_CHANGED);
    ck_assert_ptr_null(out);
    id = ident(1);
    id.ino++;
    ck_assert_int_eq(tc_cache_check(c, e, &id, &out, sha), TC_CHECK_CHANGED);
    id = ident(1);
    id.mtim.tv_nsec = 1;
    ck_assert_int_eq(tc_cache_check(c, e, &id, &out, sha), TC_CHECK_CHANGED);
    id = ident(1);
    id.ctim.tv_sec++;
    ck_assert_int_eq(tc_cache_check(c, e, &id, &out, sha), TC_CHECK_CHANGED);
    /* A check changes nothing by itself. */
    assert_hit(c, e, 1, NULL);
    ck_assert_uint_eq(e->invalidations, 0);
}
END_TEST

START_TEST(check_racy_then_confirm)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e = entry(c, "k1");
    struct tc_bundle *b = put_as(c, e, "K1", 1, 1, &READ_RECENT), *out = NULL, *conf;
    unsigned char sha[TC_SHA256_LEN], want[TC_SHA256_LEN];
    struct tc_identity id = ident(1);

    memset(sha, 0xee, sizeof(sha));
    sha_of(1, want);
    ck_assert_int_eq(tc_cache_check(c, e, &id, &out, sha), TC_CHECK_RACY);
    ck_assert_ptr_null(out);
    ck_assert_mem_eq(sha, want, TC_SHA256_LEN);
    /* Still racy until the content is confirmed. */
    ck_assert_int_eq(tc_cache_check(c, e, &id, &out, sha), TC_CHECK_RACY);

    conf = tc_cache_confirm(c, e, want, &id, &READ_OLD);
    ck_assert_ptr_eq(conf, b);
    tc_bundle_release(conf);
    /* Confirmed long after the timestamps: stat alone vouches now. */
    assert_hit(c, e, 1, b);
    tc_bundle_release(b);
    ck_assert_int_eq(g_tr.calls, 0);
}
END_TEST

START_TEST(confirm_refuses_other_content_or_identity)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e = entry(c, "k1"), *empty = entry(c, "k2");
    unsigned char sha[TC_SHA256_LEN], other[TC_SHA256_LEN];
    struct tc_identity id = ident(1), id2 = ident(2);
    struct tc_bundle *out;

    tc_bundle_release(put_as(c, e, "K1", 1, 1, &READ_RECENT));
    sha_of(1, sha);
    sha_of(2, other);
    ck_assert_ptr_null(tc_cache_confirm(c, e, other, &id, &READ_OLD));
    ck_assert_ptr_null(tc_cache_confirm(c, e, sha, &id2, &READ_OLD));
    ck_assert_ptr_null(tc_cache_confirm(c, empty, sha, &id, &READ_OLD));
    /* A refused confirm does not refresh the read time. */
    ck_assert_int_eq(tc_cache_check(c, e, &id, &out, other), TC_CHECK_RACY);
    /* A confirm that is itself racy keeps the entry racy. */
    out = tc_cache_confirm(c, e, sha, &id, &READ_RECENT);
    ck_assert_ptr_nonnull(out);
    tc_bundle_release(out);
    ck_assert_int_eq(tc_cache_check(c, e, &id, &out, other), TC_CHECK_RACY);
}
END_TEST

/* ---------------------------------------------------------------- invalidation */

START_TEST(invalidate_counts_and_drops)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e = entry(c, "k1"), *never = entry(c, "k2");

    put_drop(c, e, "K1", 1);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 1);
    tc_cache_invalidate(c, e);
    ck_assert_uint_eq(e->invalidations, 1);
    ck_assert_uint_eq(tc_counters.cache_invalidations, 1);
    assert_empty(c, e, 1);
    /* Its only entry gone, the bundle leaves the content table, and is freed. */
    ck_assert_int_eq(has_content(c, "K1"), 0);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 0);
    ck_assert_int_eq(released_key("K1"), 1);

    /* Nothing held: nothing counted. */
    tc_cache_invalidate(c, e);
    tc_cache_invalidate(c, never);
    ck_assert_uint_eq(e->invalidations, 1);
    ck_assert_uint_eq(never->invalidations, 0);
    ck_assert_uint_eq(tc_counters.cache_invalidations, 1);

    /* Filled again, invalidated again: counted per entry and globally. */
    put_drop(c, e, "K2", 2);
    tc_cache_invalidate(c, e);
    ck_assert_uint_eq(e->invalidations, 2);
    ck_assert_uint_eq(tc_counters.cache_invalidations, 2);
    ck_assert_int_eq(released_key("K2"), 1);
    ck_assert_int_eq(g_tr.calls, 2);
}
END_TEST

START_TEST(held_bundle_survives_invalidation)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e = entry(c, "k1");
    struct tc_bundle *b = put(c, e, "K1", 1), *hit = NULL;

    ck_assert_int_eq(check_as(c, e, 1, &hit), TC_CHECK_HIT);
    tc_cache_invalidate(c, e);
    ck_assert_int_eq(has_content(c, "K1"), 0);
    ck_assert_int_eq(g_tr.calls, 0);
    /* Still intact for its users. */
    ck_assert_str_eq(b->content_key, "K1");
    ck_assert_int_eq(hit->certs, 1);
    tc_bundle_release(hit);
    ck_assert_int_eq(g_tr.calls, 0);
    tc_bundle_release(b);
    ck_assert_int_eq(released_key("K1"), 1);
    ck_assert_int_eq(g_tr.calls, 1);
}
END_TEST

/* ---------------------------------------------------------------- sharing */

START_TEST(two_entries_share_content)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2");
    struct tc_bundle *b = put(c, e1, "K", 1), *found, *got;
    struct tc_identity id2 = ident(2);

    found = tc_cache_find_content(c, "K");
    ck_assert_ptr_eq(found, b);
    got = tc_cache_attach(c, e2, found, &id2, &READ_OLD);
    ck_assert_ptr_eq(got, b);
    tc_bundle_release(got);
    tc_bundle_release(b);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 1);
    ck_assert_int_eq(b->entries, 2);
    assert_hit(c, e1, 1, b);
    assert_hit(c, e2, 2, b);

    /* One entry invalidated: the content stays for the other. */
    tc_cache_invalidate(c, e1);
    ck_assert_int_eq(has_content(c, "K"), 1);
    assert_empty(c, e1, 1);
    assert_hit(c, e2, 2, b);
    ck_assert_int_eq(g_tr.calls, 0);
    /* The last one too: gone, freed once. */
    tc_cache_invalidate(c, e2);
    ck_assert_int_eq(has_content(c, "K"), 0);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 0);
    ck_assert_int_eq(released_key("K"), 1);
    ck_assert_int_eq(g_tr.calls, 1);
}
END_TEST

/* Two threads parsed the same content: the second attach gets the first
 * bundle, and its own is released at once. */
START_TEST(duplicate_content_attach_returns_winner)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2");
    struct tc_bundle *winner = put(c, e1, "K", 1), *loser, *got;
    unsigned char sha[TC_SHA256_LEN];
    struct tc_identity id2 = ident(2);
    uint64_t loser_serial;

    sha_of(1, sha);
    loser = tc_bundle_new(c, "K", sha);
    ck_assert_ptr_nonnull(loser);
    ck_assert_uint_ne(loser->serial, winner->serial);
    loser_serial = loser->serial;
    got = tc_cache_attach(c, e2, loser, &id2, &READ_OLD);
    ck_assert_ptr_eq(got, winner);
    ck_assert_int_eq(released_bundle(loser_serial), 1);
    ck_assert_int_eq(g_tr.calls, 1);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 1);
    assert_hit(c, e2, 2, winner);
    tc_bundle_release(got);
    tc_bundle_release(winner);
    ck_assert_int_eq(g_tr.calls, 1);
}
END_TEST

/* The file behind an entry changed to new content: the old bundle, held by
 * that entry alone, leaves the table and is freed. */
START_TEST(reattach_new_content_frees_old)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e = entry(c, "k1");
    struct tc_bundle *b, *out;

    put_drop(c, e, "K1", 1);
    b = put_as(c, e, "K2", 2, 2, &READ_OLD);
    ck_assert_int_eq(has_content(c, "K1"), 0);
    ck_assert_int_eq(released_key("K1"), 1);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 1);
    assert_hit(c, e, 2, b);
    /* The entry now vouches for the new identity only. */
    ck_assert_int_eq(check_as(c, e, 1, &out), TC_CHECK_CHANGED);
    tc_bundle_release(b);
    ck_assert_int_eq(g_tr.calls, 1);
}
END_TEST

/* Same, but the new content already exists under another path (found first). */
START_TEST(reattach_found_content_frees_old)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2");
    struct tc_bundle *shared, *found, *got;
    struct tc_identity id = ident(3);

    put_drop(c, e1, "K1", 1);
    shared = put(c, e2, "K2", 2);
    found = tc_cache_find_content(c, "K2");
    got = tc_cache_attach(c, e1, found, &id, &READ_OLD);
    ck_assert_ptr_eq(got, shared);
    tc_bundle_release(got);
    ck_assert_int_eq(released_key("K1"), 1);
    ck_assert_int_eq(has_content(c, "K1"), 0);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 1);
    assert_hit(c, e1, 3, shared);
    tc_bundle_release(shared);
    ck_assert_int_eq(g_tr.calls, 1);
}
END_TEST

/*
 * Same again, but this thread parsed the new content itself while another
 * thread put the same content in the table first (the duplicate path of
 * attach): the entry's old bundle must still be freed, exactly once.
 */
START_TEST(reattach_duplicate_content_frees_old)
{
    struct tc_cache *c = new_cache(4, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2");
    struct tc_bundle *shared, *mine, *got;
    unsigned char sha[TC_SHA256_LEN];
    struct tc_identity id = ident(3);
    uint64_t mine_serial;

    put_drop(c, e1, "K1", 1);
    shared = put(c, e2, "K2", 2);
    sha_of(2, sha);
    mine = tc_bundle_new(c, "K2", sha);
    ck_assert_ptr_nonnull(mine);
    mine_serial = mine->serial;
    got = tc_cache_attach(c, e1, mine, &id, &READ_OLD);
    ck_assert_ptr_eq(got, shared);
    tc_bundle_release(got);
    ck_assert_int_eq(released_bundle(mine_serial), 1);
    ck_assert_int_eq(has_content(c, "K1"), 0);
    ck_assert_msg(released_key("K1") == 1,
                  "the entry's previous bundle (K1) was released %d times, want 1",
                  released_key("K1"));
    ck_assert_uint_eq(tc_cache_bundle_count(c), 1);
    assert_hit(c, e1, 3, shared);
    tc_bundle_release(shared);
    ck_assert_int_eq(g_tr.calls, 2);
}
END_TEST

/* ---------------------------------------------------------------- LRU */

START_TEST(lru_evicts_least_recent)
{
    struct tc_cache *c = new_cache(2, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2"), *e3 = entry(c, "k3");

    put_drop(c, e1, "K1", 1);
    put_drop(c, e2, "K2", 2);
    ck_assert_int_eq(g_tr.calls, 0);
    put_drop(c, e3, "K3", 3);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 2);
    ck_assert_int_eq(has_content(c, "K1"), 0);
    ck_assert_int_eq(has_content(c, "K2"), 1);
    ck_assert_int_eq(has_content(c, "K3"), 1);
    assert_empty(c, e1, 1);
    assert_hit(c, e2, 2, NULL);
    assert_hit(c, e3, 3, NULL);
    ck_assert_int_eq(released_key("K1"), 1);
    ck_assert_int_eq(g_tr.calls, 1);
    /* An eviction is not an invalidation: the file did not change. */
    ck_assert_uint_eq(e1->invalidations, 0);
    ck_assert_uint_eq(tc_counters.cache_invalidations, 0);
}
END_TEST

START_TEST(lru_hit_refreshes)
{
    struct tc_cache *c = new_cache(2, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2"), *e3 = entry(c, "k3");

    put_drop(c, e1, "K1", 1);
    put_drop(c, e2, "K2", 2);
    assert_hit(c, e1, 1, NULL); /* K1 is now the most recent */
    put_drop(c, e3, "K3", 3);
    ck_assert_int_eq(has_content(c, "K1"), 1);
    ck_assert_int_eq(has_content(c, "K2"), 0);
    ck_assert_int_eq(has_content(c, "K3"), 1);
    assert_empty(c, e2, 2);
    ck_assert_int_eq(released_key("K2"), 1);
    ck_assert_int_eq(g_tr.calls, 1);
}
END_TEST

START_TEST(lru_confirm_refreshes)
{
    struct tc_cache *c = new_cache(2, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2"), *e3 = entry(c, "k3");
    struct tc_identity id1 = ident(1);
    unsigned char sha[TC_SHA256_LEN];

    tc_bundle_release(put_as(c, e1, "K1", 1, 1, &READ_RECENT));
    put_drop(c, e2, "K2", 2);
    sha_of(1, sha);
    tc_bundle_release(tc_cache_confirm(c, e1, sha, &id1, &READ_OLD));
    put_drop(c, e3, "K3", 3);
    ck_assert_int_eq(has_content(c, "K1"), 1);
    ck_assert_int_eq(has_content(c, "K2"), 0);
}
END_TEST

/* With max_bundles = N, N+1 distinct contents evict exactly the first. */
static const unsigned lru_sizes[] = {1, 2, 3, 5, 16};

START_TEST(lru_bound_n)
{
    unsigned n = lru_sizes[_i], i;
    struct tc_cache *c = new_cache(n, 64);
    char key[16], ckey[16];

    for (i = 0; i <= n; i++) {
        snprintf(key, sizeof(key), "k%u", i);
        snprintf(ckey, sizeof(ckey), "K%u", i);
        put_drop(c, entry(c, key), ckey, (int)i + 1);
        ck_assert_uint_eq(tc_cache_bundle_count(c), i < n ? i + 1 : n);
    }
    ck_assert_int_eq(has_content(c, "K0"), 0);
    ck_assert_int_eq(released_key("K0"), 1);
    for (i = 1; i <= n; i++) {
        snprintf(ckey, sizeof(ckey), "K%u", i);
        ck_assert_msg(has_content(c, ckey), "%s evicted with max_bundles=%u", ckey, n);
    }
    ck_assert_int_eq(g_tr.calls, 1);
}
END_TEST

/* A content shared by two entries is evicted from both, and freed once. */
START_TEST(lru_evicts_shared_bundle_once)
{
    struct tc_cache *c = new_cache(2, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2"), *e3 = entry(c, "k3"),
                    *e4 = entry(c, "k4");
    struct tc_identity id2 = ident(2);

    put_drop(c, e1, "K1", 1);
    tc_bundle_release(tc_cache_attach(c, e2, tc_cache_find_content(c, "K1"), &id2, &READ_OLD));
    put_drop(c, e3, "K3", 3);
    put_drop(c, e4, "K4", 4);
    assert_empty(c, e1, 1);
    assert_empty(c, e2, 2);
    ck_assert_int_eq(has_content(c, "K1"), 0);
    ck_assert_int_eq(released_key("K1"), 1);
    ck_assert_int_eq(g_tr.calls, 1);
    ck_assert_uint_eq(tc_cache_bundle_count(c), 2);
}
END_TEST

START_TEST(held_bundle_survives_eviction)
{
    struct tc_cache *c = new_cache(1, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2");
    struct tc_bundle *held = put(c, e1, "K1", 1), *hit = NULL;

    ck_assert_int_eq(check_as(c, e1, 1, &hit), TC_CHECK_HIT);
    put_drop(c, e2, "K2", 2);
    ck_assert_int_eq(has_content(c, "K1"), 0);
    assert_empty(c, e1, 1);
    ck_assert_int_eq(g_tr.calls, 0);
    ck_assert_str_eq(held->content_key, "K1");
    ck_assert_int_eq(held->certs, 1);
    tc_bundle_release(hit);
    ck_assert_int_eq(g_tr.calls, 0);
    tc_bundle_release(held);
    ck_assert_int_eq(released_key("K1"), 1);
    ck_assert_int_eq(g_tr.calls, 1);
}
END_TEST

/* An evicted entry refills like a new one. */
START_TEST(evicted_entry_refills)
{
    struct tc_cache *c = new_cache(1, 8);
    struct tc_entry *e1 = entry(c, "k1"), *e2 = entry(c, "k2");
    struct tc_bundle *b;

    put_drop(c, e1, "K1", 1);
    put_drop(c, e2, "K2", 2);
    assert_empty(c, e1, 1);
    b = put(c, e1, "K1", 1);
    assert_hit(c, e1, 1, b);
    assert_empty(c, e2, 2);
    tc_bundle_release(b);
    ck_assert_int_eq(released_key("K1"), 1);
    ck_assert_int_eq(released_key("K2"), 1);
    ck_assert_int_eq(g_tr.calls, 2);
}
END_TEST

/* ---------------------------------------------------------------- bundles */

START_TEST(bundle_new_and_refcount)
{
    struct tc_cache *c = new_cache(4, 8);
    unsigned char sha[TC_SHA256_LEN];
    struct tc_bundle *a, *b;

    sha_of(9, sha);
    a = tc_bundle_new(c, "A", sha);
    b = tc_bundle_new(c, "B", sha);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_ne(a->serial, b->serial);
    ck_assert_mem_eq(a->sha256, sha, TC_SHA256_LEN);
    ck_assert_int_eq(a->refs, 1);
    tc_bundle_hold(a);
    tc_bundle_hold(a);
    tc_bundle_release(a);
    tc_bundle_release(a);
    ck_assert_int_eq(g_tr.calls, 0);
    tc_bundle_release(a);
    ck_assert_int_eq(released_key("A"), 1);
    tc_bundle_release(b);
    tc_bundle_release(NULL);
    ck_assert_int_eq(g_tr.calls, 2);
}
END_TEST

/* The model's figures, as calibrated (bundle_cache.c). */
START_TEST(heap_estimate_model)
{
    /* The Debian 12 system bundle: 144 certificates, 156,257 DER bytes; its
     * measured fills kept 738-772 KiB. */
    size_t sys = tc_heap_estimate(144, 156257, 0);
    ck_assert_uint_ge(sys, 738u * 1024 * 3 / 4);
    ck_assert_uint_le(sys, 772u * 1024 * 5 / 4);
    ck_assert_uint_eq(tc_heap_estimate(0, 0, 0), 0);
    ck_assert_uint_eq(tc_heap_estimate(1, 1000, 0), 3130 + 2000);
    ck_assert_uint_eq(tc_heap_estimate(0, 0, 1000), 8600);
    ck_assert_uint_eq(tc_heap_estimate(-1, 0, 0), 0);
}
END_TEST

/* Absurd sizes saturate instead of wrapping to a small number. */
START_TEST(heap_estimate_saturates)
{
    ck_assert_uint_eq(tc_heap_estimate(1, SIZE_MAX / 2, 0), SIZE_MAX);
    ck_assert_uint_eq(tc_heap_estimate(0, 0, SIZE_MAX / 4), SIZE_MAX);
    ck_assert_uint_eq(tc_heap_estimate(INT_MAX, SIZE_MAX, SIZE_MAX), SIZE_MAX);
}
END_TEST

Suite *bundle_cache_suite(void)
{
    Suite *s = suite_create("bundle_cache");
    TCase *t;

    t = tcase_create("entries");
    tcase_add_test(t, entry_created_once);
    tcase_add_test(t, entry_table_bound);
    tcase_add_test(t, entries_visited_in_creation_order);
    suite_add_tcase(s, t);

    t = tcase_create("check");
    tcase_add_test(t, check_empty);
    tcase_add_test(t, check_hit);
    tcase_add_test(t, check_changed);
    tcase_add_test(t, check_racy_then_confirm);
    tcase_add_test(t, confirm_refuses_other_content_or_identity);
    suite_add_tcase(s, t);

    t = tcase_create("invalidate");
    tcase_add_test(t, invalidate_counts_and_drops);
    tcase_add_test(t, held_bundle_survives_invalidation);
    suite_add_tcase(s, t);

    t = tcase_create("sharing");
    tcase_add_test(t, two_entries_share_content);
    tcase_add_test(t, duplicate_content_attach_returns_winner);
    tcase_add_test(t, reattach_new_content_frees_old);
    tcase_add_test(t, reattach_found_content_frees_old);
    tcase_add_test(t, reattach_duplicate_content_frees_old);
    suite_add_tcase(s, t);

    t = tcase_create("lru");
    tcase_add_test(t, lru_evicts_least_recent);
    tcase_add_test(t, lru_hit_refreshes);
    tcase_add_test(t, lru_confirm_refreshes);
    tcase_add_loop_test(t, lru_bound_n, 0, (int)(sizeof(lru_sizes) / sizeof(lru_sizes[0])));
    tcase_add_test(t, lru_evicts_shared_bundle_once);
    tcase_add_test(t, held_bundle_survives_eviction);
    tcase_add_test(t, evicted_entry_refills);
    suite_add_tcase(s, t);

    t = tcase_create("bundles");
    tcase_add_test(t, bundle_new_and_refcount);
    tcase_add_test(t, heap_estimate_model);
    tcase_add_test(t, heap_estimate_saturates);
    suite_add_tcase(s, t);
    return s;
}
