/*
 * The transcript: every observable is printed here in one canonical form.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "harness.h"

static __thread FILE *sink;
static atomic_int n_unexpected;

void set_thread_sink(FILE *f) { sink = f; }

static FILE *out(void) { return sink ? sink : stdout; }

void say(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(out(), fmt, ap);
    va_end(ap);
    fputc('\n', out());
}

void emit_text(const char *text) { fputs(text, out()); }

void unexpected(const char *fmt, ...)
{
    va_list ap;

    fputs("!! unexpected: ", out());
    va_start(ap, fmt);
    vfprintf(out(), fmt, ap);
    va_end(ap);
    fputc('\n', out());
    atomic_fetch_add(&n_unexpected, 1);
}

int expectations_failed(void) { return atomic_load(&n_unexpected); }

/* lib:reason only: file, line, function and data strings carry paths and
 * build details that are not part of the contract. */
void take_errors(char *buf, size_t len)
{
    size_t used = strlen(buf);
    unsigned long e;

    while ((e = ERR_get_error_all(NULL, NULL, NULL, NULL, NULL)) != 0) {
        const char *why = ERR_reason_error_string(e);
        int n = snprintf(buf + used, len - used, " %d:%d(%s)", ERR_GET_LIB(e), ERR_GET_REASON(e),
                         why ? why : "?");

        if (n > 0 && (size_t)n < len - used)
            used += (size_t)n;
    }
}

void show_errors(void)
{
    char line[1024] = "";

    take_errors(line, sizeof(line));
    say("  errors:%s", line[0] ? line : " none");
}

long call_step(const char *expr, long rc, long want)
{
    say("%s = %ld", expr, rc);
    if (want != ANY_RC && rc != want)
        unexpected("%s returned %ld, expected %ld", expr, rc, want);
    show_errors();
    return rc;
}

static void name_of(const X509_NAME *n, char *buf, size_t len)
{
    BIO *b = BIO_new(BIO_s_mem());
    long got;
    char *data;

    /* RFC 2253 form escapes non-ASCII, so system bundles print stably. */
    X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253);
    got = BIO_get_mem_data(b, &data);
    snprintf(buf, len, "%.*s", (int)(got < 0 ? 0 : got), data);
    BIO_free(b);
}

static const char *trust_word(int t)
{
    switch (t) {
    case X509_TRUST_TRUSTED:
        return "trusted";
    case X509_TRUST_REJECTED:
        return "rejected";
    case X509_TRUST_UNTRUSTED:
        return "untrusted";
    default:
        return "?";
    }
}

static void describe_cert(X509 *x, char *buf, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    char subject[512];

    name_of(X509_get_subject_name(x), subject, sizeof(subject));
    X509_digest(x, EVP_sha256(), md, &mdlen);
    /* Trust as an SSL client checks a server: shows TRUSTED CERTIFICATE aux. */
    snprintf(buf, len, "cert %s sha256=%02x%02x%02x%02x ssl-server=%s", subject, md[0], md[1],
             md[2], md[3], trust_word(X509_check_trust(x, X509_TRUST_SSL_SERVER, 0)));
}

static void describe_crl(X509_CRL *c, char *buf, size_t len)
{
    char issuer[512];
    STACK_OF(X509_REVOKED) *rev = X509_CRL_get_REVOKED(c);

    name_of(X509_CRL_get_issuer(c), issuer, sizeof(issuer));
    snprintf(buf, len, "crl issuer=%s revoked=%d", issuer, rev ? sk_X509_REVOKED_num(rev) : 0);
}

static void free_line(char *s) { OPENSSL_free(s); }

void show_store(const char *label, X509_STORE *st, int want_certs, int want_crls)
{
    STACK_OF(OPENSSL_STRING) *lines = sk_OPENSSL_STRING_new_null();
    int certs = 0, crls = 0, i;

    /* Hash-dir lookups insert into this stack during handshakes; read it only
     * under the store lock (get1_objects, 3.3+, takes it itself and returns a
     * copy; 4.0 deprecates get0_objects), and print after unlocking. */
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get1_objects(st);
#else
    X509_STORE_lock(st);
    STACK_OF(X509_OBJECT) *objs = X509_STORE_get0_objects(st);
#endif
    for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509_OBJECT *o = sk_X509_OBJECT_value(objs, i);
        char buf[800];

        switch (X509_OBJECT_get_type(o)) {
        case X509_LU_X509:
            certs++;
            describe_cert(X509_OBJECT_get0_X509(o), buf, sizeof(buf));
            break;
        case X509_LU_CRL:
            crls++;
            describe_crl(X509_OBJECT_get0_X509_CRL(o), buf, sizeof(buf));
            break;
        default:
            snprintf(buf, sizeof(buf), "object of type %d", (int)X509_OBJECT_get_type(o));
            break;
        }
        sk_OPENSSL_STRING_push(lines, OPENSSL_strdup(buf));
    }
#if OPENSSL_VERSION_NUMBER >= 0x30300000L
    sk_X509_OBJECT_pop_free(objs, X509_OBJECT_free);
#else
    X509_STORE_unlock(st);
#endif

    say("store(%s): certs=%d crls=%d", label, certs, crls);
    for (i = 0; i < sk_OPENSSL_STRING_num(lines); i++)
        say("  [%d] %s", i, sk_OPENSSL_STRING_value(lines, i));
    sk_OPENSSL_STRING_pop_free(lines, free_line);
    if ((want_certs >= 0 && certs != want_certs) || (want_crls >= 0 && crls != want_crls))
        unexpected("store(%s) has %d certs / %d crls, expected %d / %d", label, certs, crls,
                   want_certs, want_crls);
    /* Formatting must not leave errors behind that the next step would show. */
    show_errors();
}

#ifdef PARITY_OSSL_111
/* 3.0's X509_STORE_get1_all_certs: the store's certificates in its order. */
STACK_OF(X509) * X509_STORE_get1_all_certs(X509_STORE *st)
{
    STACK_OF(X509) *all = sk_X509_new_null();
    STACK_OF(X509_OBJECT) * objs;

    if (!all)
        return NULL;
    X509_STORE_lock(st);
    objs = X509_STORE_get0_objects(st);
    for (int i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509 *x = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objs, i));
        if (x && X509_up_ref(x) && !sk_X509_push(all, x))
            X509_free(x);
    }
    X509_STORE_unlock(st);
    return all;
}
#endif

void show_all_certs(const char *label, X509_STORE *st, int want_certs)
{
    STACK_OF(X509) *all = X509_STORE_get1_all_certs(st);
    int n = all ? sk_X509_num(all) : -1, i;
    char buf[800];

    say("get1_all_certs(%s): %d", label, n);
    for (i = 0; i < n; i++) {
        describe_cert(sk_X509_value(all, i), buf, sizeof(buf));
        say("  [%d] %s", i, buf);
    }
    sk_X509_pop_free(all, X509_free);
    if (want_certs >= 0 && n != want_certs)
        unexpected("get1_all_certs(%s) has %d certs, expected %d", label, n, want_certs);
    show_errors();
}
