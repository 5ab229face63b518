/* Shared template stores: recipes, the template table, copy-on-write. */
#include "base/child_locks.h"
#include "contexts/template.h"
#include "cache/bundle_replay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ossl/compat.h"
#include "base/config.h"
#include "base/guard.h"
#include "base/stats.h"
#include "report/stats_render.h"
#include "base/word_lock.h"

struct tc_template {
    char *key;
    int nsteps;
    struct tc_step *steps;
    OSSL_LIB_CTX *libctx;
    char *propq;
    X509_STORE *store; /* one reference, dropped with the template */
    int refs;          /* atomic: the table's, plus each context record's */
    int tainted;       /* atomic */
    int in_table;      /* table lock */
    uint64_t last_used;
    /* Where libcrypto binds its own calls (-Bsymbolic), no hook sees a
     * hash-dir lookup add to the store: what it held at the last look,
     * sorted by address, tells the new objects apart (tc_verification). */
    unsigned known_lockword; /* word lock: guards the two below */
    void **known;
    int nknown;
    UT_hash_handle hh;
};

struct tc_templates {
    pthread_rwlock_t lock;
    struct tc_template *table;
    unsigned n, max;
    uint64_t tick;
};

int tc_sharing_enabled(void)
{
    const struct tc_config *cfg = tc_config();

    return cfg->share && cfg->mode == TC_MODE_ON;
}

/* ---- steps ---------------------------------------------------------- */

void tc_step_clear(struct tc_step *s)
{
    if (s->bundle)
        tc_bundle_release(s->bundle);
    free(s->dir);
    free(s->store_uri);
    memset(s, 0, sizeof(*s));
}

static int step_copy(struct tc_step *dst, const struct tc_step *src)
{
    memset(dst, 0, sizeof(*dst));
    dst->kind = src->kind;
    if ((src->dir && !(dst->dir = strdup(src->dir))) ||
        (src->store_uri && !(dst->store_uri = strdup(src->store_uri)))) {
        tc_step_clear(dst);
        return 0;
    }
    if ((dst->bundle = src->bundle))
        tc_bundle_hold(dst->bundle);
    return 1;
}

static int add_file_and_replay(struct tc_ossl *o, X509_STORE *store, struct tc_bundle *b)
{
    return o->X509_STORE_add_lookup(store, o->X509_LOOKUP_file()) && tc_bundle_replay(o, store, b);
}

static int step_apply(struct tc_ossl *o, X509_STORE *store, const struct tc_step *step,
                      OSSL_LIB_CTX *libctx, const char *propq, int strict)
{
    X509_LOOKUP *lu;

    switch (step->kind) {
    case TC_STEP_FILE:
        return add_file_and_replay(o, store, step->bundle);
    case TC_STEP_DIR:
        lu = o->X509_STORE_add_lookup(store, o->X509_LOOKUP_hash_dir());
        return lu &&
               o->X509_LOOKUP_ctrl(lu, X509_L_ADD_DIR, step->dir, X509_FILETYPE_PEM, NULL) > 0;
    case TC_STEP_DEFAULT_PATHS:
        /* x509_def.c order; the lazy lookups' own results are ignored there too. */
        if (!add_file_and_replay(o, store, step->bundle))
            return 0;
        if (!(lu = o->X509_STORE_add_lookup(store, o->X509_LOOKUP_hash_dir())))
            return 0;
        if (o->X509_LOOKUP_ctrl(lu, X509_L_ADD_DIR, step->dir, X509_FILETYPE_PEM, NULL) <= 0 &&
            strict)
            return 0;
        if (!tc_compat_has_store_lookup(o))
            return 1;
        if (!(lu = o->X509_STORE_add_lookup(store, o->X509_LOOKUP_store())))
            return 0;
        o->X509_LOOKUP_ctrl_ex(lu, X509_L_ADD_STORE, step->store_uri, 0, NULL, libctx, propq);
        return 1;
    }
    return 0;
}

int tc_step_apply(struct tc_ossl *o, X509_STORE *store, const struct tc_step *step,
                  OSSL_LIB_CTX *libctx, const char *propq)
{
    return step_apply(o, store, step, libctx, propq, 1);
}

