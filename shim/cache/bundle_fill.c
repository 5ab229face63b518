/*
 * Filling the cache: the file is read with OpenSSL's own public readers, the
 * ones its loaders call (crypto/x509/by_file.c), in the same way:
 *
 *   cert+crl, PEM  PEM_X509_INFO_read_bio_ex, then each item's certificate
 *                  and CRL in file order; the count is what
 *                  X509_load_cert_crl_file_ex returns;
 *   cert, PEM      PEM_read_bio_X509_AUX until the first "no start line"
 *                  after at least one certificate (X509_load_cert_file_ex);
 *   cert, DER      one d2i_X509_bio.
 *
 * So every parsing rule stays OpenSSL's (CRLs, TRUSTED CERTIFICATE aux data,
 * skipped PEM types), and the objects come out in file order without seeing
 * any call OpenSSL makes to itself: builds linked -Bsymbolic (Debian's 3.6
 * and later) never let such calls reach a hook.  Order matters: the store
 * keeps objects in the order they were added (3.0 re-sorts stably on lookup,
 * 3.5 scans linearly), and chain building picks the first matching issuer.
 * Anything that is not a clean success (an error on the queue, nothing
 * found) is never cached: the caller's real call runs and reports it.  The
 * objects are then added to a scratch store, which drops duplicates exactly
 * as the caller's store will; the parity and differential fuzz suites hold
 * the result against the real loader.
 */
#include <stdlib.h>
#include <string.h>

#include "cache/bundle_fill.h"
#include "cache/bundle_replay.h"
#include "cache/fingerprint.h"
#include "ossl/compat.h"

/* An error code no OpenSSL library raises: marks "nothing new on the queue". */
#define TC_SENTINEL_REASON 0x7ab

/* The objects read, in file order, each with one reference of ours. */
struct capture {
    void **objs;
    unsigned char *is_crl;
    int n, cap, failed;
};

/* Appends `obj`, taking a reference; marks the capture failed if it cannot. */
static void capture_add(struct tc_ossl *o, struct capture *c, void *obj, int is_crl)
{
    if (c->failed)
        return;
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 256;
        void **objs = realloc(c->objs, sizeof(*objs) * (size_t)cap);
        unsigned char *flags = objs ? realloc(c->is_crl, (size_t)cap) : NULL;
        if (objs)
            c->objs = objs;
        if (!flags) {
            c->failed = 1;
            return;
        }
        c->is_crl = flags;
        c->cap = cap;
    }
    if (!(is_crl ? o->X509_CRL_up_ref(obj) : o->X509_up_ref(obj))) {
        c->failed = 1;
        return;
    }
    c->objs[c->n] = obj;
    c->is_crl[c->n] = (unsigned char)is_crl;
    c->n++;
}

static void capture_release(struct tc_ossl *o, struct capture *c)
{
    while (c->n > 0) {
        c->n--;
        tc_obj_release(o, c->objs[c->n], c->is_crl[c->n]);
    }
    free(c->objs);
    free(c->is_crl);
}

/* PEM certificates and CRLs, as X509_load_cert_crl_file_ex reads them. */
static int read_cert_crl_pem(struct tc_ossl *o, BIO *in, const struct tc_source *src,
                             struct capture *c)
{
    STACK_OF(X509_INFO) *inf = tc_compat_read_pem_infos(o, in, src->libctx, src->propq);
    int i, count = 0;

    if (!inf)
        return 0;
    for (i = 0; i < o->OPENSSL_sk_num((const OPENSSL_STACK *)inf); i++) {
        const X509_INFO *item = o->OPENSSL_sk_value((const OPENSSL_STACK *)inf, i);
        if (item->x509) {
            capture_add(o, c, item->x509, 0);
            count++;
        }
        if (item->crl) {
            capture_add(o, c, item->crl, 1);
            count++;
        }
    }
    o->OPENSSL_sk_pop_free((OPENSSL_STACK *)inf, (OPENSSL_sk_freefunc)o->X509_INFO_free);
    return count;
}

