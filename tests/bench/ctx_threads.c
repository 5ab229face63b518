/*
 * Context set-up throughput from several threads at once.
 *
 *   ctx_threads bare    THREADS SECONDS   SSL_CTX_new + SSL_CTX_free
 *   ctx_threads default THREADS SECONDS   ... + SSL_CTX_set_default_verify_paths
 *   ctx_threads load    THREADS SECONDS BATCH   the load step alone
 *   ctx_threads share   THREADS SECONDS BATCH   SSL_CTX_set1_cert_store alone
 *
 * bare and default: THREADS threads start together at a barrier and each
 * builds and frees contexts in a loop until SECONDS have passed.  One
 * operation runs first on the main thread, untimed, so one-time set-up
 * (OpenSSL's own, a cache fill) is not part of the rate.
 *
 * load and share time only the step that gives a context its trust, because
 * on OpenSSL 3.0 SSL_CTX_new itself (algorithm fetches under the library's
 * read-write locks) is most of the cost of a context and does not scale.
 * Rounds run in lock-step: every thread creates BATCH contexts (untimed),
 * all meet at a barrier, all load their batch (timed, from the barrier until
 * the last thread is done), then free it (untimed).  "load" is
 * SSL_CTX_set_default_verify_paths; "share" hands every context one store
 * the program loaded once with SSL_CTX_set1_cert_store, what curl and
 * Node.js do by hand, the floor for any sharing.
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

enum mode { MODE_BARE, MODE_DEFAULT, MODE_LOAD, MODE_SHARE };

struct run {
    enum mode mode;
    int load;        /* set_default_verify_paths after SSL_CTX_new */
    double deadline; /* seconds, CLOCK_MONOTONIC */
    pthread_barrier_t go;
    /* load and share modes */
    int batch;
    int stop;           /* written by main before round_start */
    X509_STORE *shared; /* share mode */
    pthread_barrier_t round_start, round_end;
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

/* The timed step of load and share modes, on one context. */
static int give_trust(const struct run *run, SSL_CTX *ctx)
{
    if (run->mode == MODE_SHARE)
        return SSL_CTX_set1_cert_store(ctx, run->shared), 1;
    return SSL_CTX_set_default_verify_paths(ctx) == 1;
}

static void *round_worker_main(void *arg)
{
    struct worker *w = arg;
    struct run *run = w->run;
    SSL_CTX **batch = calloc((size_t)run->batch, sizeof(*batch));
    int i, stop = 0;

    if (!batch)
        abort(); /* the other threads would wait at the barrier forever */
    while (!stop) {
        for (i = 0; i < run->batch; i++)
            if (!(batch[i] = SSL_CTX_new(TLS_client_method())))
                w->failed = 1;
        pthread_barrier_wait(&run->round_start);
        stop = run->stop;
        for (i = 0; !stop && !w->failed && i < run->batch; i++)
            if (!give_trust(run, batch[i]))
                w->failed = 1;
        if (!stop) {
            pthread_barrier_wait(&run->round_end);
            w->ops += run->batch;
        }
        for (i = 0; i < run->batch; i++)
            SSL_CTX_free(batch[i]);
    }
    free(batch);
    return NULL;
}

/* Main thread's side of the rounds: returns the seconds spent loading. */
static double run_rounds(struct run *run, double secs)
{
    double deadline = now_s() + secs, loading = 0, t0;
    long rounds = 0;

    for (;;) {
        run->stop = rounds > 0 && now_s() >= deadline;
        pthread_barrier_wait(&run->round_start);
        if (run->stop)
            return loading;
        t0 = now_s();
        pthread_barrier_wait(&run->round_end);
        loading += now_s() - t0;
        rounds++;
    }
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

/* How many objects a context given its trust the way the run does holds,
 * taken untimed on an extra context. */
static int objects_after(const struct run *run)
{
    int failed = 0, n;
    SSL_CTX *ctx;

    if (run->mode == MODE_BARE || run->mode == MODE_DEFAULT) {
        ctx = one_op(run->load, 1, &failed);
    } else {
        ctx = SSL_CTX_new(TLS_client_method());
        if (ctx && !give_trust(run, ctx)) {
            SSL_CTX_free(ctx);
            ctx = NULL;
        }
    }
    if (!ctx)
        return -1;
#if OPENSSL_VERSION_NUMBER >= 0x30300000L /* 4.0 deprecates get0_objects */
    {
        STACK_OF(X509_OBJECT) *objs = X509_STORE_get1_objects(SSL_CTX_get_cert_store(ctx));
        n = objs ? sk_X509_OBJECT_num(objs) : -1;
        sk_X509_OBJECT_pop_free(objs, X509_OBJECT_free);
    }
#else
    n = sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx)));
