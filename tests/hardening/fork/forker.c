/*
 * fork() while the shim is busy: worker threads load bundles and handshake
 * without pause while the main thread forks again and again.  Each child
 * does one handshake on a fresh context that loads the same bundle, and exits
 * through exit() (so the shim writes the child's own stats) with a status
 * that says whether the server verified.  The parent bounds every wait: a
 * child that has not exited in time is a deadlock, killed and counted.
 *
 *   forker FIXTURES FORKS THREADS TIMEOUT_MS
 *
 * Prints "parent_pid=P", "fork_ms_total=T fork_ms_max=M" (time spent
 * getting through fork(), the wait for the gate and the fork handlers
 * included) and "forks=N verified=V failed=F hung=H parent_loads=L
 * worker_errors=E", and exits 0 only if every child verified and no worker
 * saw a wrong result.
 * The driver points SSL_CERT_FILE at ab.pem and SSL_CERT_DIR at an empty
 * directory, so the default-paths route loads exactly one file.
 *
 * OpenSSL 3.0 itself is not fork-safe while other threads are inside it: a
 * child inherits its method-store and ex_data locks in whatever state the
 * parent's threads left them, and without the shim about 2% of children hang
 * in SSL_CTX_new (EVP_CIPHER_fetch).  So, as a careful application does, the
 * workers hold a gate (read side) around context creation, handshakes and
 * frees, and the main thread holds it (write side) across fork().  The CA
 * loads, where the shim takes its own locks, stay outside the gate: a fork
 * lands in the middle of them, and the shim's fork handlers must cope.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tk.h"

enum { CHILD_VERIFIED = 0, CHILD_WRONG = 1, CHILD_SETUP = 2 };

static const char *g_fixtures;
static int g_stop;           /* atomic */
static long g_loads;         /* atomic: CA loads the parent's threads asked for */
static long g_worker_errors; /* atomic */
static int g_started;        /* atomic: workers that finished one round */
static pthread_rwlock_t g_gate;

static void gate_in(void) { pthread_rwlock_rdlock(&g_gate); }
static void gate_out(void) { pthread_rwlock_unlock(&g_gate); }