int tc_step_apply_to_caller(struct tc_ossl *o, X509_STORE *store, const struct tc_step *step,
                            OSSL_LIB_CTX *libctx, const char *propq)
{
    int ok;

    tc_err_mark(o);
    ok = store && step_apply(o, store, step, libctx, propq, 0);
    if (ok)
        tc_err_keep(o);
    else
        tc_err_pop(o);
    return ok;
}

static void key_append_step(struct tc_buf *k, const struct tc_step *s)
{
    switch (s->kind) {
    case TC_STEP_FILE:
        tc_buf_printf(k, "F%s;", s->bundle->content_key);
        break;
    case TC_STEP_DIR:
        tc_buf_printf(k, "D%zu:%s;", strlen(s->dir), s->dir);
        break;
    case TC_STEP_DEFAULT_PATHS:
        tc_buf_printf(k, "P%s|%zu:%s|%zu:%s;", s->bundle->content_key, strlen(s->dir), s->dir,
                      s->store_uri ? strlen(s->store_uri) : 0, s->store_uri ? s->store_uri : "-");
        break;
    }
}

/* ---- the table ------------------------------------------------------- */

static struct tc_templates *table_of(struct tc_ossl *o) { return o->templates; }

struct tc_templates *tc_templates_new(unsigned max)
{
    struct tc_templates *t = calloc(1, sizeof(*t));

    if (t && pthread_rwlock_init(&t->lock, NULL) != 0) {
        free(t);
        return NULL;
    }
    if (t)
        t->max = max ? max : 1;
    return t;
}

static void template_free(struct tc_ossl *o, struct tc_template *t)
{
    int i;

    if (t->store) {
        /* An application may still hold the store (up-ref'd from a verify callback). */
        tc_store_mark_template(o, t->store, NULL);
        o->X509_STORE_free(t->store);
    }
    for (i = 0; i < t->nsteps; i++)
        tc_step_clear(&t->steps[i]);
    free(t->known);
    free(t->steps);
    free(t->propq);
    free(t->key);
    free(t);
}

void tc_template_release(struct tc_ossl *o, struct tc_template *t)
{
    if (t && __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) == 0)
        template_free(o, t);
}

static struct tc_template *table_find(struct tc_ossl *o, const char *key)
{
    struct tc_templates *tt = table_of(o);
    struct tc_template *t;

    pthread_rwlock_rdlock(&tt->lock);
    HASH_FIND_STR(tt->table, key, t);
    if (t) {
        __atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL);
        __atomic_store_n(&t->last_used, __atomic_add_fetch(&tt->tick, 1, __ATOMIC_RELAXED),
                         __ATOMIC_RELAXED);
    }
    pthread_rwlock_unlock(&tt->lock);
    return t;
}

/* Removes `t` from the table (lock held); returns 1 if the table's reference must be dropped. */
static int table_unlink(struct tc_templates *tt, struct tc_template *t)
{
    if (!t->in_table)
        return 0;
    HASH_DELETE(hh, tt->table, t);
    t->in_table = 0;
    tt->n--;
    return 1;
}

static struct tc_template *lru_victim(struct tc_templates *tt, struct tc_template *keep)
{
    struct tc_template *t, *tmp, *victim = NULL;

    HASH_ITER(hh, tt->table, t, tmp) {
        /* cppcheck-suppress uninitvar ; HASH_ITER assigns it (uthash.h, not read) */
        if (t != keep && (!victim || t->last_used < victim->last_used))
            victim = t;
    }
    return victim;
}

/*
 * Inserts `t` (holding the caller's reference) unless an equal template won
 * the race; returns the template to use, with a reference for the caller.
 */
static struct tc_template *table_insert(struct tc_ossl *o, struct tc_template *t)
{
    struct tc_templates *tt = table_of(o);
    struct tc_template *existing, *evicted = NULL;

