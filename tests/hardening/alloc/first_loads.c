/*
 * Concurrent first loads: THREADS threads each create a client context, wait
 * at a barrier, then all make the process's first CA loads at the same moment,
 * each of its own bundle (SSL_CTX_load_verify_locations), so every thread
 * parses a different file at once.  No CA is loaded before the barrier.
 *
 * Each load is then proven by what a caller can observe:
 *   - the store holds exactly as many certificates as the file has PEM blocks;
 *   - a TLS handshake against the leaf of the thread's own throwaway root
 *     verifies;
 *   - the leaf of a root the bundle lacks does not verify (X509_verify_cert);
 *   - a second context loading the same file (served from the cache when the
 *     shim is there) verifies the thread's own leaf (X509_verify_cert).
 *
 *   first-loads FIXTURES THREADS
 * FIXTURES holds bundle0.pem .. bundle<THREADS-1>.pem, bundle I carrying root
 * "ABCDE"[I % 5] among other CAs, and leafA..leafE (.pem and .key) as made by
 * the parity fixtures.  Prints one line per thread; exits 0 only if every
 * thread saw the expected results, 1 otherwise.  A crash prints its stack to
 * standard error and dies from the same signal.
 */
#include <execinfo.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "tk.h"

#define MAX_THREADS 64

struct job {
    int index;
    int pem_blocks; /* certificates in the bundle file */
    char bundle[64];
    char own_leaf[16];
    char foreign_leaf[16];
    char result[256];
    int ok;
};

static const char *g_fx;
static pthread_barrier_t g_start;

/* Prints the crashing thread's stack, then dies from the signal as before. */
static void on_crash(int sig)
{
    static const char head[] = "first-loads: fatal signal; stack:\n";
    void *frames[64];
    int n = backtrace(frames, 64);

    if (write(STDERR_FILENO, head, sizeof(head) - 1) < 0)
        _exit(128 + sig);
    backtrace_symbols_fd(frames, n, STDERR_FILENO);
    signal(sig, SIG_DFL);
    raise(sig);
}

static void catch_crashes(void)
{
    static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    void *warm[1];
    size_t i;

    /* backtrace() loads its unwinder on first use: not inside a handler. */
    backtrace(warm, 1);
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], on_crash);
}

/* The number of PEM certificate blocks in a file, or -1. */
static int count_pem_blocks(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    int n = 0;

    if (!f)
        return -1;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "-----BEGIN CERTIFICATE-----", 27) == 0)
            n++;
    fclose(f);
    return n;
}

/* Handshake of `client` against the server presenting `leaf`; the verify result. */
static long verify_against(SSL_CTX *client, const char *leaf)
{
    SSL_CTX *server = tk_server_ctx(g_fx, leaf);
    long v = -1;

    if (server && tk_handshake(client, server, &v) == TK_HS_SETUP)
        v = -1;
    SSL_CTX_free(server);
    return v;
}

/* X509_verify_cert of dir/LEAF.pem with the context's store; the verify result. */
static long verify_cert(SSL_CTX *ctx, const char *leaf)
{
    char name[32];
    X509 *x;
    X509_STORE_CTX *sc = X509_STORE_CTX_new();
    long v = -1;

    snprintf(name, sizeof(name), "%s.pem", leaf);
    x = tk_read_cert(tk_path(g_fx, name));
    if (x && sc && X509_STORE_CTX_init(sc, SSL_CTX_get_cert_store(ctx), x, NULL) == 1)
        v = X509_verify_cert(sc) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(sc);
    X509_STORE_CTX_free(sc);
    X509_free(x);
    return v;
}

static void *worker(void *arg)
{
    struct job *j = arg;
    SSL_CTX *ctx = tk_client_ctx(), *again;
    int rc, again_rc, certs;
    long own, foreign, own_again;

    pthread_barrier_wait(&g_start);
    rc = ctx ? SSL_CTX_load_verify_locations(ctx, tk_path(g_fx, j->bundle), NULL) : -1;
    certs = ctx ? tk_store_certs(SSL_CTX_get_cert_store(ctx)) : -1;
    own = ctx ? verify_against(ctx, j->own_leaf) : -1;
    foreign = ctx ? verify_cert(ctx, j->foreign_leaf) : -1;

    again = tk_client_ctx();
    again_rc = again ? SSL_CTX_load_verify_locations(again, tk_path(g_fx, j->bundle), NULL) : -1;
    own_again = again ? verify_cert(again, j->own_leaf) : -1;

    j->ok = rc == 1 && certs == j->pem_blocks && own == X509_V_OK &&
            foreign == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY && again_rc == 1 &&
            own_again == X509_V_OK;
    snprintf(j->result, sizeof(j->result),
             "thread %d: %s load=%d certs=%d/%d %s=%ld %s=%ld reload=%d %s=%ld", j->index,
             j->bundle, rc, certs, j->pem_blocks, j->own_leaf, own, j->foreign_leaf, foreign,
             again_rc, j->own_leaf, own_again);
    ERR_clear_error();
    SSL_CTX_free(ctx);
    SSL_CTX_free(again);
    return NULL;
}

int main(int argc, char **argv)
{
    struct job jobs[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int n, i, bad = 0;

    if (argc != 3 || (n = atoi(argv[2])) < 1 || n > MAX_THREADS) {
        fprintf(stderr, "usage: first-loads FIXTURES THREADS (1..%d)\n", MAX_THREADS);
        return 2;
    }
    g_fx = argv[1];
    catch_crashes();
    for (i = 0; i < n; i++) {
        struct job *j = &jobs[i];

        memset(j, 0, sizeof(*j));
        j->index = i;
        snprintf(j->bundle, sizeof(j->bundle), "bundle%d.pem", i);
        snprintf(j->own_leaf, sizeof(j->own_leaf), "leaf%c", 'A' + i % 5);
        snprintf(j->foreign_leaf, sizeof(j->foreign_leaf), "leaf%c", 'A' + (i + 1) % 5);
        j->pem_blocks = count_pem_blocks(tk_path(g_fx, j->bundle));
        if (j->pem_blocks < 2) {
            fprintf(stderr, "first-loads: %s is missing or not a multi-certificate bundle\n",
                    j->bundle);
            return 2;
        }
    }
    pthread_barrier_init(&g_start, NULL, (unsigned)n);
    for (i = 0; i < n; i++)
        if (pthread_create(&tid[i], NULL, worker, &jobs[i]) != 0)
            abort(); /* the barrier would wait for ever */
    for (i = 0; i < n; i++)
        pthread_join(tid[i], NULL);
    pthread_barrier_destroy(&g_start);
    for (i = 0; i < n; i++) {
        printf("%s %s\n", jobs[i].ok ? "ok" : "WRONG", jobs[i].result);
        bad += !jobs[i].ok;
    }
    printf("%d threads, %d wrong\n", n, bad);
    return bad ? 1 : 0;
}
