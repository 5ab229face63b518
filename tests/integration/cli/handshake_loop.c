/*
 * A client that builds a new context for every connection, the pattern the
 * cache exists for:
 *
 *   handshake_loop PORT N dns|ip
 *
 * N times: SSL_CTX_new, SSL_CTX_set_default_verify_paths (the caller points
 * SSL_CERT_FILE at its CA), connect to 127.0.0.1:PORT, name the peer to
 * verify (dns: "localhost", ip: "127.0.0.1"; with 4.0's SSL_set1_dnsname /
 * SSL_set1_ipaddr when the headers have them, else SSL_set1_host /
 * X509_VERIFY_PARAM_set1_ip_asc; no SNI, so the per-host stats learn the
 * host from that call alone), handshake, and free everything.
 *
 * Prints one line per connection, "N: ok" or "N: verify=<code> <reason>", so
 * runs with and without the shim can be compared line by line; exits 0 only
 * if every handshake verified.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int connect_local(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int name_peer(SSL *ssl, int by_ip)
{
#if OPENSSL_VERSION_MAJOR >= 4
    return by_ip ? SSL_set1_ipaddr(ssl, "127.0.0.1") : SSL_set1_dnsname(ssl, "localhost");
#else
    return by_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1")
                 : SSL_set1_host(ssl, "localhost");
#endif
}

/* One connection; returns 1 if it verified. */
static int one(int i, int port, int by_ip)
{
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = NULL;
    int fd = -1, ok = 0;
    long v;

    if (ctx == NULL || SSL_CTX_set_default_verify_paths(ctx) != 1)
        goto out;
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if ((ssl = SSL_new(ctx)) == NULL || name_peer(ssl, by_ip) != 1)
        goto out;
    if ((fd = connect_local(port)) < 0 || SSL_set_fd(ssl, fd) != 1)
        goto out;
    ok = SSL_connect(ssl) == 1;
    v = SSL_get_verify_result(ssl);
    if (ok && v == X509_V_OK)
        printf("%d: ok\n", i);
    else
        printf("%d: verify=%ld %s\n", i, v, X509_verify_cert_error_string(v));
    ok = ok && v == X509_V_OK;
    if (ok)
        SSL_shutdown(ssl);
out:
    if (ctx == NULL || ssl == NULL || fd < 0) {
        printf("%d: setup failed\n", i);
        ERR_print_errors_fp(stderr);
    }
    SSL_free(ssl);
    if (fd >= 0)
        close(fd);
    SSL_CTX_free(ctx);
    return ok;
}

int main(int argc, char **argv)
{
    int port, n, by_ip, i, good = 0;

    if (argc != 4 || (strcmp(argv[3], "dns") != 0 && strcmp(argv[3], "ip") != 0)) {
        fprintf(stderr, "usage: %s PORT N dns|ip\n", argv[0]);
        return 2;
    }
    port = atoi(argv[1]);
    n = atoi(argv[2]);
    by_ip = strcmp(argv[3], "ip") == 0;
    for (i = 0; i < n; i++)
        good += one(i, port, by_ip);
    return good == n ? 0 : 1;
}
