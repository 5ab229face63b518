/*
 * Fault injection for the test build ($(BUILD)/fault/libtrustcache.so, see
 * fault.h).  The whole file is empty unless TC_FAULT_INJECTION is defined,
 * so the default build holds none of it.
 *
 * Failure points, counted in the order a process reaches them:
 *  - every malloc/calloc/realloc/strdup/stat/fstat/open/read in shim code
 *    (the fault.h macros);
 *  - every call the shim makes on its own behalf to an OpenSSL function that
 *    can fail for lack of memory (the table slots wrapped below).  A slot is
 *    also what a hook forwards the application's own call to; those forwards
 *    are OpenSSL's business, not the shim's, and are never failed: a call
 *    whose return address lies inside an exported hook, or outside the shim
 *    (a hook's tail call), is passed straight through.
 *  - X509_LOOKUP_ctrl(_ex) counts only on stores the shim created itself
 *    (scratch, template, private rebuild).  On a caller's store the shim
 *    makes the very call the real X509_STORE_set_default_paths makes there,
 *    which ignores its result: a failure there is OpenSSL's, not the shim's.
 *
 * A failed OpenSSL call returns what the real one returns when an allocation
 * fails (0, NULL or -1) and leaves the same kind of error on the thread's
 * queue (ERR_R_MALLOC_FAILURE), through the copy's own ERR_new /
 * ERR_set_debug / ERR_set_error.  A failed system call sets errno.
 *
 * Environment (read once, by this file only):
 *   TC_FAULT_AT=N           the Nth point fails (0 or unset: none does)
 *   TC_FAULT_COUNT_FILE=F   at exit, append "PID POINTS" (every process,
 *                           fork children too), so a driver knows the range
 *   TC_FAULT_REPORT=F       append the failing point's description and its
 *                           backtrace (backtrace_symbols_fd format)
 *   TC_FAULT_TRACE=F        append every point's description (one a line)
 *   TC_FAULT_BACKTRACE=1    also print the failing point and a backtrace()
 *                           to stderr
 * OpenSSL call sites are named by their return address as
 * "libtrustcache.so+0xOFFSET", which addr2line turns into a line of source.
 */
#ifdef TC_FAULT_INJECTION

/* The counting wrappers call the real functions: no macros in this file. */
#undef malloc
#undef calloc
#undef realloc
#undef strdup
#undef stat
#undef fstat
#undef open
#undef read

#include "base/fault.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "ossl/ossl.h"

#define TC_FAULT_COPIES 4
#define TC_FAULT_STORES 256

/* ---- configuration and the counter ------------------------------------ */

static unsigned long g_at;     /* the point that fails; 0: none */
static unsigned long g_points; /* atomic: points reached so far */
static int g_report_fd = -1, g_trace_fd = -1, g_backtrace;
static const char *g_count_file;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static int open_append(const char *path)
{
    return path && *path ? open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644) : -1;
}

static void configure(void)
{
    const char *at = getenv("TC_FAULT_AT"), *bt = getenv("TC_FAULT_BACKTRACE");

    g_at = at ? strtoul(at, NULL, 10) : 0;
    g_report_fd = open_append(getenv("TC_FAULT_REPORT"));
    g_trace_fd = open_append(getenv("TC_FAULT_TRACE"));
    g_count_file = getenv("TC_FAULT_COUNT_FILE");
    g_backtrace = bt && *bt == '1';
    /* backtrace() loads libgcc_s on first use: not at the failing point. */
    if (g_report_fd >= 0 || g_backtrace) {
        void *frame;
        backtrace(&frame, 1);
    }
}

/* Before the shim's own constructor, so the very first point is counted. */
__attribute__((constructor(101))) static void fault_start(void)
{
    pthread_once(&g_once, configure);
}

/* After the shim's destructor (the stats dump), whose points count too. */
__attribute__((destructor(101))) static void fault_finish(void)
{
    char line[64];
    int fd = open_append(g_count_file), n;

    if (fd < 0)
        return;
    n = snprintf(line, sizeof(line), "%ld %lu\n", (long)getpid(),
                 __atomic_load_n(&g_points, __ATOMIC_RELAXED));
    if (n > 0 && write(fd, line, (size_t)n) < 0)
        n = 0;
    close(fd);
}

