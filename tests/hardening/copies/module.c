/*
 * One "extension module" of the two-copies test.  The same source is built
 * several times: linked against the system libssl, against the renamed copy,
 * and into a middle library that a thin module depends on (deep.c).  Every
 * OpenSSL call here binds to whichever copy the dynamic linker chose for this
 * object, and the transcript names that copy, so a run with the shim must
 * print exactly what a run without it prints.
 *
 * TCMOD_ENTRY names the entry point (tcmod_run, or tcmid_run in the middle
 * library).  The transcript holds no pointers, paths or timings.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>

#include "tk.h"

#ifndef TCMOD_ENTRY
#define TCMOD_ENTRY tcmod_run
#endif

int TCMOD_ENTRY(const char *label, const char *fixtures);

static int g_bad;

static void check(const char *label, const char *what, int ok)
{
    printf("%s: %s: %s\n", label, what, ok ? "yes" : "NO");
    if (!ok)
        g_bad++;
}

/* Certificates in the context's store, and their CNs, read with this copy's functions. */
static void show_store(const char *label, const char *name, SSL_CTX *ctx)
{
    X509_STORE *st = SSL_CTX_get_cert_store(ctx);
    static const char *const cns[] = {"Parity Root A", "Parity Root B", "Parity Root C"};
    size_t i;

    printf("%s: %s store certs=%d", label, name, tk_store_certs(st));
    for (i = 0; i < sizeof(cns) / sizeof(cns[0]); i++)
        printf(" %c=%d", cns[i][12], tk_store_has_cn(st, cns[i]));
    printf("\n");
}

/* Drains this copy's error queue into the transcript as lib:reason pairs. */
static void show_errors(const char *label)
{
    unsigned long e;

    printf("%s: errors:", label);
    while ((e = ERR_get_error()) != 0)
        printf(" %d:%d", ERR_GET_LIB(e), ERR_GET_REASON(e));
    printf("\n");
}

static void expect(const char *label, const char *what, SSL_CTX *client, SSL_CTX *server, long want)
{
    long v;
    int rc = tk_handshake(client, server, &v);

    printf("%s: handshake %s: %s verify=%ld\n", label, what,
           rc == TK_HS_OK       ? "ok"
           : rc == TK_HS_FAILED ? "failed"
                                : "setup-error",
           v);
    if (v != want || (rc == TK_HS_OK) != (want == X509_V_OK))
        g_bad++;
}

int TCMOD_ENTRY(const char *label, const char *fixtures)
{
    SSL_CTX *c1 = tk_client_ctx(), *c2 = tk_client_ctx(), *c3 = tk_client_ctx(),
            *c4 = tk_client_ctx(), *c5 = tk_client_ctx(), *c6 = tk_client_ctx();
    SSL_CTX *sa = tk_server_ctx(fixtures, "leafA"), *sb = tk_server_ctx(fixtures, "leafB"),
            *sc = tk_server_ctx(fixtures, "leafC"), *sd = tk_server_ctx(fixtures, "leafD");
    char bundle[4096];
    X509 *cac;

    g_bad = 0;
    snprintf(bundle, sizeof(bundle), "%s", tk_path(fixtures, "ab.pem"));
    /* Which copy this object's calls reach: libcrypto and libssl, by file name. */
    printf("%s: copy=%s ssl=%s version=%lx\n", label, tk_object_of((void *)OpenSSL_version_num),
           tk_object_of((void *)TLS_client_method), OpenSSL_version_num());

    /* Three CA-file routes and a fourth context, all on the same bundle. */
    printf("%s: SSL_CTX_load_verify_locations=%d\n", label,
           SSL_CTX_load_verify_locations(c1, bundle, NULL));
    printf("%s: SSL_CTX_load_verify_file=%d\n", label, SSL_CTX_load_verify_file(c2, bundle));
    printf("%s: X509_STORE_load_file=%d\n", label,
           X509_STORE_load_file(SSL_CTX_get_cert_store(c3), bundle));
    printf("%s: error queue empty=%d\n", label, ERR_peek_error() == 0);

    show_store(label, "c1", c1);
    show_store(label, "c2", c2);
    show_store(label, "c3", c3);
    expect(label, "c1 leafA", c1, sa, X509_V_OK);
    expect(label, "c2 leafB", c2, sb, X509_V_OK);
    expect(label, "c3 leafA", c3, sa, X509_V_OK);
    expect(label, "c1 leafC", c1, sc, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

    /* A CA added to one context's store is trusted there and nowhere else. */
    cac = tk_read_cert(tk_path(fixtures, "caC.pem"));
    check(label, "caC read", cac != NULL);
    printf("%s: X509_STORE_add_cert(c1, caC)=%d\n", label,
           cac ? X509_STORE_add_cert(SSL_CTX_get_cert_store(c1), cac) : -1);
    X509_free(cac);
    printf("%s: SSL_CTX_load_verify_locations(c4)=%d\n", label,
           SSL_CTX_load_verify_locations(c4, bundle, NULL));
    show_store(label, "c1", c1);
    show_store(label, "c4", c4);
    expect(label, "c1 leafC", c1, sc, X509_V_OK);
    expect(label, "c2 leafC", c2, sc, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    expect(label, "c4 leafC", c4, sc, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    expect(label, "c4 leafA", c4, sa, X509_V_OK);

    /*
     * Default paths (the driver points SSL_CERT_FILE at ab.pem and
     * SSL_CERT_DIR at a hash directory holding C and D), and a load that
     * fails: both reach OpenSSL functions that call other hooked functions,
     * and the errors must land on this copy's queue.
     */
    printf("%s: SSL_CTX_set_default_verify_paths=%d\n", label,
           SSL_CTX_set_default_verify_paths(c5));
    show_store(label, "c5", c5);
    expect(label, "c5 leafB", c5, sb, X509_V_OK);
    expect(label, "c5 leafD", c5, sd, X509_V_OK);
    printf("%s: SSL_CTX_load_verify_locations(missing)=%d\n", label,
           SSL_CTX_load_verify_locations(c6, tk_path(fixtures, "missing.pem"), NULL));
    show_errors(label);
    expect(label, "c6 leafA", c6, sa, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);

    SSL_CTX_free(c5);
    SSL_CTX_free(c6);
    SSL_CTX_free(sd);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(c3);
    SSL_CTX_free(c4);
    SSL_CTX_free(sa);
    SSL_CTX_free(sb);
    SSL_CTX_free(sc);
    printf("%s: done, %d unexpected\n", label, g_bad);
    fflush(stdout);
    return g_bad;
}
