/*
 * How long shared stores live: contexts referenced from several threads and
 * freed in any order, stores that outlive a rotation of their file, more
 * recipes alive at once than the shim keeps templates for, and library
 * contexts that come and go. Nothing may be freed while a context can still
 * use it, and nothing stale may reach a new context.
 */
#include <stdlib.h>

#include "harness.h"
#include "scenarios.h"

#define LOAD(ctx, bundle)       CALL(1, SSL_CTX_load_verify_locations(ctx, fx(bundle), NULL))
#define LOAD_SCRATCH(ctx, name) CALL(1, SSL_CTX_load_verify_locations(ctx, scratch(name), NULL))

/* A context whose creator drops its reference before the threads holding
 * the others handshake with it and free it, in whatever order they finish. */
static SSL_CTX *shared_ref;

static void use_and_release(int index)
{
    TRUST(shared_ref, index % 2 ? "B" : "A", "C");
    SSL_CTX_free(shared_ref);
}

void sc_share_up_ref_free_order(void)
{
    SSL_CTX *c2 = client_ctx(), *c3;
    int i;

    shared_ref = client_ctx();
    LOAD(shared_ref, "ab.pem");
    LOAD(c2, "ab.pem");
    for (i = 0; i < parity_threads; i++)
        if (SSL_CTX_up_ref(shared_ref) != 1)
            unexpected("SSL_CTX_up_ref failed");
    say("one more reference per thread");
    SSL_CTX_free(c2);
    say("freed c2, which shared the same store");
    SSL_CTX_free(shared_ref);
    say("dropped the creator's reference");
    run_workers(use_and_release);
    c3 = client_ctx();
    LOAD(c3, "ab.pem");
    TRUST(c3, "AB", "C");
    SSL_CTX_free(c3);
}

/* A store built from a file that is then replaced: contexts loaded before
 * keep the old roots, as with OpenSSL alone; contexts loaded after get the
 * new ones, for a rename and for an in-place rewrite alike. */
void sc_share_rotation_outlives(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx(), *c4 = client_ctx();

    write_bundle(scratch("bundle.pem"), 0, "caA.pem", NULL);
    say("bundle.pem: root A");
    LOAD_SCRATCH(c1, "bundle.pem");
    LOAD_SCRATCH(c2, "bundle.pem");
    replace_bundle(scratch("bundle.pem"), 0, "caB.pem", NULL);
    say("bundle.pem renamed over: root B");
    LOAD_SCRATCH(c3, "bundle.pem");
    TRUST(c3, "B", "A");
    TRUST(c1, "A", "B");
    TRUST(c2, "A", "B");
    SSL_CTX_free(c1);
    say("freed c1");
    TRUST(c2, "A", "B");
    write_bundle(scratch("bundle.pem"), 0, "caA.pem", "caC.pem", NULL);
    say("bundle.pem rewritten in place: roots A and C");
    LOAD_SCRATCH(c4, "bundle.pem");
    TRUST(c4, "AC", "B");
    TRUST(c3, "B", "AC");
    TRUST(c2, "A", "BC");
    STORE(c2, 1, 0);
    STORE(c3, 1, 0);
    STORE(c4, 2, 0);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
}

/*
 * More distinct recipes alive at once than the shim keeps templates for
 * (TRUSTCACHE_MAX_BUNDLES, 64 by default), created from many threads: each
 * context adds a directory of its own, so each has its own recipe. Templates
 * leave the table while contexts still use them.
 */
#define MANY_RECIPES 96

static void many_recipes(int index)
{
    int n = (MANY_RECIPES + parity_threads - 1) / parity_threads, k;
    SSL_CTX **c = calloc((size_t)n, sizeof(*c));
    char name[64], label[32];
    long rc;

    for (k = 0; c && k < n; k++) {
        c[k] = client_ctx();
        snprintf(name, sizeof(name), "absent-%d-%d", index, k);
        rc = SSL_CTX_load_verify_locations(c[k], fx("a.pem"), scratch(name));
        say("SSL_CTX_load_verify_locations(c[%d], fx(\"a.pem\"), <its own dir>) = %ld", k, rc);
        if (rc != 1)
            unexpected("load into c[%d] returned %ld", k, rc);
        show_errors();
    }
    for (k = 0; c && k < n; k++) {
        snprintf(label, sizeof(label), "c[%d]", k);
        handshake(label, c[k], "leafA", V_OK);
    }
    for (k = n - 1; c && k >= 0; k--)
        SSL_CTX_free(c[k]);
    free(c);
}

void sc_share_many_recipes(void)
{
    SSL_CTX *c = client_ctx();

    run_workers(many_recipes);
    CALL(1, SSL_CTX_load_verify_locations(c, fx("a.pem"), scratch("absent-0-0")));
    TRUST(c, "A", "B");
    SSL_CTX_free(c);
}

#ifndef PARITY_OSSL_111
/* Library contexts created and freed one after another: the allocator
 * hands out a freed one's address again now and then, and a cache keyed by
 * that address would serve the new one certificates parsed for the old.
 * Every round must verify as a fresh library context does. */
void sc_share_libctx_recycled(void)
{
    for (int round = 0; round < 20; round++) {
        OSSL_LIB_CTX *lc = OSSL_LIB_CTX_new();
        SSL_CTX *c1 = SSL_CTX_new_ex(lc, NULL, TLS_client_method());
        SSL_CTX *c2 = SSL_CTX_new_ex(lc, NULL, TLS_client_method());

        say("round %d: a new library context", round);
        if (!lc || !c1 || !c2) {
            unexpected("cannot create a library context or its contexts");
            SSL_CTX_free(c1);
            SSL_CTX_free(c2);
            OSSL_LIB_CTX_free(lc);
            return;
        }
        SSL_CTX_set_verify(c1, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_verify(c2, SSL_VERIFY_PEER, NULL);
        LOAD(c1, "ab.pem");
        LOAD(c2, "ab.pem");
        TRUST(c1, "AB", "C");
        TRUST(c2, "B", "D");
        SSL_CTX_free(c1);
        SSL_CTX_free(c2);
        OSSL_LIB_CTX_free(lc);
    }
}
#endif
