/*
 * A small TLS client for the secure-execution test, run setuid root by an
 * unprivileged user.  It trusts what OpenSSL's default paths give it (two
 * contexts), then reports, one "key=value" per line:
 *
 *   secure    getauxval(AT_SECURE): 1 when run setuid
 *   shim      loaded / absent: does SSL_CTX_new resolve into a trustcache object
 *   certs     certificates in the first context's store
 *   attacker  1 if the store holds the attacker's root ("Parity Root E")
 *   shared    1 if both stores hold the very same certificate objects, which
 *             only the shim's cache produces (OpenSSL parses per context)
 *   verify    the client's verify result against a server whose certificate
 *             the attacker's root signed (0 = trusted, 20 = not trusted)
 *
 *   client FIXTURES
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include "tk.h"

/* The first certificate object of a store, read under its lock. */
static const void *first_cert(X509_STORE *st)
{
    STACK_OF(X509_OBJECT) * objs;
    const void *x = NULL;
    int i;

    if (!X509_STORE_lock(st))
        return NULL;
    objs = X509_STORE_get0_objects(st);
    for (i = 0; i < sk_X509_OBJECT_num(objs) && !x; i++)
        x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
    X509_STORE_unlock(st);
    return x;
}

int main(int argc, char **argv)
{
    SSL_CTX *c1, *c2, *server;
    void *sym;
    long verify;
    int ok1, ok2;

    if (argc != 2) {
        fprintf(stderr, "usage: client FIXTURES\n");
        return 2;
    }
    sym = dlsym(RTLD_DEFAULT, "SSL_CTX_new");
    printf("secure=%lu\n", getauxval(AT_SECURE));
    printf("shim=%s\n", sym && strstr(tk_object_of(sym), "trustcache") ? "loaded" : "absent");
    c1 = tk_client_ctx();
    c2 = tk_client_ctx();
    ok1 = SSL_CTX_set_default_verify_paths(c1);
    ok2 = SSL_CTX_set_default_verify_paths(c2);
    printf("default_paths=%d,%d\n", ok1, ok2);
    printf("certs=%d\n", tk_store_certs(SSL_CTX_get_cert_store(c1)));
    printf("attacker=%d\n", tk_store_has_cn(SSL_CTX_get_cert_store(c1), "Parity Root E"));
    printf("shared=%d\n",
           first_cert(SSL_CTX_get_cert_store(c1)) != NULL &&
               first_cert(SSL_CTX_get_cert_store(c1)) == first_cert(SSL_CTX_get_cert_store(c2)));
    server = tk_server_ctx(argv[1], "leafE");
    tk_handshake(c1, server, &verify);
    printf("verify=%ld\n", server ? verify : -1L);
    SSL_CTX_free(c1);
    SSL_CTX_free(c2);
    SSL_CTX_free(server);
    return 0;
}
