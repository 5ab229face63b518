/*
 * Shared templates and everything that is not a file parse: hash-dir
 * lookups that fill a store lazily during handshakes, default directories
 * taken from SSL_CERT_DIR, and applications enumerating a store. A store's
 * contents as an application sees them must equal a real load's, in order.
 */
#include <limits.h>
#include <unistd.h>

#include "harness.h"
#include "scenarios.h"

#define LOAD(ctx, bundle) CALL(1, SSL_CTX_load_verify_locations(ctx, fx(bundle), NULL))
#define DEFAULTS(ctx)     CALL(1, SSL_CTX_set_default_verify_paths(ctx))

/* This scenario's own name for the fixture hash dir: a directory path no
 * other scenario loads, so the store built from it starts empty even when
 * every scenario runs in one process. */
static const char *own_hashdir(void)
{
    static char dir[PATH_MAX];

    snprintf(dir, sizeof(dir), "%s", scratch("hashdir"));
    if (access(dir, F_OK) != 0 && symlink(fx("hashdir"), dir) != 0)
        unexpected("cannot link the hash dir into the scratch directory");
    return dir;
}

/* Two default recipes that differ only by SSL_CERT_DIR are two stores. */
void sc_share_cert_dir_recipes(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();

    env_cert_file("a.pem");
    env_cert_dir("hashdir");
    DEFAULTS(c1);
    env_cert_dir("emptydir");
    DEFAULTS(c2);
    env_cert_dir("hashdir");
    DEFAULTS(c3);
    TRUST(c1, "ACD", "B");
    TRUST(c2, "A", "CD");
    TRUST(c3, "ACD", "B");
    env_cert_dir("emptydir");
    TRUST(c2, "A", "C");
    TRUST(c1, "AC", "E");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* SSL_CTX_set_default_verify_dir, a route the cache does not serve, on a
 * context that shares its store: only that context gains the directory. */
void sc_share_set_default_verify_dir(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx(), *c4 = client_ctx();

    env_cert_file("a.pem");
    env_cert_dir("emptydir");
    DEFAULTS(c1);
    DEFAULTS(c2);
    env_cert_dir("hashdir");
    CALL(1, SSL_CTX_set_default_verify_dir(c1));
    TRUST(c1, "ACD", "B");
    TRUST(c2, "A", "CD");
    DEFAULTS(c3);
    TRUST(c3, "ACD", "B");
    env_cert_dir("emptydir");
    DEFAULTS(c4);
    TRUST(c4, "A", "C");
    TRUST(c2, "A", "D");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
}

/* load_verify_dir alone, a handshake that needs a root from the directory,
 * then the store enumerated as get_ca_certs() does: only what this context's
 * own lookups loaded, sorted by those lookups. */
void sc_share_hashdir_enumerate(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx();
    const char *dir = own_hashdir();

    CALL(1, SSL_CTX_load_verify_dir(c1, dir));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("b.pem"), dir));
    HS(c1, "leafC", V_OK);
    ALLCERTS(c1, 1);
    STORE(c1, 1, 0);
    HS(c2, "leafD", V_OK);
    STORE(c2, 2, 0);
    TRUST(c2, "BCD", "A");
    STORE(c2, 3, 0);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
}

/* Contexts on one template whose recipe has a hash dir, each handshaking
 * with a different root from it, then enumerated: each must list what its
 * own handshakes loaded, as each would with a store of its own. */
void sc_share_hashdir_enumerate_shared(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx();
    const char *dir = own_hashdir();

    CALL(1, SSL_CTX_load_verify_locations(c1, fx("a.pem"), dir));
    CALL(1, SSL_CTX_load_verify_locations(c2, fx("a.pem"), dir));
    CALL(1, SSL_CTX_load_verify_locations(c3, fx("a.pem"), dir));
    HS(c1, "leafC", V_OK);
    HS(c2, "leafD", V_OK);
    HS(c3, "leafA", V_OK);
    STORE(c1, 2, 0);
    STORE(c2, 2, 0);
    STORE(c3, 1, 0);
    TRUST(c3, "ACD", "B");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
}

/* Enumeration after sharing: file order before any handshake, lookup order
 * after one, TRUSTED CERTIFICATE settings kept, for both enumerations
 * (X509_STORE_get0_objects under the lock, X509_STORE_get1_all_certs). */
void sc_share_enumerate_order(void)
{
    SSL_CTX *c1 = client_ctx(), *c2 = client_ctx(), *c3 = client_ctx(), *c4 = client_ctx();

    LOAD(c1, "abc.pem");
    LOAD(c2, "abc.pem");
    ALLCERTS(c2, 3);
    STORE(c2, 3, 0);
    HS(c1, "leafB", V_OK);
    STORE(c1, 3, 0);
    LOAD(c3, "a-trust-server.pem");
    LOAD(c3, "b.pem");
    LOAD(c4, "a-trust-server.pem");
    LOAD(c4, "b.pem");
    TRUST(c3, "AB", "C");
    ALLCERTS(c4, 2);
    STORE(c4, 2, 0);
    STORE(c3, 2, 0);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
}