    pthread_rwlock_wrlock(&tt->lock);
    HASH_FIND_STR(tt->table, t->key, existing);
    if (existing) {
        __atomic_add_fetch(&existing->refs, 1, __ATOMIC_ACQ_REL);
    } else {
        HASH_ADD_KEYPTR(hh, tt->table, t->key, strlen(t->key), t);
        if (TC_HASH_ADDED()) { /* else: this context uses it, none other will */
            t->in_table = 1;
            tt->n++;
            __atomic_add_fetch(&t->refs, 1, __ATOMIC_ACQ_REL); /* the table's */
            t->last_used = __atomic_add_fetch(&tt->tick, 1, __ATOMIC_RELAXED);
            if (tt->n > tt->max && (evicted = lru_victim(tt, t)) && !table_unlink(tt, evicted))
                evicted = NULL;
        }
    }
    pthread_rwlock_unlock(&tt->lock);
    if (evicted)
        tc_template_release(o, evicted); /* contexts on it keep it alive */
    if (existing) {
        tc_template_release(o, t);
        return existing;
    }
    TC_COUNT(templates_built, 1);
    return t;
}

unsigned tc_template_count(struct tc_ossl *o)
{
    struct tc_templates *tt = o->templates;
    unsigned n;

    if (!tt)
        return 0;
    pthread_rwlock_rdlock(&tt->lock);
    n = tt->n;
    pthread_rwlock_unlock(&tt->lock);
    return n;
}

/* ---- building -------------------------------------------------------- */

/* A store with every step applied, on a fresh X509_STORE; NULL on failure. */
static X509_STORE *build_store(struct tc_ossl *o, const struct tc_step *steps, int n,
                               OSSL_LIB_CTX *libctx, const char *propq)
{
    X509_STORE *store;
    int i, ok;

    tc_err_mark(o);
    store = o->X509_STORE_new();
    for (i = 0, ok = store != NULL; ok && i < n; i++)
        ok = tc_step_apply(o, store, &steps[i], libctx, propq);
    tc_err_pop(o);
    if (!ok && store) {
        o->X509_STORE_free(store);
        store = NULL;
    }
    return store;
}

/* A new template for `base`'s recipe plus `step`, with one reference. */
static struct tc_template *template_build(struct tc_ossl *o, const struct tc_ctx_rec *rec,
                                          const struct tc_step *step, char *key)
{
    const struct tc_template *base = rec->tmpl;
    int nbase = base ? base->nsteps : 0, i, ok = 1;
    struct tc_template *t = calloc(1, sizeof(*t));

    if (!t || !(t->steps = calloc((size_t)nbase + 1, sizeof(*t->steps)))) {
        free(t);
        free(key);
        return NULL;
    }
    t->key = key;
    t->refs = 1;
    t->libctx = rec->libctx;
    ok = !rec->propq || (t->propq = strdup(rec->propq));
    for (i = 0; ok && i < nbase; i++, t->nsteps++)
        ok = step_copy(&t->steps[i], &base->steps[i]);
    if (ok && (ok = step_copy(&t->steps[nbase], step)))
        t->nsteps++;
    if (ok)
        t->store = build_store(o, t->steps, t->nsteps, t->libctx, t->propq);
    if (!t->store || !tc_store_mark_template(o, t->store, t)) {
        template_free(o, t);
        return NULL;
    }
    if (o->crypto_symbolic)
        t->known = tc_store_members(o, t->store, &t->nknown);
    return t;
}

static char *recipe_key(const struct tc_ctx_rec *rec, const struct tc_step *step)
{
    struct tc_buf k = {0};
    int i;

    tc_buf_printf(&k, "%p|%s%s|", (void *)rec->libctx, rec->propq ? "=" : "-",
                  rec->propq ? rec->propq : "");
    for (i = 0; rec->tmpl && i < rec->tmpl->nsteps; i++)
        key_append_step(&k, &rec->tmpl->steps[i]);
    key_append_step(&k, step);
    if (k.failed) {
        tc_buf_free(&k);
        return NULL;
    }
    return k.data;
}

/* ---- contexts -------------------------------------------------------- */

/*
 * State changes of one context are serialised: CPython's get_ca_certs() may
 * run in several threads on one context at once, and two threads must not
 * both swap in a private store.  A word lock (word_lock.h), so a lock held
 * by a thread that does not exist in a forked child counts as free there.
 * Held only while one context's store is built or swapped.
 */
static void rec_lock(struct tc_ctx_rec *rec) { tc_word_lock(&rec->lockword); }
static void rec_unlock(struct tc_ctx_rec *rec) { tc_word_unlock(&rec->lockword); }

static void privatize_locked(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec);

