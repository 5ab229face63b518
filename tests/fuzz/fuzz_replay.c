/*
 * libFuzzer target, run with the shim preloaded: the cached replay of a
 * bundle must be indistinguishable from OpenSSL's own loader.
 *
 * Each input is written to a file (a ring of a few paths, so some inputs
 * land on a fresh path and others rewrite one the shim has cached, which it
 * must notice).  Then, for every file route:
 *   oracle   the real OpenSSL function, taken from libcrypto itself with
 *            dlopen("libcrypto.so.3", RTLD_NOLOAD) + dlsym(handle, ...), which
 *            bypasses the preloaded hook;
 *   subject  the ordinary symbol (the shim's hook), called twice on fresh
 *            stores: the first call fills the cache (or passes through), the
 *            second is served from it.
 * Return values, the error queue (lib:reason, drained after every call) and
 * the store contents (DER with aux trust data of every certificate and CRL,
 * in store order, read under X509_STORE_lock) must be equal, or the target
 * aborts with both sides printed.
 *
 * The real X509_LOOKUP_ctrl cannot serve as the oracle of
 * X509_LOOKUP_load_file: it reaches X509_load_cert_crl_file_ex through the
 * PLT, that is through the hook.  Its oracle is therefore what by_file_ctrl_ex
 * (crypto/x509/by_file.c) does with X509_L_FILE_LOAD: the real loader for the
 * type, and 1 if that returned non-zero.  Likewise the real
 * X509_load_cert_crl_file_ex hands non-PEM types to X509_load_cert_file_ex
 * through the PLT, so the ASN1 oracle calls the real X509_load_cert_file_ex.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#define RING     8
#define TEXT_MAX 65536

typedef int loader_fn(X509_LOOKUP *lu, const char *file, int type, OSSL_LIB_CTX *libctx,
                      const char *propq);

static loader_fn *real_cert_crl_file_ex, *real_cert_file_ex;
static char g_dir[64];
static unsigned g_runs;

static void remove_dir(void)
{
    char path[96];
    int i;

    for (i = 0; i < RING; i++) {
        snprintf(path, sizeof(path), "%s/in%d", g_dir, i);
        unlink(path);
    }
    rmdir(g_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    void *crypto = dlopen("libcrypto.so.3", RTLD_NOLOAD | RTLD_LAZY);

    (void)argc, (void)argv;
    if (!crypto) {
        fprintf(stderr, "fuzz_replay: libcrypto.so.3 is not loaded\n");
        abort();
    }
    real_cert_crl_file_ex = (loader_fn *)dlsym(crypto, "X509_load_cert_crl_file_ex");
    real_cert_file_ex = (loader_fn *)dlsym(crypto, "X509_load_cert_file_ex");
    if (!real_cert_crl_file_ex || !real_cert_file_ex ||
        real_cert_crl_file_ex == (loader_fn *)&X509_load_cert_crl_file_ex) {
        /* The last test fails if the hook is not preloaded: nothing to compare. */
        fprintf(stderr, "fuzz_replay: run with the shim in LD_PRELOAD\n");
        abort();
    }
    snprintf(g_dir, sizeof(g_dir), "/tmp/trustcache-fuzz.XXXXXX");
    if (!mkdtemp(g_dir))
        abort();
    atexit(remove_dir);
    return 0;
}

/* ---- what a caller can observe ---------------------------------------- */

struct text {
    char s[TEXT_MAX];
    size_t n;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (t->n >= sizeof(t->s) - 1)
        return;
    va_start(ap, fmt);
    k = vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
    va_end(ap);
    t->n = k < 0 ? t->n : t->n + (size_t)k < sizeof(t->s) ? t->n + (size_t)k : sizeof(t->s) - 1;
}

static void add_hex(struct text *t, const unsigned char *p, int len)
{
    int i;

    for (i = 0; i < len; i++)
        add(t, "%02x", p[i]);
}

static void errors(struct text *t)
{
    unsigned long e;

    add(t, " errors:");
    while ((e = ERR_get_error_all(NULL, NULL, NULL, NULL, NULL)) != 0)
        add(t, " %d:%d", ERR_GET_LIB(e), ERR_GET_REASON(e));
    add(t, "\n");
}

/* Every object of the store, in store order, as DER (certificates with aux). */
static void objects(struct text *t, X509_STORE *st)
{
    STACK_OF(X509_OBJECT) * objs;
    int i;

    X509_STORE_lock(st);
    objs = X509_STORE_get0_objects(st);
    add(t, " objects: %d\n", sk_X509_OBJECT_num(objs));
    for (i = 0; i < sk_X509_OBJECT_num(objs); i++) {
        X509_OBJECT *obj = sk_X509_OBJECT_value(objs, i);
        unsigned char *der = NULL;
        int len = -1;

        if (X509_OBJECT_get_type(obj) == X509_LU_X509) {
            len = i2d_X509_AUX(X509_OBJECT_get0_X509(obj), &der);
            add(t, "  cert ");
        } else if (X509_OBJECT_get_type(obj) == X509_LU_CRL) {
            len = i2d_X509_CRL(X509_OBJECT_get0_X509_CRL(obj), &der);
            add(t, "  crl ");
        } else {
            add(t, "  type %d", (int)X509_OBJECT_get_type(obj));
        }
        add_hex(t, der, len > 0 ? len : 0);
        add(t, "\n");
        OPENSSL_free(der);
    }
    X509_STORE_unlock(st);
    /* Encoding must not leave anything behind for the next comparison. */
    ERR_clear_error();
}