/* PEM certificates only, as X509_load_cert_file_ex reads them. */
static int read_cert_pem(struct tc_ossl *o, BIO *in, struct capture *c)
{
    X509 *x;
    int count = 0;

    for (;;) {
        tc_err_mark(o);
        if (!(x = o->PEM_read_bio_X509_AUX(in, NULL, NULL, ""))) {
            if (ERR_GET_REASON(o->ERR_peek_last_error()) == PEM_R_NO_START_LINE && count > 0) {
                tc_err_pop(o);
                return count;
            }
            tc_err_keep(o);
            return 0;
        }
        tc_err_keep(o);
        capture_add(o, c, x, 0);
        o->X509_free(x);
        count++;
    }
}

/* One DER certificate, as X509_load_cert_file_ex reads it. */
static int read_cert_der(struct tc_ossl *o, BIO *in, struct capture *c)
{
    X509 *x = o->d2i_X509_bio(in, NULL);

    if (!x)
        return 0;
    capture_add(o, c, x, 0);
    o->X509_free(x);
    return 1;
}

/* Reads `src` in file order into `c`; returns what the real loader would. */
static int read_in_file_order(struct tc_ossl *o, const struct tc_source *src, struct capture *c)
{
    BIO *in = o->BIO_new_file(src->path, "rb");
    int count = 0;

    if (!in)
        return 0;
    if (src->kind == TC_KIND_CERT_CRL && src->type == X509_FILETYPE_PEM)
        count = read_cert_crl_pem(o, in, src, c);
    else if (src->type == X509_FILETYPE_PEM)
        count = read_cert_pem(o, in, c);
    else if (src->type == X509_FILETYPE_ASN1)
        count = read_cert_der(o, in, c);
    o->BIO_free(in);
    return count;
}

/* Adds the capture to `store` in order: the store drops duplicates. */
static int add_all(struct tc_ossl *o, X509_STORE *store, const struct capture *c)
{
    int i;

    for (i = 0; i < c->n; i++)
        if (!(c->is_crl[i] ? o->X509_STORE_add_crl(store, c->objs[i])
                           : o->X509_STORE_add_cert(store, c->objs[i])))
            return 0;
    return 1;
}

/*
 * The heap a parsed bundle keeps, estimated from the objects themselves
 * (tc_heap_estimate) and never asked of the allocator: glibc's mallinfo2()
 * walks arenas that are not set up when another allocator owns malloc
 * (mimalloc, ASan, TSan) and crashed host processes doing concurrent first
 * loads; and any process-wide figure would also count other threads'
 * allocations.  i2d with a NULL output only measures the encoding, which a
 * parsed certificate keeps cached.
 */
static size_t estimate_heap(struct tc_ossl *o, const struct tc_bundle *b)
{
    size_t cert_der = 0, crl_der = 0;
    int i, len;

    for (i = 0; i < b->nobjs; i++) {
        len = b->is_crl[i] ? o->i2d_X509_CRL(b->objs[i], NULL) : o->i2d_X509(b->objs[i], NULL);
        if (len > 0)
            *(b->is_crl[i] ? &crl_der : &cert_der) += (size_t)len;
    }
    return tc_heap_estimate(b->certs, cert_der, crl_der);
}

/* Keeps capture `i`, a duplicate the store dropped, to be added again in place. */
static int keep_dup(struct capture *c, int i, struct tc_bundle *b, int at)
{
    if (!b->dups) {
        b->dups = malloc(sizeof(void *) * (size_t)c->n);
        b->dup_is_crl = malloc((size_t)c->n);
        b->dup_at = malloc(sizeof(int) * (size_t)c->n);
        if (!b->dups || !b->dup_is_crl || !b->dup_at)
            return 0;
    }
    b->dups[b->ndups] = c->objs[i];
    b->dup_is_crl[b->ndups] = c->is_crl[i];
    b->dup_at[b->ndups++] = at;
    return 1;
}

/*
 * Keeps, in file order, the first occurrence of each object the store
 * actually holds, and the duplicates it dropped with their places.  Moves the
 * capture's references into the bundle.  Returns 0 if the capture does not
 * account for every object in the store.
 */
