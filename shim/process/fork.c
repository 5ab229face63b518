/*
 * fork(): every lock the shim owns is taken before the fork and released on
 * both sides, so a child never inherits one held by a thread that does not
 * exist there.  The child starts its own load counters and host table, and
 * its own stats writer on its next TLS use.
 *
 * The dump lock comes first: the stats writer holds it while it takes the
 * cache and accounting locks, so taking it first never waits on a cycle.
 */
#include <pthread.h>
#include <string.h>

#include "base/child_locks.h"
#include "contexts/acct.h"
#include "cache/bundle_cache.h"
#include "contexts/conn_track.h"
#include "process/fork.h"
#include "base/stats.h"
#include "report/stats_dump.h"
#include "report/stats_writer.h"
#include "contexts/template.h"
#include "base/word_lock.h"

static void lock_copy(struct tc_ossl *o, void *arg)
{
    (void)arg;
    pthread_mutex_lock(&o->init_lock);
    if (__atomic_load_n(&o->ready, __ATOMIC_ACQUIRE) > 0) {
        tc_templates_lock_for_fork(o);
        tc_cache_lock_for_fork(o->cache);
    }
}

static void unlock_copy(struct tc_ossl *o, void *arg)
{
    int in_child = arg != NULL;

    if (__atomic_load_n(&o->ready, __ATOMIC_ACQUIRE) > 0) {
        tc_cache_unlock_after_fork(o->cache, in_child);
        tc_templates_unlock_after_fork(o, in_child);
    }
    if (in_child)
        tc_child_mutex(&o->init_lock); /* fresh, like every lock in the child */
    else
        pthread_mutex_unlock(&o->init_lock);
}

static void prepare(void)
{
    tc_stats_dump_lock_for_fork();
    tc_writer_atfork_prepare();
    tc_resolve_atfork_prepare();
    tc_ossl_foreach(lock_copy, NULL);
    tc_acct_atfork_prepare();
    tc_conn_atfork_prepare();
}

static int g_child_marker;

static void parent(void)
{
    tc_conn_atfork_parent();
    tc_acct_atfork_parent();
    tc_ossl_foreach(unlock_copy, NULL);
    tc_resolve_atfork_parent();
    tc_writer_atfork_parent();
    tc_stats_dump_unlock_after_fork(0);
}

/* Contexts alive at the fork are alive in the child too: keep those counts. */
static void restart_counters(void)
{
    struct tc_counters keep;

    tc_counters_snapshot(&keep);
    tc_counters_reset();
    tc_counters.contexts_created = keep.contexts_created;
    tc_counters.contexts_freed = keep.contexts_freed;
    tc_counters.contexts_live_peak = keep.contexts_created > keep.contexts_freed
                                         ? keep.contexts_created - keep.contexts_freed
                                         : 0;
}

static void child(void)
{
    restart_counters();
    tc_conn_atfork_child();
    tc_acct_atfork_child();
    tc_word_lock_fork_child(); /* context locks held by other threads are free */
    tc_ossl_foreach(unlock_copy, &g_child_marker);
    tc_resolve_atfork_child();
    tc_writer_atfork_child();
    tc_stats_dump_unlock_after_fork(1);
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void install(void) { pthread_atfork(prepare, parent, child); }

void tc_fork_handlers_once(void) { pthread_once(&g_once, install); }
