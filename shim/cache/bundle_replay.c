/*
 * Replaying a cached bundle into a caller's store: the same X509_STORE_add_cert
 * / add_crl calls the real loader makes, in file order, on the shared parsed
 * objects (the store takes its own reference; nothing is copied).
 *
 * Certificates are immutable once parsed and OpenSSL already shares them
 * between every connection of a context, so sharing them between contexts
 * adds no new kind of sharing.  The store itself is never shared here: each
 * context keeps its own, so anything added to it later stays its own.
 *
 * A store records (in ex_data) the bundles it already received.  Loading the
 * same bundle again would only hit duplicates, which OpenSSL ignores, so it is
 * answered without touching the store: urllib3 1.26 reloads the same file
 * into the same context on every reconnect.
 */
#include <stdlib.h>

#include "cache/bundle_replay.h"
#include "ossl/compat.h"

struct store_record {
    struct tc_template *tmpl; /* set once, before the store is shared */
    int n, cap;
    uint64_t serials[];
};

static int store_has(struct tc_ossl *o, X509_STORE *store, uint64_t serial)
{
    struct store_record *r;
    int i, found = 0;

    o->X509_STORE_lock(store);
    r = o->X509_STORE_get_ex_data(store, o->store_ex_index);
    for (i = 0; r && i < r->n && !found; i++)
        found = r->serials[i] == serial;
    o->X509_STORE_unlock(store);
    return found;
}

/* A copy of `r` with room for more; NULL on allocation failure. */
static struct store_record *grown(const struct store_record *r)
{
    int cap = r ? r->cap * 2 : 4;
    struct store_record *g = malloc(sizeof(*g) + sizeof(uint64_t) * (size_t)cap);
    int i;

    if (!g)
        return NULL;
    g->tmpl = r ? r->tmpl : NULL;
    g->n = r ? r->n : 0;
    g->cap = cap;
    for (i = 0; i < g->n; i++)
        g->serials[i] = r->serials[i];
    return g;
}

static void store_remember(struct tc_ossl *o, X509_STORE *store, uint64_t serial)
{
    struct store_record *r, *g;

    tc_err_mark(o);
    o->X509_STORE_lock(store);
    r = o->X509_STORE_get_ex_data(store, o->store_ex_index);
    if (!r || r->n == r->cap) {
        g = grown(r);
        if (g && o->X509_STORE_set_ex_data(store, o->store_ex_index, g)) {
            free(r);
            r = g;
        } else {
            free(g);
            r = NULL; /* no record: a later load of this bundle replays again */
        }
    }
    if (r)
        r->serials[r->n++] = serial;
    o->X509_STORE_unlock(store);
    tc_err_pop(o);
}

int tc_ptr_cmp(const void *a, const void *b)
{
    void *const *pa = a, *const *pb = b;
    uintptr_t x = (uintptr_t)*pa, y = (uintptr_t)*pb;

    return x < y ? -1 : x > y;
}

/* The store's object stack, or a copy of it (*copy set) on 4.x; NULL on failure. */
static STACK_OF(X509_OBJECT) * open_objects(struct tc_ossl *o, X509_STORE *store, int *copy)
{
    *copy = tc_compat_store_read_by_copy(o);
    if (*copy)
        return o->X509_STORE_get1_objects(store);
    o->X509_STORE_lock(store);
    return o->X509_STORE_get0_objects(store);
}

static void close_objects(struct tc_ossl *o, X509_STORE *store, STACK_OF(X509_OBJECT) * objs,
                          int copy)
{
    if (!copy)
        o->X509_STORE_unlock(store);
    else if (objs)
        o->OPENSSL_sk_pop_free((OPENSSL_STACK *)objs, (OPENSSL_sk_freefunc)o->X509_OBJECT_free);
}

void tc_obj_release(struct tc_ossl *o, void *obj, int is_crl)
{
    if (is_crl)
        o->X509_CRL_free(obj);
    else
        o->X509_free(obj);
}

int tc_store_count(struct tc_ossl *o, X509_STORE *store)
{
    int copy, n;
    STACK_OF(X509_OBJECT) *objs = open_objects(o, store, &copy);

    n = objs ? o->OPENSSL_sk_num((const OPENSSL_STACK *)objs) : -1;
    close_objects(o, store, objs, copy);
    return n;
}