static int take_in_file_order(struct tc_ossl *o, struct capture *c, X509_STORE *scratch,
                              struct tc_bundle *b)
{
    int nmembers = 0, i, kept = 0, dups_ok = 1;
    void **members = tc_store_members(o, scratch, &nmembers);
    unsigned char *seen = calloc((size_t)(nmembers ? nmembers : 1), 1);

    b->objs = malloc(sizeof(void *) * (size_t)(c->n ? c->n : 1));
    b->is_crl = malloc((size_t)(c->n ? c->n : 1));
    if (!seen) { /* nothing kept: every captured reference is released below */
        free(b->objs);
        free(b->is_crl);
        b->objs = NULL;
        b->is_crl = NULL;
    }
    for (i = 0; i < c->n; i++) {
        void **hit =
            members ? bsearch(&c->objs[i], members, (size_t)nmembers, sizeof(*members), tc_ptr_cmp)
                    : NULL;
        size_t at = hit ? (size_t)(hit - members) : 0;
        if (!hit && seen && b->objs && b->is_crl && keep_dup(c, i, b, kept))
            continue;
        if (!hit || !seen || seen[at] || !b->objs || !b->is_crl) {
            tc_obj_release(o, c->objs[i], c->is_crl[i]);
            dups_ok = 0;
            continue;
        }
        seen[at] = 1;
        b->objs[kept] = c->objs[i];
        b->is_crl[kept] = c->is_crl[i];
        if (c->is_crl[i])
            b->crls++;
        else
            b->certs++;
        kept++;
    }
    b->nobjs = kept;
    c->n = 0; /* every reference was moved or released */
    free(seen);
    free(members);
    return b->objs && b->is_crl && kept == nmembers && nmembers > 0 && dups_ok;
}

static void push_sentinel(struct tc_ossl *o)
{
    tc_compat_raise(o, ERR_LIB_USER, TC_SENTINEL_REASON);
}

struct tc_bundle *tc_bundle_parse(struct tc_ossl *o, const char *content_key,
                                  const unsigned char *sha, const struct tc_source *src,
                                  enum tc_passthrough *why)
{
    struct capture cap = {0};
    struct tc_bundle *b = tc_bundle_new(o->cache, content_key, sha);
    X509_STORE *scratch = NULL;
    uint64_t t0;
    int rc, clean, internal, complete = 0;

    *why = TC_PT_INTERNAL;
    if (!b)
        return NULL;
    tc_err_mark(o);
    push_sentinel(o);
    t0 = tc_now_ns();
    rc = read_in_file_order(o, src, &cap);
    if (tc_compat_pem_load_clears_queue(o))
        push_sentinel(o); /* the reader cleared the queue, the first sentinel too */
    /* The adds belong to the load too: adding a certificate caches its
     * extensions, and an invalid one leaves an error on the queue that the
     * real loader's caller sees (and a replay of the cached object would
     * not raise again). */
    internal = rc > 0 && (cap.failed || !(scratch = o->X509_STORE_new()));
    clean = rc > 0 && !internal && add_all(o, scratch, &cap) &&
            o->ERR_peek_last_error() == tc_compat_err_code(o, ERR_LIB_USER, TC_SENTINEL_REASON);
    if (clean)
        complete = take_in_file_order(o, &cap, scratch, b);
    o->X509_STORE_free(scratch);
    b->parse_ns = tc_now_ns() - t0;
    b->count = rc;
    tc_err_pop(o);
    capture_release(o, &cap);
    if (clean && complete) {
        b->heap_bytes = estimate_heap(o, b);
        return b;
    }
    if (!clean && !internal) /* the shim's own allocations stay internal_error */
        *why = TC_PT_LOAD_FAILED;
    tc_bundle_release(b);
    return NULL;
}

/* The cache's release callback: the bundle's own references to its objects. */
void tc_bundle_release_objects(struct tc_bundle *b, void *arg)
{
    struct tc_ossl *o = arg;
    int i;

    for (i = 0; i < b->nobjs; i++)
        tc_obj_release(o, b->objs[i], b->is_crl[i]);
    for (i = 0; i < b->ndups; i++)
        tc_obj_release(o, b->dups[i], b->dup_is_crl[i]);
    b->nobjs = 0;
    b->ndups = 0;
}
