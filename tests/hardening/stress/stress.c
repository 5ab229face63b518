/*
 * Thread stress: THREADS threads for SECONDS seconds mix every operation the
 * shim touches, in random order, on private and shared contexts:
 *
 *   build    a new context; one or two CA routes (default paths,
 *            load_verify_locations, load_verify_file, X509_STORE_load_file on
 *            the context's store); sometimes X509_STORE_add_cert of an extra
 *            root on SSL_CTX_get_cert_store (copy-on-write of a shared
 *            store); a handshake to check it; then it is published in a
 *            shared pool, replacing (freeing) an older one.
 *   use      up-ref a pooled context, handshake against a random server and
 *            check the verify result against what that context must trust.
 *   inspect  up-ref a pooled context and read its store as CPython's
 *            get_ca_certs does (SSL_CTX_get_cert_store, then a locked read),
 *            while other threads handshake on it.
 *   refs     up-ref a pooled context twice and drop the references in random
 *            order, racing with the pool replacing it.
 *
 * The driver sets SSL_CERT_FILE=ab.pem and SSL_CERT_DIR to a hash directory
 * with roots C and D.  Every context carries the set of roots (A..E) it must
 * trust; any handshake that disagrees is counted as wrong.
 *
 *   stress FIXTURES SECONDS THREADS
 * Prints operation counts; exits 0 only if nothing was wrong.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/err.h>

#include "tk.h"

#define POOL    32
#define ROOT(c) (1u << ((c) - 'A'))

struct slot {
    SSL_CTX *ctx;
    unsigned trust;
};

static const char *g_fx;
static SSL_CTX *g_servers[5]; /* leafA..leafE, shared read-only */
static X509 *g_root_e;
static struct slot g_pool[POOL];
static pthread_mutex_t g_pool_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_stop;
static long g_ops[4], g_wrong, g_failed_setup;

static void count(long *c) { __atomic_add_fetch(c, 1, __ATOMIC_RELAXED); }

/* Handshakes against a random leaf; counts a wrong result. */
static void check_trust(SSL_CTX *ctx, unsigned trust, unsigned *seed)
{
    int leaf = (int)(rand_r(seed) % 5);
    long want = trust & (1u << leaf) ? X509_V_OK : X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY;

    if (!tk_expect(ctx, g_servers[leaf], want)) {
        count(&g_wrong);
        fprintf(stderr, "wrong verify result: leaf%c, trust mask %#x\n", 'A' + leaf, trust);
    }
}

/* One CA route on `ctx`; returns the roots it adds, or 0 on failure. */
static unsigned apply_route(SSL_CTX *ctx, int route)
{
    switch (route) {
    case 0:
        return SSL_CTX_set_default_verify_paths(ctx) == 1
                   ? ROOT('A') | ROOT('B') | ROOT('C') | ROOT('D')
                   : 0;
    case 1:
        return SSL_CTX_load_verify_locations(ctx, tk_path(g_fx, "ab.pem"), NULL) == 1
                   ? ROOT('A') | ROOT('B')
                   : 0;
    case 2:
        return SSL_CTX_load_verify_file(ctx, tk_path(g_fx, "abc.pem")) == 1
                   ? ROOT('A') | ROOT('B') | ROOT('C')
                   : 0;
    default:
        return X509_STORE_load_file(SSL_CTX_get_cert_store(ctx), tk_path(g_fx, "a.pem")) == 1
                   ? ROOT('A')
                   : 0;
    }
}

static void op_build(unsigned *seed)
{
    SSL_CTX *ctx = tk_client_ctx(), *old;
    unsigned trust = 0, got;
    int i, routes = 1 + (int)(rand_r(seed) % 2), k;

    for (i = 0; ctx && i < routes; i++) {
        if (!(got = apply_route(ctx, (int)(rand_r(seed) % 4))))
            count(&g_failed_setup);
        trust |= got;
    }
    if (ctx && rand_r(seed) % 3 == 0) {
        if (X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), g_root_e) == 1)
            trust |= ROOT('E');
        else
            count(&g_failed_setup);
    }
    ERR_clear_error();
    if (!ctx) {
        count(&g_failed_setup);
        return;
    }
    check_trust(ctx, trust, seed);
    k = (int)(rand_r(seed) % POOL);
    pthread_mutex_lock(&g_pool_lock);
    old = g_pool[k].ctx;
    g_pool[k].ctx = ctx;
    g_pool[k].trust = trust;
    pthread_mutex_unlock(&g_pool_lock);
    SSL_CTX_free(old); /* other threads may still hold references */
    count(&g_ops[0]);
}

