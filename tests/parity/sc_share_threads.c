/*
 * Shared templates under concurrency: handshakes on many contexts of one
 * template while some of them take their store private, lazy hash-dir
 * lookups writing into a template from many threads at once, and mutual TLS
 * with a different client certificate per context on one template.
 */
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "scenarios.h"

#define LOAD(ctx, bundle) CALL(1, SSL_CTX_load_verify_locations(ctx, fx(bundle), NULL))

/* ---------------------------------------------------------------- mTLS */
static SSL_CTX *mtls_client[2];
static const char *const mtls_who[2] = {"clientX", "clientY"};
static const char *const mtls_cn[2] = {"clientX.parity.test", "clientY.parity.test"};

/* A client context with the shared CA bundle and its own certificate. */
static SSL_CTX *mtls_client_ctx(const char *who)
{
    SSL_CTX *c = client_ctx();
    char name[64];
    X509 *cert;
    EVP_PKEY *key;

    LOAD(c, "abe.pem");
    snprintf(name, sizeof(name), "%s.pem", who);
    cert = fixture_cert(name);
    snprintf(name, sizeof(name), "%s.key", who);
    key = fixture_key(name);
    say("%s:", who);
    CALL(1, SSL_CTX_use_certificate(c, cert));
    CALL(1, SSL_CTX_use_PrivateKey(c, key));
    X509_free(cert);
    EVP_PKEY_free(key);
    return c;
}

/* Each thread uses one of the two clients; the server must see that one. */
static void mtls_worker(int index)
{
    int who = index % 2;

    for (int round = 0; round < 2; round++) {
        mtls_handshake(mtls_who[who], mtls_client[who], "leafA", "caE.pem", mtls_cn[who]);
        mtls_handshake(mtls_who[who], mtls_client[who], "leafB", "caE.pem", mtls_cn[who]);
    }
}

void sc_share_mtls_two_clients(void)
{
    SSL_CTX *anon = client_ctx();

    mtls_client[0] = mtls_client_ctx(mtls_who[0]);
    mtls_client[1] = mtls_client_ctx(mtls_who[1]);
    LOAD(anon, "abe.pem");
    run_workers(mtls_worker);
    mtls_handshake("no client certificate", anon, "leafA", "caE.pem", NULL);
    mtls_handshake(mtls_who[1], mtls_client[1], "leafE", "caE.pem", mtls_cn[1]);
    TRUST(mtls_client[0], "ABE", "C");
    SSL_CTX_free(anon);
    SSL_CTX_free(mtls_client[0]);
    SSL_CTX_free(mtls_client[1]);
}

/* ------------------------------------------ store handed out mid-traffic */
static SSL_CTX **traffic_ctx;
static X509 *traffic_extra;

/* Every fourth thread verifies on the shared store, then takes its store
 * and adds root E; the others keep handshaking on the template meanwhile,
 * through lazy hash-dir lookups into it. */
static void handout_or_handshake(int index)
{
    SSL_CTX *c = traffic_ctx[index];

    if (index % 4 == 0) {
        HS(c, "leafC", V_OK);
        CALL(1, X509_STORE_add_cert(SSL_CTX_get_cert_store(c), traffic_extra));
        TRUST(c, "ACDE", "B");
    } else {
        TRUST(c, "ACD", "BE");
        TRUST(c, "DC", "E");
    }
}

void sc_share_handout_during_handshakes(void)
{
    int n = parity_threads, i;
    SSL_CTX *late = client_ctx();

    traffic_ctx = calloc((size_t)n, sizeof(*traffic_ctx));
    traffic_extra = fixture_cert("caE.pem");
    for (i = 0; traffic_ctx && i < n; i++) {
        traffic_ctx[i] = client_ctx();
        CALL(1, SSL_CTX_load_verify_locations(traffic_ctx[i], fx("a.pem"), fx("hashdir")));
    }
    if (traffic_ctx)
        run_workers(handout_or_handshake);
    CALL(1, SSL_CTX_load_verify_locations(late, fx("a.pem"), fx("hashdir")));
    TRUST(late, "ACD", "BE");
    for (i = 0; traffic_ctx && i < n; i++)
        SSL_CTX_free(traffic_ctx[i]);
    free(traffic_ctx);
    X509_free(traffic_extra);
    SSL_CTX_free(late);
}

/* ----------------------------------------------- lazy hash-dir writes */
static char lazy_dir[PATH_MAX];

/* Each thread loads its own context (all on one template) and handshakes
 * repeatedly with roots only the hash dir has, so the lookups add them to
 * the shared template while other threads read it. */
static void lazy_lookups(int index)
{
    SSL_CTX *c = client_ctx();

    (void)index;
    CALL(1, SSL_CTX_load_verify_locations(c, fx("a.pem"), lazy_dir));
    for (int round = 0; round < 3; round++) {
        HS(c, "leafC", V_OK);
        HS(c, "leafD", V_OK);
        HS(c, "leafA", V_OK);
    }
    HS(c, "leafE", V_NO_ISSUER);
    SSL_CTX_free(c);
}

void sc_share_hashdir_lazy_threads(void)
{
    SSL_CTX *first = client_ctx();

    /* A directory path of this scenario's own, so the template starts with
     * nothing looked up even when every scenario runs in one process. */
    if (symlink(fx("hashdir"), scratch("hashdir")) != 0)
        unexpected("cannot link the hash dir into the scratch directory");
    snprintf(lazy_dir, sizeof(lazy_dir), "%s", scratch("hashdir"));
    CALL(1, SSL_CTX_load_verify_locations(first, fx("a.pem"), lazy_dir));
    run_workers(lazy_lookups);
    TRUST(first, "ACD", "BE");
    SSL_CTX_free(first);
}
