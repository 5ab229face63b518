/*
 * Test kit shared by the hardening programs: TLS handshakes over a BIO pair
 * against an in-process server, and store inspection.  It is compiled into
 * each program or module that uses it (never a shared library of its own), so
 * every OpenSSL call it makes comes from the object under test, and binds to
 * the OpenSSL copy that object was linked against.
 */
#ifndef TK_H
#define TK_H

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

/* Handshake outcomes (tk_handshake's return value). */
#define TK_HS_OK     1    /* both sides finished */
#define TK_HS_FAILED 0    /* one side failed: see the verify result */
#define TK_HS_SETUP  (-1) /* could not even start: objects missing */

/* "dir/name" in a static per-thread buffer. */
const char *tk_path(const char *dir, const char *name);

/* A client context that verifies its peer, as every real client does. */
SSL_CTX *tk_client_ctx(void);

/* A server context presenting dir/LEAF.pem with dir/LEAF.key; NULL on error. */
SSL_CTX *tk_server_ctx(const char *dir, const char *leaf);

/* One handshake; *verify gets the client's verify result. */
int tk_handshake(SSL_CTX *client, SSL_CTX *server, long *verify);

/* Handshakes and returns 1 if the outcome is `want` (X509_V_OK = success). */
int tk_expect(SSL_CTX *client, SSL_CTX *server, long want);

/* The certificates in a store, counted under the store lock. */
int tk_store_certs(X509_STORE *st);

/* 1 if the store holds a certificate whose subject CN is `cn`. */
int tk_store_has_cn(X509_STORE *st, const char *cn);

/* Reads one PEM certificate; NULL on error. */
X509 *tk_read_cert(const char *path);

/* The file name (no directory) of the object that defines `addr`. */
const char *tk_object_of(const void *addr);

#endif