static void put(int fd, const char *text)
{
    size_t len = strlen(text);

    if (fd >= 0 && write(fd, text, len) < 0)
        len = 0;
}

/*
 * Counts one point described by `what`; returns 1 if it is the one that must
 * fail.  Description: "N kind site\n".
 */
static int fail_now(const char *kind, const char *where)
{
    void *frames[64];
    unsigned long n;
    char line[512];
    int depth;

    pthread_once(&g_once, configure);
    n = __atomic_add_fetch(&g_points, 1, __ATOMIC_RELAXED);
    if (g_trace_fd < 0 && n != g_at)
        return 0;
    snprintf(line, sizeof(line), "%lu %s %s\n", n, kind, where);
    put(g_trace_fd, line);
    if (n != g_at)
        return 0;
    depth = backtrace(frames, 64);
    put(g_report_fd, line);
    if (g_report_fd >= 0)
        backtrace_symbols_fd(frames, depth, g_report_fd);
    if (g_backtrace) {
        put(STDERR_FILENO, "trustcache-fault: failing point ");
        put(STDERR_FILENO, line);
        backtrace_symbols_fd(frames, depth, STDERR_FILENO);
    }
    return 1;
}

/* "func (file:line)" for a source site of the shim. */
static int fail_site(const char *kind, const char *site, const char *func)
{
    char where[256];
    const char *file = strrchr(site, '/');

    snprintf(where, sizeof(where), "%s (%s)", func, file ? file + 1 : site);
    return fail_now(kind, where);
}

/* ---- allocation and file-system points --------------------------------- */

void *tc_fault_malloc(size_t n, const char *site, const char *func)
{
    if (fail_site("malloc", site, func)) {
        errno = ENOMEM;
        return NULL;
    }
    return malloc(n);
}

void *tc_fault_calloc(size_t n, size_t size, const char *site, const char *func)
{
    if (fail_site("calloc", site, func)) {
        errno = ENOMEM;
        return NULL;
    }
    return calloc(n, size);
}

void *tc_fault_realloc(void *p, size_t n, const char *site, const char *func)
{
    if (fail_site("realloc", site, func)) {
        errno = ENOMEM;
        return NULL; /* `p` stays allocated, as with the real realloc */
    }
    return realloc(p, n);
}

char *tc_fault_strdup(const char *s, const char *site, const char *func)
{
    if (fail_site("strdup", site, func)) {
        errno = ENOMEM;
        return NULL;
    }
    return strdup(s);
}

int tc_fault_stat(const char *path, struct stat *st, const char *site, const char *func)
{
    if (fail_site("stat", site, func)) {
        errno = ENOMEM;
        return -1;
    }
    return stat(path, st);
}

int tc_fault_fstat(int fd, struct stat *st, const char *site, const char *func)
{
    if (fail_site("fstat", site, func)) {
        errno = ENOMEM;
        return -1;
    }
    return fstat(fd, st);
}

int tc_fault_open(const char *site, const char *func, const char *path, int flags, ...)
{
    mode_t mode = 0;
    va_list ap;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (fail_site("open", site, func)) {
        errno = EMFILE;
        return -1;
    }
    return open(path, flags, mode);
}

ssize_t tc_fault_read(int fd, void *buf, size_t n, const char *site, const char *func)
{
    if (fail_site("read", site, func)) {
        errno = EIO;
        return -1;
    }
    return read(fd, buf, n);
}

/* ---- OpenSSL calls ------------------------------------------------------ */

/* Every wrapped table slot: X(name, library its allocation errors name). */
#define TC_FAULT_FNS(X)                                                                            \
    X(X509_STORE_new, ERR_LIB_X509)                                                                \
    X(X509_STORE_free, 0)                                                                          \
    X(X509_STORE_add_lookup, ERR_LIB_X509)                                                         \
    X(X509_STORE_add_cert, ERR_LIB_X509)                                                           \
    X(X509_STORE_add_crl, ERR_LIB_X509)                                                            \
    X(X509_STORE_set_ex_data, ERR_LIB_CRYPTO)                                                      \
    X(SSL_CTX_set_ex_data, ERR_LIB_CRYPTO)                                                         \
    X(CRYPTO_get_ex_new_index, ERR_LIB_CRYPTO)                                                     \
    X(EVP_Digest, ERR_LIB_EVP)                                                                     \
    X(X509_up_ref, 0)                                                                              \
    X(X509_CRL_up_ref, 0)                                                                          \
    X(X509_LOOKUP_new, ERR_LIB_X509)                                                               \
    X(X509_LOOKUP_ctrl, ERR_LIB_X509)                                                              \
    X(X509_LOOKUP_ctrl_ex, ERR_LIB_X509)                                                           \
    X(X509_load_cert_crl_file_ex, ERR_LIB_X509)                                                    \
    X(X509_load_cert_file_ex, ERR_LIB_X509)

