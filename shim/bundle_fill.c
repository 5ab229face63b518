/*
 * Filling the cache: OpenSSL's own loader parses the file into a scratch
 * store, so every parsing rule stays OpenSSL's (CRLs, TRUSTED CERTIFICATE aux
 * data, skipped PEM types, errors).  The shim only takes the objects out.
 *
 * Order matters: the store keeps objects in the order they were added (3.0
 * re-sorts stably on lookup, 3.5 scans linearly), and chain building picks the
 * first matching issuer.  A scratch store's own stack is not in file order,
 * so while the loader runs, the X509_STORE_add_cert/add_crl hooks record each
 * object it adds, in order.  Where a build does not route those calls through
 * the PLT, the capture comes back incomplete and the load is not cached.
 */
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "fingerprint.h"

/* An error code no OpenSSL library raises: marks "nothing new on the queue". */
#define TC_SENTINEL_REASON 0x7ab
#define TC_SENTINEL_CODE   ERR_PACK(ERR_LIB_USER, 0, TC_SENTINEL_REASON)

struct capture {
    X509_STORE *store;
    void **objs;
    unsigned char *is_crl;
    int n, cap, failed;
};

static __thread struct capture *tc_capture __attribute__((tls_model("initial-exec")));

void tc_capture_added(struct tc_ossl *o, X509_STORE *store, void *obj, int is_crl)
{
    struct capture *c = tc_capture;

    if (!c || c->store != store || c->failed)
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
    /* Held so a duplicate the loader frees cannot have its address reused. */
    if (!(is_crl ? o->X509_CRL_up_ref(obj) : o->X509_up_ref(obj))) {
        c->failed = 1;
        return;
    }
    c->objs[c->n] = obj;
    c->is_crl[c->n] = (unsigned char)is_crl;
    c->n++;
}

static void release_obj(struct tc_ossl *o, void *obj, int is_crl)
{
    if (is_crl)
        o->X509_CRL_free(obj);
    else
        o->X509_free(obj);
}

int tc_real_loader(struct tc_ossl *o, X509_LOOKUP *lu, const struct tc_source *src)
{
    if (src->kind == TC_KIND_CERT_CRL)
        return o->X509_load_cert_crl_file_ex(lu, src->path, src->type, src->libctx, src->propq);
    return o->X509_load_cert_file_ex(lu, src->path, src->type, src->libctx, src->propq);
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

/*
 * Keeps, in capture order, the first occurrence of each object the store
 * actually holds (duplicates are dropped by the store).  Moves the capture's
 * references into the bundle.  Returns 0 if the capture does not account for
 * every object in the store.
 */
static int take_in_file_order(struct tc_ossl *o, struct capture *c, X509_STORE *scratch,
                              struct tc_bundle *b)
{
    int nmembers = 0, i, kept = 0;
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
        if (!hit || !seen || seen[at] || !b->objs || !b->is_crl) {
            release_obj(o, c->objs[i], c->is_crl[i]);
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
    free(seen);
    free(members);
    return b->objs && b->is_crl && kept == nmembers && nmembers > 0;
}

static void push_sentinel(struct tc_ossl *o)
{
    o->ERR_new();
    o->ERR_set_debug("trustcache", 0, "sentinel");
    o->ERR_set_error(ERR_LIB_USER, TC_SENTINEL_REASON, NULL);
}

struct tc_bundle *tc_bundle_parse(struct tc_ossl *o, const char *content_key,
                                  const unsigned char *sha, const struct tc_source *src,
                                  enum tc_passthrough *why)
{
    struct capture cap = {0};
    struct tc_bundle *b = tc_bundle_new(o->cache, content_key, sha);
    X509_STORE *scratch;
    X509_LOOKUP *lu;
    uint64_t t0;
    int rc = 0, clean = 0, complete = 0;

    *why = TC_PT_INTERNAL;
    if (!b)
        return NULL;
    o->ERR_set_mark();
    push_sentinel(o);
    t0 = tc_now_ns();
    scratch = o->X509_STORE_new();
    lu = scratch ? o->X509_STORE_add_lookup(scratch, o->X509_LOOKUP_file()) : NULL;
    if (lu) {
        cap.store = scratch;
        tc_capture = &cap;
        rc = tc_real_loader(o, lu, src);
        tc_capture = NULL;
        clean = rc > 0 && o->ERR_peek_last_error() == TC_SENTINEL_CODE && !cap.failed;
        if (clean)
            complete = take_in_file_order(o, &cap, scratch, b);
        else
            while (cap.n-- > 0)
                release_obj(o, cap.objs[cap.n], cap.is_crl[cap.n]);
    }
    o->X509_STORE_free(scratch);
    b->parse_ns = tc_now_ns() - t0;
    b->count = rc;
    o->ERR_pop_to_mark();
    free(cap.objs);
    free(cap.is_crl);
    if (clean && complete) {
        b->heap_bytes = estimate_heap(o, b);
        return b;
    }
    if (lu)
        *why = clean ? TC_PT_ORDER_UNKNOWN : TC_PT_LOAD_FAILED;
    tc_bundle_release(b);
    return NULL;
}

/* The cache's release callback: the bundle's own references to its objects. */
void tc_bundle_release_objects(struct tc_bundle *b, void *arg)
{
    struct tc_ossl *o = arg;
    int i;

    for (i = 0; i < b->nobjs; i++)
        release_obj(o, b->objs[i], b->is_crl[i]);
    b->nobjs = 0;
}
