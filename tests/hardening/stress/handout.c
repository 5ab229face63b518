/*
 * Many threads ask for the store of one context at the same moment, as
 * CPython's get_ca_certs()/cert_store_stats() do on a context other threads
 * use.  SSL_CTX_get_cert_store is a plain getter in OpenSSL, so this is safe
 * there; with the shim, handing out the store of a context that shares a
 * template replaces the context's store by a private copy, which must happen
 * exactly once however many threads ask at once.
 *
 * Each round: the main thread creates a context and loads ab.pem (2 roots),
 * then THREADS threads, released together by a barrier, each take the
 * context's store and count its certificates under the store lock, except
 * every second thread, which handshakes with the context instead: OpenSSL
 * reads the context's store pointer while another thread may be swapping
 * in the private copy, and the verification must neither fail nor race
 * with the copy being built.
 *
 *   handout FIXTURES ROUNDS THREADS
 * Prints "rounds=R wrong=W" (W: stores that did not hold exactly 2
 * certificates, and handshakes against leafA that did not verify) and exits
 * 0 only if W is 0.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "tk.h"

static SSL_CTX *g_ctx, *g_server;
static pthread_barrier_t g_start, g_done;
static int g_rounds;
static long g_wrong;

static void *worker(void *arg)
{
    int i, handshakes = (int)(long)arg % 2;

    for (i = 0; i < g_rounds; i++) {
        pthread_barrier_wait(&g_start);
        if (handshakes ? !tk_expect(g_ctx, g_server, X509_V_OK)
                       : tk_store_certs(SSL_CTX_get_cert_store(g_ctx)) != 2)
            __atomic_add_fetch(&g_wrong, 1, __ATOMIC_RELAXED);
        pthread_barrier_wait(&g_done);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads, i;
    pthread_t *tid;

    if (argc != 4) {
        fprintf(stderr, "usage: handout FIXTURES ROUNDS THREADS\n");
        return 2;
    }
    g_rounds = atoi(argv[2]);
    nthreads = atoi(argv[3]);
    tid = calloc((size_t)nthreads, sizeof(*tid));
    if (!tid || !(g_server = tk_server_ctx(argv[1], "leafA")))
        return 2;
    pthread_barrier_init(&g_start, NULL, (unsigned)nthreads + 1);
    pthread_barrier_init(&g_done, NULL, (unsigned)nthreads + 1);
    for (i = 0; i < nthreads; i++)
        if (pthread_create(&tid[i], NULL, worker, (void *)(long)i) != 0)
            return 2;
    for (i = 0; i < g_rounds; i++) {
        g_ctx = tk_client_ctx();
        if (SSL_CTX_load_verify_locations(g_ctx, tk_path(argv[1], "ab.pem"), NULL) != 1)
            __atomic_add_fetch(&g_wrong, 1, __ATOMIC_RELAXED);
        pthread_barrier_wait(&g_start);
        pthread_barrier_wait(&g_done);
        SSL_CTX_free(g_ctx);
    }
    for (i = 0; i < nthreads; i++)
        pthread_join(tid[i], NULL);
    SSL_CTX_free(g_server);
    free(tid);
    printf("rounds=%d wrong=%ld\n", g_rounds, g_wrong);
    return g_wrong ? 1 : 0;
}
