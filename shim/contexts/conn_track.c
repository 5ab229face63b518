/*
 * Connections (SSL objects), for the per-host stats.
 *
 * Each connection made through SSL_new keeps, in ex_data, a reference to the
 * record of the context it was made from.  It is counted once: for its host
 * as soon as the host is known (SNI or SSL_set1_host, whichever comes first),
 * or, if it never gets one, under "(none)" when it is freed.  So a connection
 * is never counted twice, and one that names its host late is never counted
 * as "(none)" first.  Server-side connections are not counted: their host
 * comes from the peer, and this view is about clients building contexts.
 *
 * The ex_data index is per OpenSSL copy, created on the first connection.
 */
#include <pthread.h>
#include <stdlib.h>

#include "base/child_locks.h"
#include "contexts/acct.h"
#include "contexts/conn_track.h"
#include "contexts/ctx_track.h"
#include "report/stats_writer.h"
#include "ossl/compat.h"

/* As many as resolve.c keeps copies. */
#define TC_CONN_COPIES 8
#define TC_NO_INDEX    (-2)

struct tc_conn {
    struct tc_ctx_rec *rec;   /* held; NULL when the context is unknown */
    int counted;              /* atomic: already counted for a host */
    struct tc_acct_mark mark; /* the row it was counted under */
};

struct conn_index {
    struct tc_ossl *o;
    int idx; /* -1: creating it failed, do not try again */
};

static struct conn_index g_index[TC_CONN_COPIES];
static int g_nindex;
static pthread_mutex_t g_index_lock = PTHREAD_MUTEX_INITIALIZER;

static int find_index(const struct tc_ossl *o)
{
    int i, n = __atomic_load_n(&g_nindex, __ATOMIC_ACQUIRE);

    for (i = 0; i < n; i++)
        if (g_index[i].o == o)
            return g_index[i].idx;
    return TC_NO_INDEX;
}

static void conn_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                         void *argp);
static int conn_dup_cb(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, tc_ex_dup_from_d from_d,
                       int idx, long argl, void *argp);

/* This copy's SSL ex_data index, created once; negative if there is none. */
static int conn_index(struct tc_ossl *o)
{
    int idx = find_index(o);

    if (idx != TC_NO_INDEX || !tc_copy_is_ready(o))
        return idx;
    pthread_mutex_lock(&g_index_lock);
    idx = find_index(o);
    if (idx == TC_NO_INDEX && g_nindex < TC_CONN_COPIES) {
        tc_err_mark(o);
        idx =
            o->CRYPTO_get_ex_new_index(CRYPTO_EX_INDEX_SSL, 0, o, NULL, conn_dup_cb, conn_free_cb);
        tc_err_pop(o);
        g_index[g_nindex].o = o;
        g_index[g_nindex].idx = idx < 0 ? -1 : idx;
        __atomic_store_n(&g_nindex, g_nindex + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&g_index_lock);
    return idx;
}

void tc_conn_new(struct tc_ossl *o, SSL *s, SSL_CTX *ctx)
{
    struct tc_conn *c;
    int idx;

    if (!s || !tc_acct_enabled() || (idx = conn_index(o)) < 0 || !o->SSL_set_ex_data)
        return;
    if (!(c = calloc(1, sizeof(*c))))
        return;
    if ((c->rec = tc_ctx_lookup(o, ctx)))
        tc_ctx_hold(c->rec);
    tc_err_mark(o);
    if (!o->SSL_set_ex_data(s, idx, c)) {
        if (c->rec)
            tc_ctx_release(c->rec);
        free(c);
    }
    tc_err_pop(o);
}

void tc_conn_host(struct tc_ossl *o, SSL *s, const char *host)
{
    struct tc_conn *c;
    int idx;

    if (!s || !host || !*host || !tc_acct_enabled() || !o->SSL_get_ex_data)
        return;
    if ((idx = find_index(o)) < 0 || !(c = o->SSL_get_ex_data(s, idx)))
        return; /* made before the shim saw it: nothing to attribute */
    if (!__atomic_exchange_n(&c->counted, 1, __ATOMIC_ACQ_REL))
        tc_acct_connection(c->rec, host, &c->mark);
}

/*
 * Runs inside SSL_free when the last reference goes.  A client connection
 * that never named its host is counted now, under "(none)"; one that did has
 * its context's loads since then added to its host (curl loads the CA file
 * after naming the host).
 */
static void conn_free_cb(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl,
                         void *argp)
{
    struct tc_conn *c = ptr;
    struct tc_ossl *o = argp;

    (void)ad, (void)idx, (void)argl;
    if (!c)
        return;
    if (__atomic_load_n(&c->counted, __ATOMIC_ACQUIRE))
        tc_acct_connection_end(c->rec, &c->mark);
    else if (o->SSL_is_server && !o->SSL_is_server(parent))
        tc_acct_connection(c->rec, NULL, NULL);
    if (c->rec)
        tc_ctx_release(c->rec);
    free(c);
}

/*
 * SSL_dup copies ex_data pointers into the new SSL, which already has its own
 * record from the SSL_new hook (or none): keep that one, so no record is ever
 * shared, freed twice or leaked.
 */
static int conn_dup_cb(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, tc_ex_dup_from_d from_d,
                       int idx, long argl, void *argp)
{
    struct tc_ossl *o = argp;

    (void)from, (void)argl;
    *(void **)from_d = o->CRYPTO_get_ex_data ? o->CRYPTO_get_ex_data(to, idx) : NULL;
    return 1;
}

void tc_conn_atfork_prepare(void) { pthread_mutex_lock(&g_index_lock); }
void tc_conn_atfork_parent(void) { pthread_mutex_unlock(&g_index_lock); }
void tc_conn_atfork_child(void) { tc_child_mutex(&g_index_lock); }