int tc_template_apply(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec, struct tc_step *step)
{
    struct tc_template *t = NULL, *old;
    char *key;

    if (!tc_sharing_enabled() || !o->templates || !o->SSL_CTX_set1_cert_store)
        return 0;
    rec_lock(rec);
    if (rec->state == TC_CTX_PRIVATE) {
        rec_unlock(rec);
        return 0;
    }
    if ((key = recipe_key(rec, step))) {
        t = table_find(o, key);
        if (t)
            free(key);
        else if ((t = template_build(o, rec, step, key)))
            t = table_insert(o, t);
    }
    if (!t) {
        privatize_locked(o, ctx, rec);
        rec_unlock(rec);
        return 0;
    }
    o->SSL_CTX_set1_cert_store(ctx, t->store); /* drops the context's previous store */
    old = rec->tmpl;
    rec->tmpl = t;
    rec->state = TC_CTX_SHARED;
    rec_unlock(rec);
    tc_template_release(o, old);
    TC_COUNT(contexts_shared, 1);
    return 1;
}

/*
 * Orders OpenSSL's plain access to a context's store pointer against
 * own_store.  ThreadSanitizer does not model fences; the acquire and
 * release on own_store itself are what it checks.
 */
#if defined(__SANITIZE_THREAD__)
#define TC_FENCE(order) ((void)0)
#else
#define TC_FENCE(order) __atomic_thread_fence(order)
#endif

/* The verification running on this thread, when its context shares a template. */
static __thread struct tc_ctx_rec *tc_verifying __attribute__((tls_model("initial-exec")));

/*
 * A handshake may run while another thread privatises the same context
 * (SSL_CTX_get_cert_store), and OpenSSL reads the context's store pointer
 * without a lock.  When the store this verification got is the context's
 * private one, the acquire load of own_store orders this thread after that
 * store was built; only a store that is not the private one is looked up
 * as a possible template.
 */
/* The context whose connection `sctx` verifies, and its record; NULL if none. */
static struct tc_ctx_rec *verifying_context(struct tc_ossl *o, X509_STORE_CTX *sctx, SSL_CTX **ctx)
{
    SSL *ssl;
    int idx;

    *ctx = NULL;
    if (!tc_copy_is_ready(o) || !o->SSL_get_ex_data_X509_STORE_CTX_idx || !o->SSL_get_SSL_CTX)
        return NULL;
    idx = o->SSL_get_ex_data_X509_STORE_CTX_idx();
    ssl = idx >= 0 ? o->X509_STORE_CTX_get_ex_data(sctx, idx) : NULL;
    *ctx = ssl ? o->SSL_get_SSL_CTX(ssl) : NULL;
    return *ctx ? tc_ctx_lookup(o, *ctx) : NULL;
}

/*
 * Only a hash-dir or store lookup (a DIR or DEFAULT_PATHS step) adds to a
 * store during a verification; a file lookup never does.
 */
static int loads_lazily(const struct tc_template *t)
{
    int i;

    for (i = 0; i < t->nsteps; i++)
        if (t->steps[i].kind != TC_STEP_FILE)
            return 1;
    return 0;
}

void tc_template_verification_begin(struct tc_ossl *o, X509_STORE_CTX *sctx,
                                    struct tc_verification *v)
{
    struct tc_ctx_rec *rec;
    X509_STORE *store;
    SSL_CTX *ctx;

    memset(v, 0, sizeof(*v));
    v->previous = tc_verifying;
    v->before = -1;
    if (!(rec = verifying_context(o, sctx, &ctx)))
        return;
    store = o->X509_STORE_CTX_get0_store(sctx);
    TC_FENCE(__ATOMIC_ACQUIRE); /* the store pointer was read before own_store */
    if (!store || __atomic_load_n(&rec->own_store, __ATOMIC_ACQUIRE) == store ||
        !tc_store_template(o, store))
        return;
    __atomic_store_n(&rec->verified, 1, __ATOMIC_RELAXED);
    tc_verifying = rec;
    v->rec = rec;
    v->store = store;
    if (o->crypto_symbolic && loads_lazily(tc_store_template(o, store)))
        v->before = tc_store_count(o, store);
}

static void remember_lazy(struct tc_ossl *o, struct tc_ctx_rec *rec, void *obj, int is_crl);