/* The real functions of one OpenSSL copy, keyed like its shim table. */
struct fault_copy {
    uintptr_t key;
#define TC_FAULT_FIELD(n, lib) __typeof__(n) *n;
    TC_FAULT_FNS(TC_FAULT_FIELD)
#undef TC_FAULT_FIELD
    __typeof__(ERR_new) *ERR_new;
    __typeof__(ERR_set_debug) *ERR_set_debug;
    __typeof__(ERR_set_error) *ERR_set_error;
    __typeof__(X509_LOOKUP_get_store) *X509_LOOKUP_get_store;
};

static struct fault_copy g_copies[TC_FAULT_COPIES];
static int g_ncopies;
static pthread_mutex_t g_copies_lock = PTHREAD_MUTEX_INITIALIZER;

/* Stores the shim created (X509_STORE_new through its table), until freed. */
static X509_STORE *g_stores[TC_FAULT_STORES];
static unsigned g_next_store;
static pthread_mutex_t g_stores_lock = PTHREAD_MUTEX_INITIALIZER;

static void *shim_base(void)
{
    static void *base;
    Dl_info info;

    if (!base && dladdr((void *)&shim_base, &info))
        base = info.dli_fbase;
    return base;
}

/*
 * A call the shim makes on its own behalf: the return address lies in the
 * shim but in no exported symbol.  Only the hooks are exported, so a hook
 * forwarding a call is excluded, and dladdr only names a symbol whose extent
 * contains the address.
 */
static int own_call(const void *ra)
{
    Dl_info info;

    if (!dladdr(ra, &info) || info.dli_fbase != shim_base())
        return 0;
    return info.dli_sname == NULL;
}

static int fail_call(const char *fn, const void *ra)
{
    char where[160];

    snprintf(where, sizeof(where), "called from libtrustcache.so+0x%lx",
             (unsigned long)((uintptr_t)ra - (uintptr_t)shim_base()));
    return fail_now(fn, where);
}

/* What OpenSSL leaves on the queue when an allocation fails inside `fn`. */
static void push_malloc_error(const struct fault_copy *c, int lib, const char *fn)
{
    if (!lib || !c->ERR_new || !c->ERR_set_debug || !c->ERR_set_error)
        return;
    c->ERR_new();
    c->ERR_set_debug("fault-injection", 0, fn);
    c->ERR_set_error(lib, ERR_R_MALLOC_FAILURE, NULL);
}

/* Counts an own call of `fn`; 1 (error pushed) if it must fail. */
static int inject(const struct fault_copy *c, const char *fn, int lib, const void *ra)
{
    if (!own_call(ra) || !fail_call(fn, ra))
        return 0;
    push_malloc_error(c, lib, fn);
    return 1;
}

static void store_remember(X509_STORE *s)
{
    pthread_mutex_lock(&g_stores_lock);
    g_stores[g_next_store++ % TC_FAULT_STORES] = s;
    pthread_mutex_unlock(&g_stores_lock);
}

static void store_forget(X509_STORE *s)
{
    int i;

    pthread_mutex_lock(&g_stores_lock);
    for (i = 0; i < TC_FAULT_STORES; i++)
        if (g_stores[i] == s)
            g_stores[i] = NULL;
    pthread_mutex_unlock(&g_stores_lock);
}

static int store_is_shims(X509_STORE *s)
{
    int i, found = 0;

    pthread_mutex_lock(&g_stores_lock);
    for (i = 0; i < TC_FAULT_STORES && !found; i++)
        found = s && g_stores[i] == s;
    pthread_mutex_unlock(&g_stores_lock);
    return found;
}

/* ---- the wrappers: one core each, one trampoline per copy -------------- */

