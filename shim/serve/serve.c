/*
 * The cached file step shared by every route: find the trust source's entry,
 * validate it against the file on disk, and hand back a parsed bundle, or say
 * why the real function must run instead.  Also the accounting: every CA-file
 * load that reaches a hook is requested once, then performed (parsed to fill
 * the cache), avoided (served from it) or passed through.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "cache/bundle_fill.h"
#include "contexts/ctx_track.h"
#include "serve/serve.h"
#include "base/stats.h"
#include "ossl/compat.h"

#define TC_KEY_MAX (PATH_MAX + 256)

static int sha256_digest(const void *data, size_t len, unsigned char *out, void *arg)
{
    struct tc_ossl *o = arg;
    unsigned int n = 0;
    int ok;

    tc_err_mark(o);
    ok = o->EVP_Digest(data, len, out, &n, o->EVP_sha256(), NULL) && n == TC_SHA256_LEN;
    tc_err_pop(o);
    return ok;
}

/* Loader parameters that change the parsed objects, as a key prefix. */
static int key_prefix(char *buf, size_t len, const struct tc_source *src)
{
    return snprintf(buf, len, "%d:%d:%p:%s%s:", (int)src->kind, src->type, (void *)src->libctx,
                    src->propq ? "=" : "-", src->propq ? src->propq : "");
}

static int entry_key(char *buf, size_t len, const struct tc_source *src)
{
    int n = key_prefix(buf, len, src);

    return n > 0 && (size_t)n < len &&
           snprintf(buf + n, len - (size_t)n, "%s", src->path) < (int)(len - (size_t)n);
}

static void content_key(char *buf, size_t len, const struct tc_source *src,
                        const unsigned char *sha)
{
    char hex[2 * TC_SHA256_LEN + 1];
    int n = key_prefix(buf, len, src);

    tc_sha256_hex(sha, hex);
    snprintf(buf + n, len - (size_t)n, "%s", hex);
}

const char *tc_default_cert_file(struct tc_ossl *o)
{
    /* As OpenSSL's ossl_safe_getenv: secure_getenv, read on every call. */
    const char *file = secure_getenv(o->X509_get_default_cert_file_env());

    return file ? file : o->X509_get_default_cert_file();
}

static enum tc_passthrough stat_reason(enum tc_stat_result r)
{
    return r == TC_STAT_NOT_REGULAR ? TC_PT_NOT_REGULAR : TC_PT_UNAVAILABLE;
}

/* A hit on the entry's bundle, re-hashing the content when stat is not enough. */
static struct tc_bundle *try_hit(struct tc_ossl *o, struct tc_entry *e,
                                 const struct tc_identity *now)
{
    unsigned char cached[TC_SHA256_LEN], sha[TC_SHA256_LEN];
    struct tc_identity read_id;
    struct timespec read_at;
    struct tc_bundle *b = NULL;

    switch (tc_cache_check(o->cache, e, now, &b, cached)) {
    case TC_CHECK_HIT:
        return b;
    case TC_CHECK_RACY:
        read_at = tc_now_realtime();
        if (tc_file_digest(e->path, sha256_digest, o, sha, &read_id) == TC_STAT_OK &&
            !memcmp(sha, cached, TC_SHA256_LEN))
            b = tc_cache_confirm(o->cache, e, sha, &read_id, &read_at);
        if (!b)
            tc_cache_invalidate(o->cache, e);
        return b;
    case TC_CHECK_CHANGED:
        tc_cache_invalidate(o->cache, e);
        return NULL;
    case TC_CHECK_EMPTY:
        return NULL;
    }
    return NULL;
}

/* Hashes the file and serves it from a bundle with the same content, or parses it. */
static void fill(struct tc_ossl *o, const struct tc_source *src, struct tc_acq *a)
{
    unsigned char sha[TC_SHA256_LEN];
    char ckey[TC_KEY_MAX];
    struct tc_identity read_id, after;
    struct timespec read_at = tc_now_realtime();
    enum tc_stat_result r = tc_file_digest(src->path, sha256_digest, o, sha, &read_id);
    struct tc_bundle *b;

    if (r != TC_STAT_OK) {
        a->why = stat_reason(r);
        return;
    }
    content_key(ckey, sizeof(ckey), src, sha);
    b = tc_cache_find_content(o->cache, ckey);
    a->hit = b != NULL; /* the same bytes under another path: no parse */
    if (!b && !(b = tc_bundle_parse(o, ckey, sha, src, &a->why)))
        return;
    if (!a->hit && tc_config()->mode == TC_MODE_OBSERVE)
        tc_bundle_release_objects(b, o); /* observe keeps what it learnt, not the objects */
    /* The parser opened the path itself: it must have read what was hashed. */
    if (!a->hit &&
        (tc_identity_of(src->path, &after) != TC_STAT_OK || !tc_identity_equal(&after, &read_id))) {
        tc_bundle_release(b);
        a->why = TC_PT_CHANGED;
        return;
    }
    a->bundle = tc_cache_attach(o->cache, a->entry, b, &read_id, &read_at);
}

void tc_acquire(struct tc_ossl *o, const struct tc_source *src, struct tc_acq *a)
{
    char key[TC_KEY_MAX];
    struct tc_identity now;
    enum tc_stat_result r;

    memset(a, 0, sizeof(*a));
    a->why = TC_PT_INTERNAL;
    TC_COUNT(ca_loads_requested, 1);
    if (!tc_copy_is_ready(o)) {
        a->why = o->active ? TC_PT_INTERNAL : (enum tc_passthrough)o->inactive_reason;
        return;
    }
    if (src->libctx) {
        /*
         * Certificates keep a pointer to the library context they were
         * parsed for, and a context the application frees may come back at
         * the same address: cached objects could then point at freed
         * memory.  Only the default context lives as long as the process.
         */
        a->why = TC_PT_LIBCTX;
        return;
    }
    if (!src->path || !entry_key(key, sizeof(key), src))
        return;
    r = tc_identity_of(src->path, &now);
    if (r != TC_STAT_OK) {
        a->why = stat_reason(r);
        return;
    }
    if (!(a->entry = tc_cache_entry(o->cache, key, src->path))) {
        a->why = TC_PT_PATH_TABLE_FULL;
        return;
    }
    a->bundle = try_hit(o, a->entry, &now);
    a->hit = a->bundle != NULL;
    if (a->bundle)
        return;
    /* One filler per source; those who waited for it look again first. */
    if (tc_cache_fill_begin(o->cache, a->entry) && (a->bundle = try_hit(o, a->entry, &now)))
        a->hit = 1;
    else
        fill(o, src, a);
    tc_cache_fill_end(o->cache, a->entry);
}

void tc_acq_finish(struct tc_acq *a, int served)
{
    struct tc_bundle *b = a->bundle;

    tc_ctx_count_load(a->entry, a->hit, b && served); /* per-context stats (ctx_track.c) */
    if (b && served) {
        if (a->hit) {
            TC_COUNT(ca_loads_avoided, 1);
            TC_COUNT(bytes_avoided_estimate, b->heap_bytes);
            TC_COUNT(parse_ns_avoided_estimate, b->parse_ns);
            __atomic_add_fetch(&a->entry->loads_avoided, 1, __ATOMIC_RELAXED);
        } else {
            TC_COUNT(ca_loads_performed, 1);
            __atomic_add_fetch(&a->entry->loads_performed, 1, __ATOMIC_RELAXED);
        }
    } else {
        tc_count_passthrough(b ? TC_PT_INTERNAL : a->why);
    }
    if (b)
        tc_bundle_release(b);
    a->bundle = NULL;
}