/* A reference to a random pooled context, or NULL if the slot is empty. */
static SSL_CTX *take(unsigned *seed, unsigned *trust)
{
    int k = (int)(rand_r(seed) % POOL);
    SSL_CTX *ctx;

    pthread_mutex_lock(&g_pool_lock);
    ctx = g_pool[k].ctx;
    *trust = g_pool[k].trust;
    if (ctx && !SSL_CTX_up_ref(ctx))
        ctx = NULL;
    pthread_mutex_unlock(&g_pool_lock);
    return ctx;
}

static void op_use(unsigned *seed)
{
    unsigned trust;
    SSL_CTX *ctx = take(seed, &trust);

    if (!ctx)
        return;
    check_trust(ctx, trust, seed);
    SSL_CTX_free(ctx);
    count(&g_ops[1]);
}

static void op_inspect(unsigned *seed)
{
    unsigned trust, want = 0;
    SSL_CTX *ctx = take(seed, &trust);
    X509_STORE *st;
    int c;

    if (!ctx)
        return;
    st = SSL_CTX_get_cert_store(ctx);
    /* Roots loaded from files are in the store itself; C and D of the hash
     * directory only once a handshake looked them up, so they are not
     * checked here. */
    for (c = 'A'; c <= 'E'; c++)
        if (trust & ROOT(c) && c != 'C' && c != 'D')
            want++;
    if (!st || tk_store_certs(st) < (int)want) {
        count(&g_wrong);
        fprintf(stderr, "store holds %d certificates, expected at least %u\n",
                st ? tk_store_certs(st) : -1, want);
    }
    SSL_CTX_free(ctx);
    count(&g_ops[2]);
}

static void op_refs(unsigned *seed)
{
    unsigned trust;
    SSL_CTX *ctx = take(seed, &trust);

    if (!ctx)
        return;
    if (!SSL_CTX_up_ref(ctx)) {
        SSL_CTX_free(ctx);
        return;
    }
    if (rand_r(seed) % 2)
        check_trust(ctx, trust, seed);
    SSL_CTX_free(ctx);
    SSL_CTX_free(ctx);
    count(&g_ops[3]);
}

static void *worker(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg * 2654435761u;

    while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
        switch (rand_r(&seed) % 8) {
        case 0:
        case 1:
            op_build(&seed);
            break;
        case 2:
        case 3:
        case 4:
            op_use(&seed);
            break;
        case 5:
        case 6:
            op_inspect(&seed);
            break;
        default:
            op_refs(&seed);
            break;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int seconds, nthreads, i;
    pthread_t *tid;
    char leaf[8];

    if (argc != 4) {
        fprintf(stderr, "usage: stress FIXTURES SECONDS THREADS\n");
        return 2;
    }
    g_fx = argv[1];
    seconds = atoi(argv[2]);
    nthreads = atoi(argv[3]);
    for (i = 0; i < 5; i++) {
        snprintf(leaf, sizeof(leaf), "leaf%c", 'A' + i);
        if (!(g_servers[i] = tk_server_ctx(g_fx, leaf)))
            return 2;
    }
    if (!(g_root_e = tk_read_cert(tk_path(g_fx, "caE.pem"))))
        return 2;
    tid = calloc((size_t)nthreads, sizeof(*tid));
    for (i = 0; i < nthreads; i++)
        if (pthread_create(&tid[i], NULL, worker, (void *)(size_t)(i + 1)) != 0)
            return 2;
    sleep((unsigned)seconds);
    __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
    for (i = 0; i < nthreads; i++)
        pthread_join(tid[i], NULL);
    for (i = 0; i < POOL; i++)
        SSL_CTX_free(g_pool[i].ctx);
    for (i = 0; i < 5; i++)
        SSL_CTX_free(g_servers[i]);
    X509_free(g_root_e);
    free(tid);
    printf("threads=%d seconds=%d build=%ld use=%ld inspect=%ld refs=%ld wrong=%ld "
           "setup_failures=%ld\n",
           nthreads, seconds, g_ops[0], g_ops[1], g_ops[2], g_ops[3], g_wrong, g_failed_setup);
    return g_wrong || g_failed_setup ? 1 : 0;
}