static X509_STORE *core_X509_STORE_new(const struct fault_copy *c, const void *ra)
{
    X509_STORE *s;

    if (inject(c, "X509_STORE_new", ERR_LIB_X509, ra))
        return NULL;
    s = c->X509_STORE_new();
    if (s && own_call(ra))
        store_remember(s);
    return s;
}

/* Not a failure point (void); only ends the store's membership. */
static void core_X509_STORE_free(const struct fault_copy *c, X509_STORE *s)
{
    store_forget(s);
    c->X509_STORE_free(s);
}

static X509_LOOKUP *core_X509_STORE_add_lookup(const struct fault_copy *c, const void *ra,
                                               X509_STORE *s, X509_LOOKUP_METHOD *m)
{
    if (inject(c, "X509_STORE_add_lookup", ERR_LIB_X509, ra))
        return NULL;
    return c->X509_STORE_add_lookup(s, m);
}

static int core_X509_STORE_add_cert(const struct fault_copy *c, const void *ra, X509_STORE *s,
                                    X509 *x)
{
    if (inject(c, "X509_STORE_add_cert", ERR_LIB_X509, ra))
        return 0;
    return c->X509_STORE_add_cert(s, x);
}

static int core_X509_STORE_add_crl(const struct fault_copy *c, const void *ra, X509_STORE *s,
                                   X509_CRL *x)
{
    if (inject(c, "X509_STORE_add_crl", ERR_LIB_X509, ra))
        return 0;
    return c->X509_STORE_add_crl(s, x);
}

static int core_X509_STORE_set_ex_data(const struct fault_copy *c, const void *ra, X509_STORE *s,
                                       int idx, void *data)
{
    if (inject(c, "X509_STORE_set_ex_data", ERR_LIB_CRYPTO, ra))
        return 0;
    return c->X509_STORE_set_ex_data(s, idx, data);
}

static int core_SSL_CTX_set_ex_data(const struct fault_copy *c, const void *ra, SSL_CTX *ctx,
                                    int idx, void *data)
{
    if (inject(c, "SSL_CTX_set_ex_data", ERR_LIB_CRYPTO, ra))
        return 0;
    return c->SSL_CTX_set_ex_data(ctx, idx, data);
}

static int core_CRYPTO_get_ex_new_index(const struct fault_copy *c, const void *ra, int ci,
                                        long argl, void *argp, CRYPTO_EX_new *nf, CRYPTO_EX_dup *df,
                                        CRYPTO_EX_free *ff)
{
    if (inject(c, "CRYPTO_get_ex_new_index", ERR_LIB_CRYPTO, ra))
        return -1;
    return c->CRYPTO_get_ex_new_index(ci, argl, argp, nf, df, ff);
}

static int core_EVP_Digest(const struct fault_copy *c, const void *ra, const void *data,
                           size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type,
                           ENGINE *impl)
{
    if (inject(c, "EVP_Digest", ERR_LIB_EVP, ra))
        return 0;
    return c->EVP_Digest(data, count, md, size, type, impl);
}

/* Reference counting takes no allocation, but its int result says it can fail. */
static int core_X509_up_ref(const struct fault_copy *c, const void *ra, X509 *x)
{
    if (inject(c, "X509_up_ref", 0, ra))
        return 0;
    return c->X509_up_ref(x);
}

static int core_X509_CRL_up_ref(const struct fault_copy *c, const void *ra, X509_CRL *x)
{
    if (inject(c, "X509_CRL_up_ref", 0, ra))
        return 0;
    return c->X509_CRL_up_ref(x);
}

static X509_LOOKUP *core_X509_LOOKUP_new(const struct fault_copy *c, const void *ra,
                                         X509_LOOKUP_METHOD *m)
{
    if (inject(c, "X509_LOOKUP_new", ERR_LIB_X509, ra))
        return NULL;
    return c->X509_LOOKUP_new(m);
}

/* Only on the shim's own stores (see the top of the file). */
static int ctrl_counts(const struct fault_copy *c, X509_LOOKUP *lu, const void *ra)
{
    return c->X509_LOOKUP_get_store && store_is_shims(c->X509_LOOKUP_get_store(lu)) &&
           inject(c, "X509_LOOKUP_ctrl", ERR_LIB_X509, ra);
}

