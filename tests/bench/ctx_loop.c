/*
 * Time one context set-up operation, ITERS times, in this process.
 *
 *   ctx_loop bare    ITERS          SSL_CTX_new + SSL_CTX_free
 *   ctx_loop default ITERS          ... + SSL_CTX_set_default_verify_paths
 *   ctx_loop file    ITERS CAFILE   ... + SSL_CTX_load_verify_locations(CAFILE)
 *   ctx_loop store-file ITERS CAFILE   ... + X509_STORE_load_file(SSL_CTX_get_cert_store(),
 *                                   CAFILE), the way curl loads its CA file: the
 *                                   caller holds the store itself
 *   ctx_loop rss-bare|rss-default N  KiB of RSS retained per context while N
 *                                   contexts built as bare|default stay alive
 *                                   (one built first is kept out of the count,
 *                                   so one-time costs such as a cache fill are
 *                                   not taken for per-context memory)
 *
 * Prints one JSON line: the median and mean nanoseconds per operation, the
 * first operation's time (a cache fill shows up there), and how many objects
 * a context built the same way holds afterwards, so a run where the CA load
 * silently did nothing cannot pass for a fast one.  That count is taken on
 * an extra, untimed context: reaching into a context's store
 * (SSL_CTX_get_cert_store) is a different operation from the one timed.
 *
 * The program is linked normally against libssl/libcrypto; the bench driver
 * runs it with and without LD_PRELOAD.
 */
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum mode { MODE_BARE, MODE_DEFAULT, MODE_FILE, MODE_STORE_FILE };

struct config {
    enum mode mode;
    long iters;
    const char *cafile;
    int rss; /* rss-bare, rss-default */
};

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 3.3 added X509_STORE_get1_objects and 4.0 deprecates get0_objects. */
static int store_objects(SSL_CTX *ctx)
{
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get1_objects(SSL_CTX_get_cert_store(ctx));
    int n = objs ? sk_X509_OBJECT_num(objs) : -1;

    sk_X509_OBJECT_pop_free(objs, X509_OBJECT_free);
    return n;
#else
    return sk_X509_OBJECT_num(X509_STORE_get0_objects(SSL_CTX_get_cert_store(ctx)));
#endif
}

static long rss_kib(void)
{
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");

    if (f == NULL)
        return -1;
    while (kib < 0 && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmRSS:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

/* Build one context the configured way; NULL if OpenSSL failed. */
static SSL_CTX *make_ctx(const struct config *cfg)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    int ok = ctx != NULL;

    if (ok && cfg->mode == MODE_DEFAULT)
        ok = SSL_CTX_set_default_verify_paths(ctx) == 1;
    else if (ok && cfg->mode == MODE_FILE)
        ok = SSL_CTX_load_verify_locations(ctx, cfg->cafile, NULL) == 1;
    else if (ok && cfg->mode == MODE_STORE_FILE)
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
        ok = X509_STORE_load_file(SSL_CTX_get_cert_store(ctx), cfg->cafile) == 1;
#else /* 1.1.1 has no X509_STORE_load_file: what 3.0's does */
        ok = X509_STORE_load_locations(SSL_CTX_get_cert_store(ctx), cfg->cafile, NULL) == 1;
#endif
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

/* One timed operation; returns its duration, or -1 if OpenSSL failed. */
static double one_op(const struct config *cfg)
{
    double t0 = now_ns();
    SSL_CTX *ctx = make_ctx(cfg);
    int ok = ctx != NULL;
    SSL_CTX_free(ctx);
    double t1 = now_ns();
    return ok ? t1 - t0 : -1.0;
}

/* Objects in the store of a context built the same way (untimed). */
static int objects_after(const struct config *cfg)
{
    SSL_CTX *ctx = make_ctx(cfg);
    if (ctx == NULL)
        return -1;
    int n = store_objects(ctx);
    SSL_CTX_free(ctx);
    return n;
}

/* RSS retained per context while cfg->iters of them stay alive. */
static int rss_per_ctx(const struct config *cfg)
{
    SSL_CTX **keep = calloc((size_t)cfg->iters, sizeof(*keep));
    SSL_CTX *warm = make_ctx(cfg);
    long before, after, i;
    int rc = 1;

    if (keep == NULL || warm == NULL)
        goto out;
    before = rss_kib();
    for (i = 0; i < cfg->iters; i++)
        if ((keep[i] = make_ctx(cfg)) == NULL)
            goto out;
    after = rss_kib();
    printf("{\"value\": %.2f, \"rss_before_kib\": %ld, \"rss_after_kib\": %ld, "
           "\"ops\": %ld, \"objects\": %d}\n",
           (double)(after - before) / (double)cfg->iters, before, after, cfg->iters,
           store_objects(keep[cfg->iters - 1]));
    rc = 0;
out:
    for (i = 0; keep && i < cfg->iters; i++)
        SSL_CTX_free(keep[i]);
    free(keep);
    SSL_CTX_free(warm);
    return rc;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    if (argc < 3)
        return -1;
    cfg->rss = strncmp(argv[1], "rss-", 4) == 0;
    if (cfg->rss)
        argv[1] += 4;
    if (strcmp(argv[1], "bare") == 0)
        cfg->mode = MODE_BARE;
    else if (strcmp(argv[1], "default") == 0)
        cfg->mode = MODE_DEFAULT;
    else if (cfg->rss)
        return -1;
    else if (strcmp(argv[1], "file") == 0 && argc == 4)
        cfg->mode = MODE_FILE;
    else if (strcmp(argv[1], "store-file") == 0 && argc == 4)
        cfg->mode = MODE_STORE_FILE;
    else
        return -1;
    cfg->iters = strtol(argv[2], NULL, 10);
    cfg->cafile = argc == 4 ? argv[3] : NULL;
    return cfg->iters > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct config cfg;
    if (parse_args(argc, argv, &cfg) != 0) {
        fprintf(stderr,
                "usage: %s bare|default ITERS | file|store-file ITERS CAFILE"
                " | rss-bare|rss-default N\n",
                argv[0]);
        return 2;
    }
    if (cfg.rss)
        return rss_per_ctx(&cfg);
    double *t = malloc(sizeof(*t) * (size_t)cfg.iters);
    if (t == NULL)
        return 1;
    double sum = 0;
    for (long i = 0; i < cfg.iters; i++) {
        t[i] = one_op(&cfg);
        if (t[i] < 0) {
            fprintf(stderr, "ctx_loop: operation %ld failed\n", i);
            ERR_print_errors_fp(stderr);
            free(t);
            return 1;
        }
        sum += t[i];
    }
    double first = t[0];
    qsort(t, (size_t)cfg.iters, sizeof(*t), cmp_double);
    double median =
        cfg.iters % 2 ? t[cfg.iters / 2] : (t[cfg.iters / 2 - 1] + t[cfg.iters / 2]) / 2;
    printf("{\"value\": %.1f, \"mean\": %.1f, \"first\": %.1f, \"ops\": %ld, "
           "\"objects\": %d}\n",
           median, sum / (double)cfg.iters, first, cfg.iters, objects_after(&cfg));
    free(t);
    return 0;
}
