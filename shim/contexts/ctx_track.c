/*
 * Contexts created through the hooks.
 *
 * OpenSSL 3 has no public getter for an SSL_CTX's library context or property
 * query, yet certificates parsed for one libctx are not interchangeable with
 * another's.  SSL_CTX_new_ex is hooked to remember both in ex_data; a context
 * the shim never saw created has its loads passed through.
 *
 * Contexts are refcounted (SSL_CTX_up_ref), so SSL_CTX_free is not a
 * destruction: the ex_data free callback is, and it is what counts a context
 * as freed.
 *
 * For the stats, a served CA load is counted for the context it went into.
 * The load itself only sees a store, so the context comes from this thread's
 * last context-level call (tc_ctx_get): the route that is loading into it
 * (SSL_CTX_load_verify_locations and friends), or the SSL_CTX_get_cert_store
 * that handed out its store just before a store-level load (curl).  That mark
 * holds a reference, so a context freed in between is never touched.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "contexts/acct.h"
#include "contexts/ctx_track.h"
#include "base/stats.h"
#include "report/stats_writer.h"
#include "contexts/template.h"
#include "ossl/compat.h"

/* Most contexts alive at once: raised, never lowered, after each creation. */
static void note_live_peak(void)
{
    uint64_t created = TC_READ(contexts_created), freed = TC_READ(contexts_freed);
    uint64_t live = created > freed ? created - freed : 0;
    uint64_t peak = TC_READ(contexts_live_peak);

    while (live > peak && !__atomic_compare_exchange_n(&tc_counters.contexts_live_peak, &peak, live,
                                                       0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        ;
}

void tc_ctx_track(struct tc_ossl *o, SSL_CTX *ctx, OSSL_LIB_CTX *libctx, const char *propq)
{
    struct tc_ctx_rec *rec;

    if (!ctx || !tc_copy_is_ready(o) || !o->SSL_CTX_set_ex_data)
        return;
    rec = calloc(1, sizeof(*rec));
    if (!rec)
        return;
    rec->libctx = libctx;
    rec->o = o;
    rec->state = TC_CTX_PRISTINE;
    rec->refs = 1;
    if (propq && !(rec->propq = strdup(propq))) {
        free(rec);
        return;
    }
    tc_err_mark(o);
    if (!o->SSL_CTX_set_ex_data(ctx, o->ctx_ex_index, rec)) {
        tc_err_pop(o);
        free(rec->propq);
        free(rec);
        return;
    }
    tc_err_pop(o);
    TC_COUNT(contexts_created, 1);
    note_live_peak();
}

void tc_ctx_hold(struct tc_ctx_rec *rec) { __atomic_add_fetch(&rec->refs, 1, __ATOMIC_RELAXED); }

void tc_ctx_release(struct tc_ctx_rec *rec)
{
    if (__atomic_sub_fetch(&rec->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    tc_acct_ctx_free(rec);
    free(rec);
}

/* ---- the context this thread's next CA load goes into ------------------- */

static pthread_key_t g_pending;
static pthread_once_t g_pending_once = PTHREAD_ONCE_INIT;
static int g_pending_ok;

static void pending_drop(void *rec) { tc_ctx_release(rec); }

static void pending_init(void) { g_pending_ok = pthread_key_create(&g_pending, pending_drop) == 0; }

static void set_pending(struct tc_ctx_rec *rec)
{
    struct tc_ctx_rec *old;

    pthread_once(&g_pending_once, pending_init);
    if (!g_pending_ok || (old = pthread_getspecific(g_pending)) == rec)
        return;
    tc_ctx_hold(rec);
    if (pthread_setspecific(g_pending, rec) != 0) {
        tc_ctx_release(rec);
        return;
    }
    if (old)
        tc_ctx_release(old);
}

/* The mark is used once: a later unrelated store-level load is not counted. */
static struct tc_ctx_rec *take_pending(void)
{
    struct tc_ctx_rec *rec;

    pthread_once(&g_pending_once, pending_init);
    if (!g_pending_ok || !(rec = pthread_getspecific(g_pending)))
        return NULL;
    pthread_setspecific(g_pending, NULL);
    return rec;
}

struct tc_ctx_rec *tc_ctx_lookup(struct tc_ossl *o, const SSL_CTX *ctx)
{
    if (!ctx || o->ctx_ex_index < 0 || !o->SSL_CTX_get_ex_data)
        return NULL;
    return o->SSL_CTX_get_ex_data(ctx, o->ctx_ex_index);
}

struct tc_ctx_rec *tc_ctx_get(struct tc_ossl *o, const SSL_CTX *ctx)
{
    struct tc_ctx_rec *rec = tc_ctx_lookup(o, ctx);

    if (rec && tc_acct_enabled())
        set_pending(rec);
    /* set_pending takes its own reference before it drops one, so the
     * context's reference keeps rec alive (the analyser cannot count). */
    return rec; /* NOLINT(clang-analyzer-unix.Malloc) */
}

void tc_ctx_count_load(struct tc_entry *entry, int hit, int served)
{
    struct tc_ctx_rec *rec = take_pending();

    if (!rec)
        return;
    if (served)
        tc_acct_load(rec, entry, hit);
    tc_ctx_release(rec);
}

/* Runs inside SSL_CTX_free when the last reference goes: no OpenSSL calls. */
void tc_ctx_rec_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
    struct tc_ctx_rec *rec = ptr;

    (void)parent, (void)ad, (void)idx, (void)argl, (void)argp;
    if (!rec)
        return; /* a context created before the shim saw it */
    tc_template_forget_lazy(rec);
    tc_template_release(rec->o, rec->tmpl);
    rec->tmpl = NULL;
    free(rec->propq);
    rec->propq = NULL;
    tc_acct_ctx_dead(rec);
    TC_COUNT(contexts_freed, 1);
    tc_ctx_release(rec);
}
