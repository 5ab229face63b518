/*
 * Threads and fork. The thread count is parity_threads (--threads); see
 * workers.c for how their output stays in a fixed order.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "scenarios.h"

static void load_ab_and_check(int index)
{
    SSL_CTX *c = client_ctx();

    (void)index;
    CALL(1, SSL_CTX_load_verify_locations(c, fx("ab.pem"), NULL));
    STORE(c, 2, 0);
    TRUST(c, "AB", "C");
    SSL_CTX_free(c);
}

/* After the threads, one more load: served from the cache however the
 * concurrent loads raced. */
static void load_again(const char *bundle, const char *trusted, const char *untrusted)
{
    SSL_CTX *c = client_ctx();

    say("main thread loads %s", bundle);
    CALL(1, SSL_CTX_load_verify_locations(c, fx(bundle), NULL));
    TRUST(c, trusted, untrusted);
    SSL_CTX_free(c);
}

void sc_threads_same_bundle(void)
{
    run_workers(load_ab_and_check);
    load_again("ab.pem", "AB", "C");
}

static void load_a_or_b(int index)
{
    SSL_CTX *c = client_ctx();

    if (index % 2 == 0) {
        CALL(1, SSL_CTX_load_verify_locations(c, fx("a.pem"), NULL));
        TRUST(c, "A", "B");
    } else {
        CALL(1, SSL_CTX_load_verify_locations(c, fx("b.pem"), NULL));
        TRUST(c, "B", "A");
    }
    SSL_CTX_free(c);
}

void sc_threads_mixed_bundles(void)
{
    run_workers(load_a_or_b);
    load_again("a.pem", "A", "B");
    load_again("b.pem", "B", "A");
}

/* The same bundle through four different routes at once. */
static void load_by_route(int index)
{
    X509_STORE *st = X509_STORE_new();
    SSL_CTX *c;

    switch (index % 4) {
    case 0:
        CALL(1, X509_STORE_load_locations(st, fx("ab.pem"), NULL));
        break;
    case 1:
        CALL(1, X509_STORE_load_file(st, fx("ab.pem")));
        break;
    case 2:
        CALL(1, X509_STORE_set_default_paths(st));
        break;
    default:
        CALL(2, X509_load_cert_crl_file(X509_STORE_add_lookup(st, X509_LOOKUP_file()), fx("ab.pem"),
                                        X509_FILETYPE_PEM));
        break;
    }
    c = client_ctx_with_store(st);
    STORE(c, 2, 0);
    TRUST(c, "AB", "C");
    SSL_CTX_free(c);
}

void sc_threads_mixed_routes(void)
{
    /* Set before the threads start: setenv is not safe against getenv. */
    env_cert_dir("emptydir");
    env_cert_file("ab.pem");
    run_workers(load_by_route);
    load_again("ab.pem", "AB", "C");
}

static void child_body(SSL_CTX *inherited)
{
    SSL_CTX *c2 = client_ctx(), *c3 = client_ctx();

    say("child: start");
    TRUST(inherited, "AB", "C");
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("ab.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_locations(c3, fx("a.pem"), NULL));
    STORE(c2, 2, 0);
    TRUST(c2, "AB", "C");
    TRUST(c3, "A", "B");
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    say("child: end");
}

/* Load in the parent, fork, use both the inherited context and new loads in
 * the child; the parent waits, then loads again itself. */
void sc_fork_after_load(void)
{
    SSL_CTX *c1 = client_ctx(), *c4;
    pid_t pid;
    int status = 0, failed_before;

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("ab.pem"), NULL));
    TRUST(c1, "A", "C");
    failed_before = expectations_failed();
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        unexpected("fork failed");
        SSL_CTX_free(c1);
        return;
    }
    if (pid == 0) {
        /* Alarms do not survive fork. The child's is shorter than the
         * parent's, so a stuck child is reported by the parent. */
        alarm((unsigned)(parity_timeout > 1 ? parity_timeout / 2 : 1));
        child_body(c1);
        SSL_CTX_free(c1);
        fflush(stdout);
        /* exit, not _exit: the child's atexit handlers must run cleanly too. */
        exit(expectations_failed() > failed_before ? 1 : 0);
    }
    alarm((unsigned)parity_timeout);
    if (waitpid(pid, &status, 0) != pid)
        unexpected("waitpid failed");
    if (WIFEXITED(status))
        say("child exited with status %d", WEXITSTATUS(status));
    else
        say("child died from signal %d", WTERMSIG(status));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        unexpected("the child did not exit cleanly");
    TRUST(c1, "B", "D");
    c4 = client_ctx();
    CALL(1, SSL_CTX_load_verify_locations(c4, fx("ab.pem"), NULL));
    TRUST(c4, "AB", "C");
    SSL_CTX_free(c1);
    SSL_CTX_free(c4);
}

/*
 * The first calls of a process arrive from several threads: thread 0 creates
 * a context (the shim sets itself up then) and raises a flag; the others,
 * each holding a store of its own, wait for the flag and then change their
 * store over and over (every store mutator asks whether its store is a
 * shared template) before loading into it. The flag is a relaxed atomic on
 * purpose: it orders nothing, so the shim's own set-up must be safe to read
 * from threads that never synchronised with the thread that did it.
 */
#define FIRST_CALLS_FLAGS 50

static atomic_int first_ctx_made;

static void first_calls(int index)
{
    X509_STORE *st;
    SSL_CTX *c;
    int ok = 1;

    if (index == 0) {
        c = client_ctx();
        atomic_store_explicit(&first_ctx_made, 1, memory_order_relaxed);
        CALL(1, SSL_CTX_load_verify_locations(c, fx("a.pem"), NULL));
        TRUST(c, "A", "B");
        SSL_CTX_free(c);
        return;
    }
    st = X509_STORE_new();
    while (!atomic_load_explicit(&first_ctx_made, memory_order_relaxed))
        sched_yield();
    for (int i = 0; i < FIRST_CALLS_FLAGS; i++)
        ok &= X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN) == 1;
    say("%d x X509_STORE_set_flags(st, X509_V_FLAG_PARTIAL_CHAIN): %s", FIRST_CALLS_FLAGS,
        ok ? "all 1" : "not all 1");
    if (!ok)
        unexpected("X509_STORE_set_flags failed");
    CALL(1, X509_STORE_load_file(st, fx("b.pem")));
    c = client_ctx_with_store(st);
    TRUST(c, "B", "A");
    SSL_CTX_free(c);
}

void sc_threads_first_calls(void)
{
    atomic_store(&first_ctx_made, 0);
    run_workers(first_calls);
    load_again("a.pem", "A", "B");
    load_again("b.pem", "B", "A");
}