/* ---- the routes ---------------------------------------------------------- */

enum route {
    R_CERT_CRL_PEM,
    R_CERT_PEM,
    R_CERT_ASN1,
    R_CERT_CRL_ASN1,
    R_LOOKUP_PEM,
    R_LOOKUP_ASN1,
    R_COUNT
};

static const char *const route_names[R_COUNT] = {
    "X509_load_cert_crl_file(PEM)",  "X509_load_cert_file(PEM)",   "X509_load_cert_file(ASN1)",
    "X509_load_cert_crl_file(ASN1)", "X509_LOOKUP_load_file(PEM)", "X509_LOOKUP_load_file(ASN1)",
};

static int route_type(enum route r)
{
    return r == R_CERT_CRL_PEM || r == R_CERT_PEM || r == R_LOOKUP_PEM ? X509_FILETYPE_PEM
                                                                       : X509_FILETYPE_ASN1;
}

/* OpenSSL's own result, without the shim (see the top of the file). */
static int oracle(enum route r, X509_LOOKUP *lu, const char *path)
{
    int type = route_type(r);

    switch (r) {
    case R_CERT_CRL_PEM:
        return real_cert_crl_file_ex(lu, path, type, NULL, NULL);
    case R_CERT_PEM:
    case R_CERT_ASN1:
    case R_CERT_CRL_ASN1:
        return real_cert_file_ex(lu, path, type, NULL, NULL);
    case R_LOOKUP_PEM:
        return real_cert_crl_file_ex(lu, path, type, NULL, NULL) != 0;
    case R_LOOKUP_ASN1:
        return real_cert_file_ex(lu, path, type, NULL, NULL) != 0;
    case R_COUNT:
        break;
    }
    abort();
}

/* Through the hook: the _ex form on the first call, the plain one on the second. */
static int subject(enum route r, X509_LOOKUP *lu, const char *path, int second)
{
    int type = route_type(r);

    switch (r) {
    case R_CERT_CRL_PEM:
    case R_CERT_CRL_ASN1:
        return second ? X509_load_cert_crl_file(lu, path, type)
                      : X509_load_cert_crl_file_ex(lu, path, type, NULL, NULL);
    case R_CERT_PEM:
    case R_CERT_ASN1:
        return second ? X509_load_cert_file(lu, path, type)
                      : X509_load_cert_file_ex(lu, path, type, NULL, NULL);
    case R_LOOKUP_PEM:
    case R_LOOKUP_ASN1:
        return second ? X509_LOOKUP_load_file(lu, path, type)
                      : X509_LOOKUP_load_file_ex(lu, path, type, NULL, NULL);
    case R_COUNT:
        break;
    }
    abort();
}

/* One load into a fresh store with a file lookup, and what it shows. */
static void observe(struct text *t, enum route r, const char *path, int which)
{
    X509_STORE *st = X509_STORE_new();
    X509_LOOKUP *lu = st ? X509_STORE_add_lookup(st, X509_LOOKUP_file()) : NULL;
    int rc;

    if (!lu)
        abort();
    ERR_clear_error();
    rc = which < 0 ? oracle(r, lu, path) : subject(r, lu, path, which);
    add(t, "%s = %d\n", route_names[r], rc);
    errors(t);
    objects(t, st);
    X509_STORE_free(st);
}

static void write_input(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    size_t off = 0;

    if (fd < 0)
        abort();
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0)
            abort();
        off += (size_t)w;
    }
    close(fd);
}

static struct text g_want, g_got;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[96];
    int r, pass;

    snprintf(path, sizeof(path), "%s/in%u", g_dir, g_runs++ % RING);
    write_input(path, data, size);
    for (r = 0; r < R_COUNT; r++) {
        g_want.n = 0;
        observe(&g_want, (enum route)r, path, -1);
        for (pass = 0; pass < 2; pass++) {
            g_got.n = 0;
            observe(&g_got, (enum route)r, path, pass);
            if (g_got.n != g_want.n || memcmp(g_got.s, g_want.s, g_want.n) != 0) {
                fprintf(stderr,
                        "fuzz_replay: %s differs from OpenSSL on the %s call\n"
                        "--- OpenSSL:\n%.*s--- with the shim:\n%.*s",
                        route_names[r], pass ? "second (cached)" : "first", (int)g_want.n, g_want.s,
                        (int)g_got.n, g_got.s);
                abort();
            }
        }
    }
    return 0;
}