static int core_X509_LOOKUP_ctrl(const struct fault_copy *c, const void *ra, X509_LOOKUP *lu,
                                 int cmd, const char *argc, long argl, char **ret)
{
    if (own_call(ra) && ctrl_counts(c, lu, ra))
        return 0;
    return c->X509_LOOKUP_ctrl(lu, cmd, argc, argl, ret);
}

static int core_X509_LOOKUP_ctrl_ex(const struct fault_copy *c, const void *ra, X509_LOOKUP *lu,
                                    int cmd, const char *argc, long argl, char **ret,
                                    OSSL_LIB_CTX *libctx, const char *propq)
{
    if (own_call(ra) && ctrl_counts(c, lu, ra))
        return 0;
    return c->X509_LOOKUP_ctrl_ex(lu, cmd, argc, argl, ret, libctx, propq);
}

static int core_X509_load_cert_crl_file_ex(const struct fault_copy *c, const void *ra,
                                           X509_LOOKUP *lu, const char *file, int type,
                                           OSSL_LIB_CTX *libctx, const char *propq)
{
    if (inject(c, "X509_load_cert_crl_file_ex", ERR_LIB_X509, ra))
        return 0;
    return c->X509_load_cert_crl_file_ex(lu, file, type, libctx, propq);
}

static int core_X509_load_cert_file_ex(const struct fault_copy *c, const void *ra, X509_LOOKUP *lu,
                                       const char *file, int type, OSSL_LIB_CTX *libctx,
                                       const char *propq)
{
    if (inject(c, "X509_load_cert_file_ex", ERR_LIB_X509, ra))
        return 0;
    return c->X509_load_cert_file_ex(lu, file, type, libctx, propq);
}

/*
 * One trampoline per copy and function, with the exact OpenSSL prototype (a
 * mismatch would not compile: the slot has the header's type).  Each passes
 * its copy and its own return address to the core.
 */
#define TC_UNPACK(...) __VA_ARGS__
#define TC_TRAMPOLINE(k, ret, name, params, args)                                                  \
    static ret name##_t##k params                                                                  \
    {                                                                                              \
        return core_##name(&g_copies[k], __builtin_return_address(0), TC_UNPACK args);             \
    }
#define TC_TRAMPOLINES(ret, name, params, args)                                                    \
    TC_TRAMPOLINE(0, ret, name, params, args)                                                      \
    TC_TRAMPOLINE(1, ret, name, params, args)                                                      \
    TC_TRAMPOLINE(2, ret, name, params, args)                                                      \
    TC_TRAMPOLINE(3, ret, name, params, args)                                                      \
    static __typeof__(name) *const name##_tramp[TC_FAULT_COPIES] = {name##_t0, name##_t1,          \
                                                                    name##_t2, name##_t3};

/* The two without arguments or result, by hand. */
#define TC_TRAMPOLINE_NEW(k)                                                                       \
    static X509_STORE *X509_STORE_new_t##k(void)                                                   \
    {                                                                                              \
        return core_X509_STORE_new(&g_copies[k], __builtin_return_address(0));                     \
    }
#define TC_TRAMPOLINE_FREE(k)                                                                      \
    static void X509_STORE_free_t##k(X509_STORE *s) { core_X509_STORE_free(&g_copies[k], s); }
TC_TRAMPOLINE_NEW(0)
TC_TRAMPOLINE_NEW(1)
TC_TRAMPOLINE_NEW(2)
TC_TRAMPOLINE_NEW(3)
TC_TRAMPOLINE_FREE(0)
TC_TRAMPOLINE_FREE(1)
TC_TRAMPOLINE_FREE(2)
TC_TRAMPOLINE_FREE(3)
static __typeof__(X509_STORE_new) *const X509_STORE_new_tramp[TC_FAULT_COPIES] = {
    X509_STORE_new_t0, X509_STORE_new_t1, X509_STORE_new_t2, X509_STORE_new_t3};
static __typeof__(X509_STORE_free) *const X509_STORE_free_tramp[TC_FAULT_COPIES] = {
    X509_STORE_free_t0, X509_STORE_free_t1, X509_STORE_free_t2, X509_STORE_free_t3};