void **tc_store_objects(struct tc_ossl *o, X509_STORE *store, int *n, unsigned char **is_crl,
                        int hold)
{
    STACK_OF(X509_OBJECT) * objs;
    void **ptrs = NULL;
    unsigned char *kinds = NULL;
    int i, copy;

    objs = open_objects(o, store, &copy);
    *n = objs ? o->OPENSSL_sk_num((const OPENSSL_STACK *)objs) : 1;
    if (*n > 0 && (ptrs = calloc((size_t)*n, sizeof(*ptrs))) &&
        (!is_crl || (kinds = calloc((size_t)*n, 1)))) {
        for (i = 0; i < *n; i++) {
            X509_OBJECT *obj = o->OPENSSL_sk_value((const OPENSSL_STACK *)objs, i);
            int crl = o->X509_OBJECT_get_type(obj) == X509_LU_CRL;
            ptrs[i] = crl ? (void *)o->X509_OBJECT_get0_X509_CRL(obj)
                          : (void *)o->X509_OBJECT_get0_X509(obj);
            if (kinds)
                kinds[i] = (unsigned char)crl;
            if (hold && crl)
                o->X509_CRL_up_ref(ptrs[i]);
            else if (hold)
                o->X509_up_ref(ptrs[i]);
        }
    } else {
        free(ptrs);
        ptrs = NULL;
    }
    close_objects(o, store, objs, copy);
    if (is_crl)
        *is_crl = kinds;
    return ptrs;
}

void **tc_store_members(struct tc_ossl *o, X509_STORE *store, int *n)
{
    void **members = tc_store_objects(o, store, n, NULL, 0);

    if (members)
        qsort(members, (size_t)*n, sizeof(*members), tc_ptr_cmp);
    return members;
}

struct tc_template *tc_store_template(struct tc_ossl *o, X509_STORE *store)
{
    struct store_record *r;

    if (!store || o->store_ex_index < 0)
        return NULL;
    r = o->X509_STORE_get_ex_data(store, o->store_ex_index);
    return r ? r->tmpl : NULL;
}

int tc_store_mark_template(struct tc_ossl *o, X509_STORE *store, struct tc_template *t)
{
    struct store_record *r;
    int ok = 0;

    tc_err_mark(o);
    o->X509_STORE_lock(store);
    r = o->X509_STORE_get_ex_data(store, o->store_ex_index);
    if (!r && (r = grown(NULL)) && !o->X509_STORE_set_ex_data(store, o->store_ex_index, r)) {
        free(r);
        r = NULL;
    }
    if (r) {
        r->tmpl = t;
        ok = 1;
    }
    o->X509_STORE_unlock(store);
    tc_err_pop(o);
    return ok;
}

static int add_obj(struct tc_ossl *o, X509_STORE *store, void *obj, int is_crl)
{
    return is_crl ? o->X509_STORE_add_crl(store, obj) : o->X509_STORE_add_cert(store, obj);
}

/*
 * Every add the real loader makes, in its order, duplicates included: each
 * add searches the store's objects first, which sorts them (one stack
 * through 3.x, the name's own from 4.0), so the order a store lists in
 * depends on the adds that found their object already there.  The same file
 * loaded again into the same store does that too.
 */
int tc_bundle_replay(struct tc_ossl *o, X509_STORE *store, struct tc_bundle *b)
{
    int i, d = 0, ok = 1, seen = store_has(o, store, b->serial);

    tc_err_mark(o);
    for (i = 0; i <= b->nobjs && ok; i++) {
        for (; d < b->ndups && b->dup_at[d] == i && ok; d++)
            ok = add_obj(o, store, b->dups[d], b->dup_is_crl[d]);
        if (i < b->nobjs && ok)
            ok = add_obj(o, store, b->objs[i], b->is_crl[i]);
    }
    if (!ok) {
        tc_err_pop(o);
        return 0;
    }
    tc_err_keep(o);
    if (!seen)
        store_remember(o, store, b->serial);
    return 1;
}

void tc_store_record_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                             void *argp)
{
    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    free(ptr);
}
