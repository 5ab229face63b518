/*
 * The stats writer thread and the dump signal.
 *
 * The signal handler only sets a flag and posts a semaphore (sem_post is
 * async-signal-safe); the thread, waiting on that semaphore with the interval
 * as timeout, renders and writes.  The previous handler of the signal is
 * still called; a previous SIG_DFL or SIG_IGN is not acted on, since for
 * USR1/USR2 the default would end the process, and asking for a dump on the
 * signal means it should not.
 *
 * The thread blocks every signal, so the application's signals keep going to
 * its own threads.  It is never started from the constructor or a fork
 * handler: a fork child only marks it as needed, and the child's next TLS
 * use (a hook) starts it.
 */
#include "base/child_locks.h"
#include "report/stats_writer.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "base/config.h"
#include "ossl/ossl.h"
#include "report/stats_dump.h"

enum { W_UNSTARTED, W_RUNNING, W_NOT_NEEDED };

static int g_state; /* atomic */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static sem_t g_wake;
static int g_wake_ready;
/* Set by the handler, taken by the thread: atomic, as they run on different
 * threads (lock-free int operations are async-signal-safe). */
static sig_atomic_t g_signalled;
static struct sigaction g_previous;
static int g_handler_installed; /* survives fork, as the disposition does */

/* Periodic rewrites go to a file only: repeating on stderr would flood it. */
static unsigned interval_of(const struct tc_config *c)
{
    return c->stats_dest == TC_STATS_FILE ? c->stats_interval : 0;
}

static int writer_needed(const struct tc_config *c)
{
    return c->stats_dest != TC_STATS_NONE && (interval_of(c) || c->stats_signal);
}

static void next_deadline(struct timespec *deadline, unsigned interval)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    deadline->tv_sec += interval;
    if (deadline->tv_sec <= now.tv_sec) { /* a suspended process: no burst of catch-ups */
        *deadline = now;
        deadline->tv_sec += interval;
    }
}

static void *writer_main(void *arg)
{
    unsigned interval = interval_of(tc_config());
    struct timespec deadline;
    int rc;

    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    next_deadline(&deadline, interval);
    for (;;) {
        rc = interval ? sem_clockwait(&g_wake, CLOCK_MONOTONIC, &deadline) : sem_wait(&g_wake);
        if (rc == 0 && __atomic_exchange_n(&g_signalled, 0, __ATOMIC_ACQ_REL)) {
            tc_stats_dump();
        } else if (rc != 0 && errno == ETIMEDOUT) {
            tc_stats_dump();
            next_deadline(&deadline, interval);
        }
    }
    return NULL;
}

static int spawn_writer(void)
{
    sigset_t all, old;
    pthread_attr_t attr;
    pthread_t t;
    int rc;

    if (pthread_attr_init(&attr) != 0)
        return 0;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old); /* the thread starts with all blocked */
    rc = pthread_create(&t, &attr, writer_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc == 0)
        pthread_setname_np(t, "trustcache-stat");
    return rc == 0;
}

/* ---- the signal --------------------------------------------------------- */

static int is_function(const struct sigaction *sa)
{
    return (sa->sa_flags & SA_SIGINFO) || (sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN);
}

static void on_signal(int sig, siginfo_t *info, void *uctx)
{
    int saved = errno;

    __atomic_store_n(&g_signalled, 1, __ATOMIC_RELEASE);
    sem_post(&g_wake);
    errno = saved;
    if (g_previous.sa_flags & SA_SIGINFO)
        g_previous.sa_sigaction(sig, info, uctx);
    else if (is_function(&g_previous))
        g_previous.sa_handler(sig);
}

static void install_handler(int sig)
{
    struct sigaction sa;

    if (sigaction(sig, NULL, &g_previous) != 0)
        return;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    if (is_function(&g_previous)) {
        /* Keep what the previous handler was installed with. */
        sa.sa_flags = SA_SIGINFO | (g_previous.sa_flags & (SA_RESTART | SA_ONSTACK | SA_NODEFER));
        sa.sa_mask = g_previous.sa_mask;
    } else {
        sigemptyset(&sa.sa_mask);
    }
    if (sigaction(sig, &sa, NULL) == 0)
        g_handler_installed = 1;
}

/* ---- starting ------------------------------------------------------------ */

static int start(void (*before_start)(void))
{
    const struct tc_config *cfg = tc_config();

    if (!writer_needed(cfg))
        return W_NOT_NEEDED;
    before_start(); /* the child must learn it has no writer */
    if (!g_wake_ready && sem_init(&g_wake, 0, 0) != 0)
        return W_NOT_NEEDED;
    g_wake_ready = 1;
    if (!spawn_writer())
        return W_NOT_NEEDED; /* no thread, no handler: the exit dump still comes */
    if (cfg->stats_signal && !g_handler_installed)
        install_handler(cfg->stats_signal);
    return W_RUNNING;
}

void tc_writer_kick(void (*before_start)(void))
{
    if (__atomic_load_n(&g_state, __ATOMIC_ACQUIRE) != W_UNSTARTED)
        return;
    pthread_mutex_lock(&g_lock);
    if (g_state == W_UNSTARTED)
        __atomic_store_n(&g_state, start(before_start), __ATOMIC_RELEASE);
    pthread_mutex_unlock(&g_lock);
}

void tc_writer_atfork_prepare(void) { pthread_mutex_lock(&g_lock); }
void tc_writer_atfork_parent(void) { pthread_mutex_unlock(&g_lock); }

void tc_writer_atfork_child(void)
{
    /* Threads do not survive fork: the child starts its own on its next TLS use. */
    if (g_state == W_RUNNING)
        g_state = W_UNSTARTED;
    if (g_wake_ready)
        sem_init(&g_wake, 0, 0);
    __atomic_store_n(&g_signalled, 0, __ATOMIC_RELAXED); /* the parent's request, not the child's */
    tc_child_mutex(&g_lock);
}
