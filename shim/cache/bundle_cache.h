/*
 * The bundle cache of one OpenSSL copy.
 *
 * Two tables:
 *  - entries, one per trust source (path + loader kind + file type + libctx +
 *    propq), holding the identity the file had when it was read and the
 *    bundle parsed from it, plus the per-source counters the stats report;
 *  - bundles, one per parsed content (SHA-256 + the same loader parameters),
 *    so two paths with the same bytes share one parsed copy.
 *
 * The cache knows nothing of OpenSSL: a bundle's objects are an opaque array
 * released through a callback, which keeps the LRU, refcount and racy-stat
 * logic unit-testable.  A read-write lock guards both tables; the hit path
 * takes it shared, and nothing slow (I/O, parsing, OpenSSL) runs under it.
 */
#ifndef TC_BUNDLE_CACHE_H
#define TC_BUNDLE_CACHE_H

#include <pthread.h>
#include <stdint.h>
#include "base/tc_hash.h"

#include "cache/fingerprint.h"

struct tc_cache;

struct tc_bundle {
    char *content_key;
    unsigned char sha256[TC_SHA256_LEN];
    int count; /* what the real loader returned for this content */
    int certs, crls;
    int nobjs;
    void **objs; /* X509 * or X509_CRL *, in file order */
    unsigned char *is_crl;
    /*
     * The file's duplicates, which the store drops: each add still searches
     * (and so sorts) the store's objects, so a replay adds them where the
     * file has them, after dup_at[k] of objs.  A store then ends in the
     * order the real loader leaves it in.
     */
    int ndups;
    void **dups;
    unsigned char *dup_is_crl;
    int *dup_at;
    size_t heap_bytes;  /* heap the parsed objects keep (tc_heap_estimate) */
    uint64_t parse_ns;  /* time the real parse took */
    uint64_t serial;    /* unique for the process lifetime */
    int refs;           /* atomic */
    int entries;        /* entries attached (cache lock) */
    int in_table;       /* (cache lock) */
    uint64_t last_used; /* atomic LRU tick */
    struct tc_cache *cache;
    UT_hash_handle hh;
};

struct tc_entry {
    char *key;
    char *path;
    struct tc_identity id;               /* identity when `bundle` was read */
    struct timespec read_at;             /* when it was read (racy rule) */
    struct tc_bundle *bundle;            /* holds a reference; NULL when none */
    uint64_t loads_performed;            /* atomic */
    uint64_t loads_avoided;              /* atomic */
    uint64_t invalidations;              /* atomic */
    uint64_t contexts_live;              /* atomic: live contexts it was loaded into (acct.c) */
    char sha_hex[2 * TC_SHA256_LEN + 1]; /* last content seen (cache lock) */
    int certs, crls;                     /* of that content (cache lock) */
    int filling;                         /* a thread is parsing this source (fill lock) */
    struct tc_entry *next_in_order;
    UT_hash_handle hh;
};

typedef void (*tc_bundle_release_fn)(struct tc_bundle *b, void *arg);

enum tc_check {
    TC_CHECK_HIT,     /* *out holds a reference */
    TC_CHECK_RACY,    /* identity matches but is racy: hash again, then confirm */
    TC_CHECK_CHANGED, /* identity differs from the one cached */
    TC_CHECK_EMPTY,   /* nothing cached for this source */
};

struct tc_cache *tc_cache_new(unsigned max_bundles, unsigned max_entries,
                              tc_bundle_release_fn release, void *arg);

/* Finds or creates the entry for `key`; NULL if the entry table is full. */
struct tc_entry *tc_cache_entry(struct tc_cache *c, const char *key, const char *path);

enum tc_check tc_cache_check(struct tc_cache *c, struct tc_entry *e, const struct tc_identity *now,
                             struct tc_bundle **out, unsigned char *sha_out);

/* After a racy check: the content hashed to `sha` at `read_at`; a hit if unchanged. */
struct tc_bundle *tc_cache_confirm(struct tc_cache *c, struct tc_entry *e, const unsigned char *sha,
                                   const struct tc_identity *id, const struct timespec *read_at);

/* The file changed on disk: drop what the entry holds (counted). */
void tc_cache_invalidate(struct tc_cache *c, struct tc_entry *e);

/* A bundle with the same content and loader parameters, with a reference. */
struct tc_bundle *tc_cache_find_content(struct tc_cache *c, const char *content_key);

/*
 * Attaches `b` (a new bundle holding the caller's reference, or one from
 * tc_cache_find_content) to `e`, inserting it in the content table and
 * evicting the least recently used bundles over the bound.  Returns the bundle
 * the entry now holds, with a reference for the caller (which may be an equal
 * bundle another thread inserted first, in which case `b` is released).
 */
struct tc_bundle *tc_cache_attach(struct tc_cache *c, struct tc_entry *e, struct tc_bundle *b,
                                  const struct tc_identity *id, const struct timespec *read_at);

/* A new, unattached bundle with one reference for the caller. */
struct tc_bundle *tc_bundle_new(struct tc_cache *c, const char *content_key,
                                const unsigned char *sha);
void tc_bundle_hold(struct tc_bundle *b);
void tc_bundle_release(struct tc_bundle *b);

/*
 * The heap parsed objects keep, from their count and DER size: a model
 * calibrated against OpenSSL's own loader under glibc malloc (docs/stats.md),
 * so no allocator is ever asked.  Saturates instead of overflowing.
 */
size_t tc_heap_estimate(int certs, size_t cert_der_bytes, size_t crl_der_bytes);

/*
 * Single flight: one thread at a time fills an entry, so simultaneous first
 * loads of a bundle parse it once.  Blocks while another thread fills it and
 * returns 1 if it had to wait (the caller should look for a hit again).  A
 * filler that takes longer than 30 s is not waited for any more.
 */
int tc_cache_fill_begin(struct tc_cache *c, struct tc_entry *e);
void tc_cache_fill_end(struct tc_cache *c, struct tc_entry *e);

/* Visits every entry in creation order, under the shared lock. */
void tc_cache_foreach_entry(struct tc_cache *c, void (*fn)(const struct tc_entry *e, void *arg),
                            void *arg);

unsigned tc_cache_bundle_count(struct tc_cache *c);

/* fork(): hold the lock across it so the child never inherits it mid-update. */
void tc_cache_lock_for_fork(struct tc_cache *c);
void tc_cache_unlock_after_fork(struct tc_cache *c, int in_child);

#endif
