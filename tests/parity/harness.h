/*
 * Parity harness: scenarios drive OpenSSL's CA-loading entry points and print
 * a canonical transcript of everything a caller can observe (return values,
 * the error queue, store contents, verify results of real TLS handshakes).
 * The driver runs every scenario with and without the shim and diffs the two
 * transcripts, so nothing printed may depend on pointers, time or temp paths.
 */
#ifndef PARITY_HARNESS_H
#define PARITY_HARNESS_H

#include <stdio.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "ossl_compat.h"

/* ---------------------------------------------------------------- table */
typedef void (*scenario_fn)(void);

struct scenario {
    const char *name;
    scenario_fn fn;
    /* With the shim, the run must report at least this many ca_loads_avoided:
     * proof that the shim really served the repeated loads. */
    int min_avoided;
    /* With sharing on, at least this many contexts_shared: proof that the
     * contexts really ran on a shared template (0: not checked). With
     * TRUSTCACHE_SHARE=0 the count must be 0 whatever this says. */
    int min_shared;
    /* Template warning lines ("trustcache: ... on a shared CA store ...")
     * the with-shim run prints on stderr, and at least as many
     * template_mutations; every other scenario must print none and count
     * none. With TRUSTCACHE_SHARE=0 there are none. */
    int warnings;
};

extern const struct scenario scenarios[];
extern const size_t n_scenarios;

/* Scenarios this OpenSSL lacks the API for: listed by name (--skipped). */
struct skipped_scenario {
    const char *name, *why;
};
extern const struct skipped_scenario skipped_scenarios[]; /* ends with a NULL name */

/* Number of worker threads for the concurrency scenarios (--threads). */
extern int parity_threads;
/* Seconds before SIGALRM ends a process (--timeout); fork children re-arm it,
 * since alarms are not inherited. */
extern int parity_timeout;

/* ---------------------------------------------------------------- output */
/* Every line goes to the calling thread's sink (stdout unless redirected),
 * so worker threads can buffer their lines and the main thread can print
 * them in a fixed order. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void set_thread_sink(FILE *f);
/* Writes already formatted lines (a worker's buffer) to the sink. */
void emit_text(const char *text);

/* Runs body(0..parity_threads-1) on that many threads, started together at
 * a barrier, then prints "N threads" and each thread's lines in index order. */
void run_workers(void (*body)(int index));

/* Records a broken expectation: printed, and the run exits non-zero. */
void unexpected(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int expectations_failed(void);

/* Prints and drains the calling thread's error queue as lib:reason pairs. */
void show_errors(void);
/* Drains it, appending the same text to buf (which must be a C string). */
void take_errors(char *buf, size_t len);

#define ANY_RC (-9999L)
/* Prints "expr = rc", then the error queue; rc must equal want unless want is
 * ANY_RC. The expression text is the label, so it must not contain paths:
 * use fx()/scratch() calls, whose source text is printed, not their value. */
long call_step(const char *expr, long rc, long want);
#define CALL(want, expr) call_step(#expr, (long)(expr), (long)(want))

/* Prints a store's object counts and, in store order, each cert's subject,
 * fingerprint and SSL-server trust, and each CRL's issuer. Counts must match
 * unless negative. Reads the object stack under the store lock. */
void show_store(const char *label, X509_STORE *st, int want_certs, int want_crls);
#define STORE(ctx, certs, crls) show_store(#ctx, SSL_CTX_get_cert_store(ctx), (certs), (crls))
#define XSTORE(st, certs, crls) show_store(#st, (st), (certs), (crls))

/* Prints X509_STORE_get1_all_certs(st) in the order it returns them, as an
 * application enumerating a store (CPython get_ca_certs) sees them. */
void show_all_certs(const char *label, X509_STORE *st, int want_certs);
#define ALLCERTS(ctx, certs) show_all_certs(#ctx, SSL_CTX_get_cert_store(ctx), (certs))

/* ---------------------------------------------------------------- TLS */
/* A client context as a verifying client makes one: SSL_VERIFY_PEER. */
SSL_CTX *client_ctx(void);
/* The same, with st handed over as its store. */
SSL_CTX *client_ctx_with_store(X509_STORE *st);

/* Handshakes client against an in-process server presenting fixture leaf
 * `leaf` (e.g. "leafA") over a BIO pair, and prints the outcome. want is the
 * expected client verify result (X509_V_OK means the handshake succeeds). */
void handshake(const char *label, SSL_CTX *client, const char *leaf, long want);
#define HS(ctx, leaf, want) handshake(#ctx, (ctx), (leaf), (want))

/* Mutual TLS: the server presents `leaf`, requires a client certificate and
 * verifies it with fixture bundle `client_ca`. want_peer is the common name
 * the server must have seen, or NULL when the server must refuse. */
void mtls_handshake(const char *label, SSL_CTX *client, const char *leaf, const char *client_ca,
                    const char *want_peer);

/* Handshakes against leaf<X> for each letter X of `trusted` (expecting
 * success) and of `untrusted` (expecting "unable to get local issuer"). */
void check_trust(const char *label, SSL_CTX *client, const char *trusted, const char *untrusted);
#define TRUST(ctx, trusted, untrusted) check_trust(#ctx, (ctx), (trusted), (untrusted))

/* Verify results the scenarios expect, by their short names. */
#define V_OK        X509_V_OK
#define V_NO_ISSUER X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
#define V_NO_CRL    X509_V_ERR_UNABLE_TO_GET_CRL
#define V_REVOKED   X509_V_ERR_CERT_REVOKED
#define V_REJECTED  X509_V_ERR_CERT_REJECTED

/* ---------------------------------------------------------------- files */
void fixtures_init(const char *fixture_dir, const char *scratch_root);
/* Starts a scenario's own empty scratch directory. */
void scratch_begin(const char *scenario);
/* Absolute path of a fixture / of a file in the scenario's scratch dir.
 * Returned strings live in a small per-thread ring: use them right away. */
const char *fx(const char *name);
const char *scratch(const char *name);

/* Writes path from the concatenation of fixture files (NULL-terminated),
 * preceded by `pad` bytes of comment text, which PEM readers skip.
 * write_bundle rewrites the file in place (same inode); replace_bundle writes
 * a temp file and renames it over path, as package managers do. */
void write_bundle(const char *path, size_t pad, ...) __attribute__((sentinel));
void replace_bundle(const char *path, size_t pad, ...) __attribute__((sentinel));
/* Size write_bundle would produce for the same arguments. */
size_t bundle_size(size_t pad, ...) __attribute__((sentinel));

/* A fixture's first certificate, CRL or private key, read with the PEM
 * readers (not a CA load); NULL, and a broken expectation, if unreadable. */
X509 *fixture_cert(const char *name);
X509_CRL *fixture_crl(const char *name);
EVP_PKEY *fixture_key(const char *name);

/* Sets SSL_CERT_FILE / SSL_CERT_DIR to a fixture (NULL unsets), and says so. */
void env_cert_file(const char *fixture);
void env_cert_dir(const char *fixture);
void env_cert_file_path(const char *label, const char *path);

#endif
