/*
 * Context set-up throughput from several threads at once.
 *
 *   ctx_threads bare    THREADS SECONDS   SSL_CTX_new + SSL_CTX_free
 *   ctx_threads default THREADS SECONDS   ... + SSL_CTX_set_default_verify_paths
 *
 * THREADS threads start together at a barrier and each builds and frees
 * contexts in a loop until SECONDS have passed.  One operation runs first on
 * the main thread, untimed, so one-time set-up (OpenSSL's own, a cache fill)
 * is not part of the rate.
 *
 * Prints one JSON line: "value" is operations per second over all threads
 * (total operations / time until the last thread stopped), and "objects" is
 * how many objects a context built the same way holds (taken untimed, on an
 * extra context), so a run whose loads silently did nothing cannot pass for
 * a fast one.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct run {
    int load;             /* set_default_verify_paths after SSL_CTX_new */
    double deadline;      /* seconds, CLOCK_MONOTONIC */
    pthread_barrier_t go;
};

struct worker {
    struct run *run;
    long ops;
    double end;
    int failed;
};

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One operation; returns the context (not freed) when keep is set. */
static SSL_CTX *one_op(int load, int keep, int *failed)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

    if (!ctx || (load && SSL_CTX_set_default_verify_paths(ctx) != 1)) {
        *failed = 1;
        SSL_CTX_free(ctx);
        return NULL;
    }
    if (keep)
        return ctx;
    SSL_CTX_free(ctx);
    return NULL;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;

    pthread_barrier_wait(&w->run->go);
    while (!w->failed && now_s() < w->run->deadline) {
        one_op(w->run->load, 0, &w->failed);
        w->ops++;
    }
    w->end = now_s();
    return NULL;
}

static int objects_after(int load)
{
    int failed = 0, n;
    SSL_CTX *ctx = one_op(load, 1, &failed);

    if (!ctx)
        return -1;
    n = sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx)));
    SSL_CTX_free(ctx);
    return n;
}

int main(int argc, char **argv)
{
    struct run run;
    struct worker *w;
    pthread_t *tid;
    int n, i, failed = 0;
    double secs, start, end = 0;
    long total = 0;

    if (argc != 4 || (strcmp(argv[1], "bare") != 0 && strcmp(argv[1], "default") != 0) ||
        (n = atoi(argv[2])) < 1 || (secs = atof(argv[3])) <= 0) {
        fprintf(stderr, "usage: %s bare|default THREADS SECONDS\n", argv[0]);
        return 2;
    }
    run.load = strcmp(argv[1], "default") == 0;
    one_op(run.load, 0, &failed); /* warm-up, untimed */
    w = calloc((size_t)n, sizeof(*w));
    tid = calloc((size_t)n, sizeof(*tid));
    if (failed || !w || !tid || pthread_barrier_init(&run.go, NULL, (unsigned)n + 1) != 0) {
        fprintf(stderr, "ctx_threads: set-up failed\n");
        ERR_print_errors_fp(stderr);
        return 1;
    }
    for (i = 0; i < n; i++) {
        w[i].run = &run;
        if (pthread_create(&tid[i], NULL, worker_main, &w[i]) != 0)
            abort(); /* the barrier would wait forever */
    }
    start = now_s();
    run.deadline = start + secs;
    pthread_barrier_wait(&run.go);
    for (i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        total += w[i].ops;
        failed |= w[i].failed;
        if (w[i].end > end)
            end = w[i].end;
    }
    if (failed) {
        fprintf(stderr, "ctx_threads: an operation failed\n");
        ERR_print_errors_fp(stderr);
        return 1;
    }
    printf("{\"value\": %.1f, \"ops\": %ld, \"threads\": %d, \"seconds\": %.3f, \"objects\": %d}\n",
           (double)total / (end - start), total, n, end - start, objects_after(run.load));
    free(w);
    free(tid);
    return 0;
}