/* One round of a worker: a context, one of three load routes, a handshake. */
static void worker_round(SSL_CTX *server, unsigned *seed)
{
    int route = (int)(rand_r(seed) % 3), rc, ok;
    SSL_CTX *c;

    gate_in();
    c = tk_client_ctx();
    gate_out();

    switch (route) {
    case 0:
        rc = SSL_CTX_load_verify_locations(c, tk_path(g_fixtures, "ab.pem"), NULL);
        break;
    case 1:
        rc = SSL_CTX_set_default_verify_paths(c); /* SSL_CERT_FILE: ab.pem */
        break;
    default:
        rc = SSL_CTX_load_verify_file(c, tk_path(g_fixtures, "a.pem"));
        break;
    }
    __atomic_add_fetch(&g_loads, 1, __ATOMIC_RELAXED);
    gate_in();
    ok = rc == 1 && tk_expect(c, server, X509_V_OK);
    SSL_CTX_free(c);
    gate_out();
    if (!ok)
        __atomic_add_fetch(&g_worker_errors, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
    SSL_CTX *server;
    unsigned seed = (unsigned)(size_t)arg;
    int first = 1;

    gate_in();
    server = tk_server_ctx(g_fixtures, "leafA");
    gate_out();
    if (!server)
        __atomic_add_fetch(&g_worker_errors, 1, __ATOMIC_RELAXED);
    while (server && !__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
        worker_round(server, &seed);
        if (first)
            __atomic_add_fetch(&g_started, 1, __ATOMIC_RELEASE);
        first = 0;
    }
    gate_in();
    SSL_CTX_free(server);
    gate_out();
    return NULL;
}

/* The child: one fresh context, one load, one handshake; exit() on purpose. */
static void child(void)
{
    SSL_CTX *server = tk_server_ctx(g_fixtures, "leafB");
    SSL_CTX *c = tk_client_ctx();
    int verified;

    if (!server || !c || SSL_CTX_load_verify_locations(c, tk_path(g_fixtures, "ab.pem"), NULL) != 1)
        exit(CHILD_SETUP);
    verified = tk_expect(c, server, X509_V_OK);
    SSL_CTX_free(c);
    SSL_CTX_free(server);
    exit(verified ? CHILD_VERIFIED : CHILD_WRONG);
}

static long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Waits for `pid` at most `timeout_ms`; returns its wait status, or -1 if it hung. */
static int bounded_wait(pid_t pid, long timeout_ms)
{
    long deadline = now_ms() + timeout_ms;
    struct timespec pause = {0, 200000};
    int status;
    pid_t r;

    for (;;) {
        r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            return status;
        if (r < 0 && errno != EINTR)
            return -1;
        if (now_ms() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return -1;
        }
        nanosleep(&pause, NULL);
    }
}

int main(int argc, char **argv)
{
    int forks, nthreads, i, verified = 0, wrong = 0, hung = 0;
    long timeout_ms, fork_ms, fork_ms_max = 0, fork_ms_total = 0;
    pthread_t *tid;

    if (argc != 5) {
        fprintf(stderr, "usage: forker FIXTURES FORKS THREADS TIMEOUT_MS\n");
        return 2;
    }
    g_fixtures = argv[1];
    forks = atoi(argv[2]);
    nthreads = atoi(argv[3]);
    timeout_ms = atol(argv[4]);
    tid = calloc((size_t)nthreads, sizeof(*tid));
    {
        pthread_rwlockattr_t attr;

        /* Writer preference: the forking thread must not starve. */
        pthread_rwlockattr_init(&attr);
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&g_gate, &attr);
        pthread_rwlockattr_destroy(&attr);
    }
    for (i = 0; i < nthreads; i++)
        if (pthread_create(&tid[i], NULL, worker, (void *)(size_t)(i + 1)) != 0)
            return 2;
    /* Fork only once every worker is in its loop. */
    while (__atomic_load_n(&g_started, __ATOMIC_ACQUIRE) < nthreads &&
           !__atomic_load_n(&g_worker_errors, __ATOMIC_RELAXED))
        usleep(1000);

    for (i = 0; i < forks; i++) {
        pid_t pid;
        int st;

        fflush(stdout);
        fork_ms = now_ms();
        pthread_rwlock_wrlock(&g_gate);
        pid = fork();
        if (pid == 0)
            child(); /* never touches the gate */
        pthread_rwlock_unlock(&g_gate);
        fork_ms = now_ms() - fork_ms;
        fork_ms_total += fork_ms;
        if (fork_ms > fork_ms_max)
            fork_ms_max = fork_ms;
        if (pid < 0) {
            perror("fork");
            break;
        }
        st = bounded_wait(pid, timeout_ms);
        if (st == -1) {
            hung++;
            printf("child %d (fork %d) did not exit within %ld ms: killed\n", (int)pid, i,
                   timeout_ms);
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_VERIFIED) {
            verified++;
        } else {
            wrong++;
            printf("child %d (fork %d) ended with %s %d\n", (int)pid, i,
                   WIFEXITED(st) ? "status" : "signal",
                   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        }
    }
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < nthreads; i++)
        pthread_join(tid[i], NULL);
    free(tid);
    printf("parent_pid=%d\n", (int)getpid());
    printf("fork_ms_total=%ld fork_ms_max=%ld\n", fork_ms_total, fork_ms_max);
    printf("forks=%d verified=%d failed=%d hung=%d parent_loads=%ld worker_errors=%ld\n", forks,
           verified, wrong, hung, __atomic_load_n(&g_loads, __ATOMIC_RELAXED),
           __atomic_load_n(&g_worker_errors, __ATOMIC_RELAXED));
    return verified == forks && !__atomic_load_n(&g_worker_errors, __ATOMIC_RELAXED) ? 0 : 1;
}
