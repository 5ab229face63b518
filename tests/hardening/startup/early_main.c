/*
 * Main program of the early-constructor test: prints what the preloaded
 * early library's constructor found, then loads the same bundle itself and
 * handshakes (a later load, after every constructor has run).
 *
 *   early_main FIXTURES
 */
#include <dlfcn.h>
#include <stdio.h>

#include "tk.h"

int main(int argc, char **argv)
{
    const char *(*report)(void);
    SSL_CTX *c, *server;
    int loaded, ok;

    if (argc != 2)
        return 2;
    report = (const char *(*)(void))(void (*)(void))dlsym(RTLD_DEFAULT, "early_report");
    printf("%s\n", report ? report() : "early library not preloaded");
    c = tk_client_ctx();
    loaded = SSL_CTX_load_verify_locations(c, tk_path(argv[1], "ab.pem"), NULL);
    server = tk_server_ctx(argv[1], "leafA");
    ok = tk_expect(c, server, X509_V_OK);
    printf("main: load=%d certs=%d handshake=%s\n", loaded,
           tk_store_certs(SSL_CTX_get_cert_store(c)), ok ? "verified" : "FAILED");
    SSL_CTX_free(c);
    SSL_CTX_free(server);
    return 0;
}