/*
 * Where no hook sees hash-dir loads, they are found by what the template
 * holds after the verification and did not hold before.  Two verifications
 * on one template that load at the same moment may attribute each other's
 * loads (enumeration of a private copy only: trust is the same).
 */
static void note_new_objects(struct tc_ossl *o, struct tc_ctx_rec *rec, X509_STORE *store)
{
    struct tc_template *t = tc_store_template(o, store);
    unsigned char *crl = NULL;
    void **objs, **sorted;
    int n = 0, i;

    if (!t)
        return;
    tc_word_lock(&t->known_lockword);
    objs = tc_store_objects(o, store, &n, &crl, 1);
    sorted = objs ? malloc(sizeof(*sorted) * (size_t)n) : NULL;
    for (i = 0; objs && i < n; i++) {
        if (!t->known ||
            !bsearch(&objs[i], t->known, (size_t)t->nknown, sizeof(*t->known), tc_ptr_cmp))
            remember_lazy(o, rec, objs[i], crl[i]);
    }
    if (sorted) {
        memcpy(sorted, objs, sizeof(*sorted) * (size_t)n);
        qsort(sorted, (size_t)n, sizeof(*sorted), tc_ptr_cmp);
        free(t->known);
        t->known = sorted;
        t->nknown = n;
    } else if (n) {
        rec->lazy_lost = 1; /* could not tell: its private copy takes everything */
    }
    tc_word_unlock(&t->known_lockword);
    for (i = 0; objs && i < n; i++)
        tc_obj_release(o, objs[i], crl[i]);
    free(objs);
    free(crl);
}

void tc_template_verification_end(struct tc_ossl *o, struct tc_verification *v)
{
    tc_verifying = v->previous;
    if (v->rec && v->before >= 0 && tc_store_count(o, v->store) != v->before)
        note_new_objects(o, v->rec, v->store);
}

/*
 * Doubles the context's lazy-load arrays; record lock held.  Copies, then
 * switches pointers, then frees: the record lock is not held across fork(),
 * so a fork at any point here leaves the child arrays that are whole
 * (realloc could leave it one already freed).
 */
static void grow_lazy(struct tc_ctx_rec *rec)
{
    int cap = rec->lazy_cap ? rec->lazy_cap * 2 : 8;
    void **objs = malloc(sizeof(*objs) * (size_t)cap), **old_objs = rec->lazy;
    unsigned char *crl = malloc((size_t)cap), *old_crl = rec->lazy_crl;

    if (!objs || !crl) {
        free(objs);
        free(crl);
        return;
    }
    if (rec->nlazy) {
        memcpy(objs, old_objs, sizeof(*objs) * (size_t)rec->nlazy);
        memcpy(crl, old_crl, (size_t)rec->nlazy);
    }
    rec->lazy = objs;
    rec->lazy_crl = crl;
    rec->lazy_cap = cap;
    free(old_objs);
    free(old_crl);
}

/* Keeps a reference to `obj` as loaded by `rec`'s own lookups. */
static void remember_lazy(struct tc_ossl *o, struct tc_ctx_rec *rec, void *obj, int is_crl)
{
    rec_lock(rec);
    if (rec->nlazy == rec->lazy_cap)
        grow_lazy(rec);
    if (rec->nlazy < rec->lazy_cap && (is_crl ? o->X509_CRL_up_ref(obj) : o->X509_up_ref(obj))) {
        rec->lazy[rec->nlazy] = obj;
        rec->lazy_crl[rec->nlazy++] = (unsigned char)is_crl;
    } else {
        rec->lazy_lost = 1;
    }
    rec_unlock(rec);
}

void tc_template_note_lazy(struct tc_ossl *o, X509_STORE *store, void *obj, int is_crl)
{
    struct tc_ctx_rec *rec = tc_verifying;

    if (!rec || !rec->tmpl || rec->tmpl->store != store)
        return;
    remember_lazy(o, rec, obj, is_crl);
}

void tc_template_forget_lazy(struct tc_ctx_rec *rec)
{
    int i;

    for (i = 0; i < rec->nlazy; i++)
        tc_obj_release(rec->o, rec->lazy[i], rec->lazy_crl[i]);
    free(rec->lazy);
    free(rec->lazy_crl);
    rec->lazy = NULL;
    rec->lazy_crl = NULL;
    rec->nlazy = rec->lazy_cap = 0;
}

