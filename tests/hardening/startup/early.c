/*
 * A library whose constructor uses OpenSSL, preloaded after the shim so that
 * its constructor runs before the shim's (the dynamic linker runs
 * initialisers of preloaded objects in reverse load order; the driver checks
 * the order with LD_DEBUG=init).  Hooks reached this early must already work:
 * the constructor creates two contexts, loads the same bundle into each and
 * handshakes, and leaves its findings for the main program (early_report).
 *
 * EARLY_FIXTURES names the fixture directory.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tk.h"

__attribute__((visibility("default"))) const char *early_report(void);

static char g_report[256] = "constructor did not run";

__attribute__((constructor)) static void early_init(void)
{
    const char *fx = getenv("EARLY_FIXTURES");
    SSL_CTX *c1, *c2, *server;
    int l1, l2, n1, n2, hs;

    if (!fx) {
        snprintf(g_report, sizeof(g_report), "EARLY_FIXTURES unset");
        return;
    }
    c1 = tk_client_ctx();
    c2 = tk_client_ctx();
    l1 = SSL_CTX_load_verify_locations(c1, tk_path(fx, "ab.pem"), NULL);
    l2 = SSL_CTX_load_verify_locations(c2, tk_path(fx, "ab.pem"), NULL);
    n1 = tk_store_certs(SSL_CTX_get_cert_store(c1));
    n2 = tk_store_certs(SSL_CTX_get_cert_store(c2));
    server = tk_server_ctx(fx, "leafB");
    hs = tk_expect(c2, server, X509_V_OK);
    snprintf(g_report, sizeof(g_report), "early: loads=%d,%d certs=%d,%d handshake=%s", l1, l2, n1,
             n2, hs ? "verified" : "FAILED");
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(server);
}

const char *early_report(void) { return g_report; }