#endif
    SSL_CTX_free(ctx);
    return n;
}

static int parse_args(int argc, char **argv, struct run *run, int *threads, double *secs)
{
    static const char *const names[] = {"bare", "default", "load", "share"};
    int m;

    memset(run, 0, sizeof(*run));
    for (m = 0; m < 4 && (argc < 2 || strcmp(argv[1], names[m]) != 0); m++)
        ;
    if (m == 4 || argc != (m >= MODE_LOAD ? 5 : 4) || (*threads = atoi(argv[2])) < 1 ||
        (*secs = atof(argv[3])) <= 0 || (m >= MODE_LOAD && (run->batch = atoi(argv[4])) < 1)) {
        fprintf(stderr,
                "usage: %s bare|default THREADS SECONDS\n"
                "       %s load|share THREADS SECONDS BATCH\n",
                argv[0], argv[0]);
        return -1;
    }
    run->mode = (enum mode)m;
    run->load = run->mode != MODE_BARE;
    return 0;
}

/* Untimed: OpenSSL's one-time set-up, the shim's first fill, the shared store. */
static int warm_up(struct run *run)
{
    int failed = 0;

    one_op(run->load, 0, &failed);
    if (run->mode == MODE_SHARE) {
        run->shared = X509_STORE_new();
        if (!run->shared || X509_STORE_set_default_paths(run->shared) != 1)
            failed = 1;
    }
    return failed ? -1 : 0;
}

static int init_barriers(struct run *run, unsigned parties)
{
    if (run->mode >= MODE_LOAD)
        return pthread_barrier_init(&run->round_start, NULL, parties) != 0 ||
                       pthread_barrier_init(&run->round_end, NULL, parties) != 0
                   ? -1
                   : 0;
    return pthread_barrier_init(&run->go, NULL, parties) != 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
    struct run run;
    struct worker *w;
    pthread_t *tid;
    int n, i, failed = 0;
    double secs, start, end = 0, elapsed = 0;
    long total = 0;

    if (parse_args(argc, argv, &run, &n, &secs) != 0)
        return 2;
    w = calloc((size_t)n, sizeof(*w));
    tid = calloc((size_t)n, sizeof(*tid));
    if (warm_up(&run) != 0 || !w || !tid || init_barriers(&run, (unsigned)n + 1) != 0) {
        fprintf(stderr, "ctx_threads: set-up failed\n");
        ERR_print_errors_fp(stderr);
        return 1;
    }
    for (i = 0; i < n; i++) {
        w[i].run = &run;
        if (pthread_create(&tid[i], NULL, run.mode >= MODE_LOAD ? round_worker_main : worker_main,
                           &w[i]) != 0)
            abort(); /* the barrier would wait forever */
    }
    start = now_s();
    if (run.mode >= MODE_LOAD) {
        elapsed = run_rounds(&run, secs);
    } else {
        run.deadline = start + secs;
        pthread_barrier_wait(&run.go);
    }
    for (i = 0; i < n; i++) {
        pthread_join(tid[i], NULL);
        total += w[i].ops;
        failed |= w[i].failed;
        if (w[i].end > end)
            end = w[i].end;
    }
    if (run.mode < MODE_LOAD)
        elapsed = end - start;
    if (failed) {
        fprintf(stderr, "ctx_threads: an operation failed\n");
        ERR_print_errors_fp(stderr);
        return 1;
    }
    printf("{\"value\": %.1f, \"ops\": %ld, \"threads\": %d, \"seconds\": %.3f, \"objects\": %d}\n",
           (double)total / elapsed, total, n, elapsed, objects_after(&run));
    X509_STORE_free(run.shared);
    free(w);
    free(tid);
    return 0;
}