/*
 * A context that verified on the template would by now hold, in its own
 * store, what its hash-dir lookups loaded, and its object stack would be
 * sorted by those lookups: its private copy gets both, after the recipe's
 * objects.  (A certificate another sharing context's lookup had already
 * loaded into the template is not among them: this context found it there
 * without a load; documented in DESIGN.md.)
 */
/* Adds to `to` those of `objs` it does not hold yet; 0 if an add failed. */
static int add_missing(struct tc_ossl *o, X509_STORE *to, void **objs, const unsigned char *crl,
                       int n)
{
    int i, nown = 0, ok = 1;
    void **own = tc_store_members(o, to, &nown);

    if (nown && !own)
        return 0;
    for (i = 0; i < n && ok; i++) {
        if (own && bsearch(&objs[i], own, (size_t)nown, sizeof(*own), tc_ptr_cmp))
            continue; /* the recipe's own */
        ok = crl[i] ? o->X509_STORE_add_crl(to, objs[i]) : o->X509_STORE_add_cert(to, objs[i]);
    }
    free(own);
    return ok;
}

static int copy_lookup_state(struct tc_ossl *o, struct tc_ctx_rec *rec, X509_STORE *to)
{
    unsigned char *crl = NULL;
    void **all;
    int ok, n = 0, i;

    ok = add_missing(o, to, rec->lazy, rec->lazy_crl, rec->nlazy);
    if (ok && rec->lazy_lost) {
        /* Some loads were not remembered: take all the template holds, which
         * is more than this context loaded, rather than less. */
        all = tc_store_objects(o, rec->tmpl->store, &n, &crl, 1);
        ok = (all || !n) && add_missing(o, to, all, crl, n);
        for (i = 0; all && i < n; i++)
            tc_obj_release(o, all[i], crl[i]);
        free(all);
        free(crl);
    }
    if (tc_compat_lookups_sort_store(o)) {
        o->X509_STORE_lock(to);
        o->OPENSSL_sk_sort((OPENSSL_STACK *)o->X509_STORE_get0_objects(to));
        o->X509_STORE_unlock(to);
    }
    return ok;
}

void tc_template_claim(struct tc_ossl *o, X509_STORE *store)
{
    tc_template_check_mutation(o, store, NULL, "a CA load");
}

void tc_template_privatize(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec)
{
    rec_lock(rec);
    privatize_locked(o, ctx, rec);
    rec_unlock(rec);
}

void tc_template_leave(struct tc_ctx_rec *rec)
{
    rec_lock(rec);
    rec->state = TC_CTX_PRIVATE;
    rec_unlock(rec);
}

/* The private store a shared context gets: its recipe, then its own lookups. */
static X509_STORE *private_copy(struct tc_ossl *o, struct tc_ctx_rec *rec)
{
    struct tc_template *t = rec->tmpl;
    X509_STORE *own = build_store(o, t->steps, t->nsteps, t->libctx, t->propq);
    int ok;

    if (!own || !__atomic_load_n(&rec->verified, __ATOMIC_RELAXED))
        return own;
    tc_err_mark(o);
    ok = copy_lookup_state(o, rec, own);
    tc_err_pop(o);
    if (!ok) {
        o->X509_STORE_free(own);
        own = NULL;
    }
    return own;
}

/* Attempts at a private copy before the context keeps the (retired) template. */
#define TC_PRIVATE_COPY_TRIES 3

static void privatize_locked(struct tc_ossl *o, SSL_CTX *ctx, struct tc_ctx_rec *rec)
{
    X509_STORE *own = NULL;
    int i;

    if (rec->state != TC_CTX_SHARED) {
        rec->state = TC_CTX_PRIVATE;
        return;
    }
    /* The caller is about to hold, and may change, this store: a passing
     * allocation failure must not leave it with the shared one. */
    for (i = 0; i < TC_PRIVATE_COPY_TRIES && !own; i++)
        own = private_copy(o, rec);
    if (!own) {
        /* Cannot rebuild: keep the template, but no other context gets it. */
        rec->state = TC_CTX_PRIVATE;
        tc_template_check_mutation(o, rec->tmpl->store, NULL, "private copy failed");
        return;
    }
    /*
     * The record keeps its template reference until the context dies, so a
     * thread still holding this context's old store pointer (a handshake in
     * flight) never sees it freed.
     */
    __atomic_store_n(&rec->own_store, own, __ATOMIC_RELEASE);
    TC_FENCE(__ATOMIC_RELEASE); /* own_store is seen before the swap */
    o->SSL_CTX_set_cert_store(ctx, own);
    rec->state = TC_CTX_PRIVATE; /* only now: the store handed out is the private one */
    TC_COUNT(stores_privatized, 1);
}