TC_TRAMPOLINES(X509_LOOKUP *, X509_STORE_add_lookup, (X509_STORE * s, X509_LOOKUP_METHOD *m),
               (s, m))
TC_TRAMPOLINES(int, X509_STORE_add_cert, (X509_STORE * s, X509 *x), (s, x))
TC_TRAMPOLINES(int, X509_STORE_add_crl, (X509_STORE * s, X509_CRL *x), (s, x))
TC_TRAMPOLINES(int, X509_STORE_set_ex_data, (X509_STORE * s, int idx, void *d), (s, idx, d))
TC_TRAMPOLINES(int, SSL_CTX_set_ex_data, (SSL_CTX * ctx, int idx, void *d), (ctx, idx, d))
TC_TRAMPOLINES(int, CRYPTO_get_ex_new_index,
               (int ci, long argl, void *argp, CRYPTO_EX_new *nf, CRYPTO_EX_dup *df,
                CRYPTO_EX_free *ff),
               (ci, argl, argp, nf, df, ff))
TC_TRAMPOLINES(int, EVP_Digest,
               (const void *data, size_t count, unsigned char *md, unsigned int *size,
                const EVP_MD *type, ENGINE *impl),
               (data, count, md, size, type, impl))
TC_TRAMPOLINES(int, X509_up_ref, (X509 * x), (x))
TC_TRAMPOLINES(int, X509_CRL_up_ref, (X509_CRL * x), (x))
TC_TRAMPOLINES(X509_LOOKUP *, X509_LOOKUP_new, (X509_LOOKUP_METHOD * m), (m))
TC_TRAMPOLINES(int, X509_LOOKUP_ctrl,
               (X509_LOOKUP * lu, int cmd, const char *argc, long argl, char **ret),
               (lu, cmd, argc, argl, ret))
TC_TRAMPOLINES(int, X509_LOOKUP_ctrl_ex,
               (X509_LOOKUP * lu, int cmd, const char *argc, long argl, char **ret,
                OSSL_LIB_CTX *libctx, const char *propq),
               (lu, cmd, argc, argl, ret, libctx, propq))
TC_TRAMPOLINES(int, X509_load_cert_crl_file_ex,
               (X509_LOOKUP * lu, const char *file, int type, OSSL_LIB_CTX *libctx,
                const char *propq),
               (lu, file, type, libctx, propq))
TC_TRAMPOLINES(int, X509_load_cert_file_ex,
               (X509_LOOKUP * lu, const char *file, int type, OSSL_LIB_CTX *libctx,
                const char *propq),
               (lu, file, type, libctx, propq))

/* The index of the copy `key` (assigned on first sight); -1 when full. */
static int copy_index(uintptr_t key)
{
    int k;

    for (k = 0; k < g_ncopies; k++)
        if (g_copies[k].key == key)
            return k;
    if (g_ncopies == TC_FAULT_COPIES)
        return -1;
    g_copies[g_ncopies].key = key;
    return g_ncopies++;
}

void tc_fault_wrap_table(struct tc_ossl *o)
{
    struct fault_copy *c;
    int k;

    pthread_mutex_lock(&g_copies_lock);
    k = copy_index(o->key);
    if (k < 0) {
        pthread_mutex_unlock(&g_copies_lock);
        return; /* more copies than trampolines: this one runs unwrapped */
    }
    c = &g_copies[k];
#define TC_FAULT_TAKE(n)                                                                           \
    if (!c->n && o->n)                                                                             \
        c->n = o->n;
    TC_FAULT_TAKE(ERR_new)
    TC_FAULT_TAKE(ERR_set_debug)
    TC_FAULT_TAKE(ERR_set_error)
    TC_FAULT_TAKE(X509_LOOKUP_get_store)
#undef TC_FAULT_TAKE
    /* The real function is published before any slot points at its wrapper. */
#define TC_FAULT_WRAP(n, lib)                                                                      \
    if (o->n && (!c->n || c->n == o->n)) {                                                         \
        __atomic_store_n(&c->n, o->n, __ATOMIC_RELEASE);                                           \
        o->n = n##_tramp[k];                                                                       \
    }
    TC_FAULT_FNS(TC_FAULT_WRAP)
#undef TC_FAULT_WRAP
    pthread_mutex_unlock(&g_copies_lock);
}

#endif /* TC_FAULT_INJECTION */