/* ---- a verification's store handed out ------------------------------- */

/* An unknown X509_STORE_CTX layout: say once that isolation held but the
 * verification in progress kept the shared store. */
static void warn_not_repointed(void)
{
    static int said;
    static const char line[] =
        "trustcache: a verify callback took its CA store; later handshakes use the context's "
        "own copy, this one finishes on the shared store\n";

    if (!__atomic_exchange_n(&said, 1, __ATOMIC_RELAXED) &&
        write(STDERR_FILENO, line, sizeof(line) - 1) < 0)
        return;
}

/*
 * X509_STORE_CTX_get0_store from outside OpenSSL (a verify callback): the
 * caller may add a CA or CRL, or set flags, on what it gets.  Without the
 * shim that store is the verifying context's own; a template is shared by
 * every context with the same recipe, so it is never handed out.  The context
 * gets its private copy first (as SSL_CTX_get_cert_store would give it) and
 * keeps it for its later handshakes; the verification in progress is pointed
 * at that copy too, so the rest of it sees what the callback adds, exactly as
 * it would have seen it in the context's own store (DESIGN.md).
 */
X509_STORE *tc_template_verify_store(struct tc_ossl *o, X509_STORE_CTX *sctx, X509_STORE *store)
{
    struct tc_ctx_rec *rec;
    X509_STORE *own = NULL;
    SSL_CTX *ctx;

    if (!store || !tc_store_template(o, store) || !(rec = verifying_context(o, sctx, &ctx)))
        return store;
    rec_lock(rec);
    if (rec->state == TC_CTX_SHARED && rec->tmpl && rec->tmpl->store == store)
        privatize_locked(o, ctx, rec);
    own = __atomic_load_n(&rec->own_store, __ATOMIC_ACQUIRE);
    rec_unlock(rec);
    if (!own)
        return store; /* no private copy could be made: the template was retired */
    if (!tc_compat_repoint_verification(sctx, store, own))
        warn_not_repointed();
    return own;
}

/* ---- mutations through a template pointer ---------------------------- */

static void warn_once(const char *what)
{
    char line[256];
    int n = snprintf(line, sizeof(line),
                     "trustcache: %s on a shared CA store (verify callback?); contexts created "
                     "from now on get a fresh copy\n",
                     what);

    if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
        return;
}

void tc_template_check_mutation(struct tc_ossl *o, X509_STORE *store, const void *caller,
                                const char *what)
{
    struct tc_templates *tt;
    struct tc_template *t;
    int drop;

    if (!tc_copy_is_ready(o) || (caller && (tc_guard_busy() || tc_ossl_is_internal(o, caller))))
        return;
    tt = o->templates;
    if (!(t = tc_store_template(o, store)))
        return;
    TC_COUNT(template_mutations, 1);
    if (__atomic_exchange_n(&t->tainted, 1, __ATOMIC_ACQ_REL))
        return;
    pthread_rwlock_wrlock(&tt->lock);
    drop = table_unlink(tt, t);
    pthread_rwlock_unlock(&tt->lock);
    if (drop)
        tc_template_release(o, t);
    warn_once(what);
}

void tc_templates_lock_for_fork(struct tc_ossl *o)
{
    if (o->templates)
        pthread_rwlock_wrlock(&o->templates->lock);
}

void tc_templates_unlock_after_fork(struct tc_ossl *o, int in_child)
{
    if (!o->templates)
        return;
    if (in_child) /* see tc_cache_unlock_after_fork */
        tc_child_rwlock(&o->templates->lock);
    else
        pthread_rwlock_unlock(&o->templates->lock);
}
