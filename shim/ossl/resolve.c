/*
 * Finding the real OpenSSL functions, per copy and per caller.
 *
 * 1. dlsym(RTLD_NEXT) first: it returns what the dynamic linker binds every
 *    other object to, including any later preloaded interposer, so chaining
 *    with tools such as sslkeylog keeps working.
 * 2. When RTLD_NEXT finds nothing, OpenSSL lives only in a local scope: Python,
 *    Ruby, PHP and Perl load their TLS module with RTLD_LOCAL.  The calling
 *    object is found from the return address, reopened with RTLD_NOLOAD, and
 *    the symbol is looked up in its own dependency tree.
 *
 * Every result that lands in the shim itself is rejected.  No lock is held
 * across dlsym/dlopen/dl_iterate_phdr: a hook can run inside another thread's
 * dlopen (a library constructor creating a context), and that thread holds
 * the loader lock.  Racing resolvers may build the same table twice; the
 * loser is discarded before anyone sees it.
 */
#include "base/child_locks.h"
#include "ossl/ossl.h"
#include "ossl/compat.h"
#include "base/passthrough.h"

#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TC_MAX_COPIES  8
#define TC_MAX_RANGES  64
#define TC_MAX_OBJECTS 512

static const char *const g_names[TC_FN_COUNT] = {
#define TC_HOOK(n) #n,
#define TC_CALL(n) #n,
#include "ossl/ossl_api.def"
#undef TC_HOOK
#undef TC_CALL
};

static const size_t g_offsets[TC_FN_COUNT] = {
#define TC_HOOK(n) offsetof(struct tc_ossl, n),
#define TC_CALL(n) offsetof(struct tc_ossl, n),
#include "ossl/ossl_api.def"
#undef TC_HOOK
#undef TC_CALL
};

/* The only symbols the shim needs from a copy before it can serve a load. */
static const enum tc_fn_id g_required[] = {
    TC_ID_OpenSSL_version_num,
    TC_ID_X509_STORE_new,
    TC_ID_X509_STORE_free,
    TC_ID_X509_STORE_lock,
    TC_ID_X509_STORE_unlock,
    TC_ID_X509_STORE_get0_objects,
    TC_ID_X509_STORE_add_cert,
    TC_ID_X509_STORE_add_crl,
    TC_ID_X509_STORE_add_lookup,
    TC_ID_X509_LOOKUP_file,
    TC_ID_X509_LOOKUP_get_store,
    TC_ID_X509_OBJECT_get_type,
    TC_ID_X509_OBJECT_get0_X509,
    TC_ID_X509_OBJECT_get0_X509_CRL,
    TC_ID_X509_up_ref,
    TC_ID_X509_free,
    TC_ID_X509_CRL_up_ref,
    TC_ID_X509_CRL_free,
    TC_ID_OPENSSL_sk_num,
    TC_ID_OPENSSL_sk_value,
    TC_ID_ERR_set_mark,
    TC_ID_ERR_pop_to_mark,
    TC_ID_ERR_peek_last_error,
    TC_ID_EVP_sha256,
    TC_ID_EVP_Digest,
    TC_ID_CRYPTO_get_ex_new_index,
    TC_ID_X509_STORE_get_ex_data,
    TC_ID_X509_STORE_set_ex_data,
    TC_ID_X509_get_default_cert_file,
    TC_ID_X509_get_default_cert_file_env,
    TC_ID_X509_LOOKUP_ctrl,
    TC_ID_X509_LOOKUP_hash_dir,
    TC_ID_ERR_clear_error,
    TC_ID_ERR_clear_last_mark,
};

struct range {
    uintptr_t lo, hi;
    struct tc_ossl *copy;
};

static struct tc_ossl *g_copies[TC_MAX_COPIES];
static int g_ncopies;
static pthread_mutex_t g_registry_lock = PTHREAD_MUTEX_INITIALIZER;

static struct range g_ranges[TC_MAX_RANGES];
static int g_nranges;

static struct tc_ossl *g_next; /* the RTLD_NEXT copy */
static int g_next_searched;    /* 1 once RTLD_NEXT was asked */

const char *tc_fn_name(enum tc_fn_id id) { return g_names[id]; }

static void **slot(struct tc_ossl *o, enum tc_fn_id id)
{
    return (void **)((char *)o + g_offsets[id]);
}

static void *load_slot(struct tc_ossl *o, enum tc_fn_id id)
{
    return __atomic_load_n(slot(o, id), __ATOMIC_ACQUIRE);
}

/* True if `p` points into the shim itself. */
static int is_own(const void *p)
{
    Dl_info mine, theirs;

    if (!dladdr((void *)&tc_ossl_for, &mine) || !dladdr(p, &theirs))
        return 0;
    return mine.dli_fbase == theirs.dli_fbase;
}

static void *lookup(void *handle, const char *name)
{
    void *p = dlsym(handle, name);

    if (!p) {
        dlerror(); /* leave no message of ours for the host's dlerror() */
        return NULL;
    }
    return is_own(p) ? NULL : p;
}

/* Every function in ids[0..n) found in this copy. */
static int load_all(struct tc_ossl *o, const int *ids, int n)
{
    int i;

    for (i = 0; i < n; i++)
        if (!load_slot(o, (enum tc_fn_id)ids[i]))
            return 0;
    return 1;
}

static void check_activation(struct tc_ossl *o)
{
    size_t i;

    for (i = 0; i < sizeof(g_required) / sizeof(g_required[0]); i++) {
        if (!load_slot(o, g_required[i])) {
            o->inactive_reason = TC_PT_SYMBOL_MISSING;
            return;
        }
    }
    o->version_num = o->OpenSSL_version_num();
    if (o->OpenSSL_version)
        snprintf(o->version_text, sizeof(o->version_text), "%s",
                 o->OpenSSL_version(OPENSSL_VERSION));
    if (!tc_compat_major_known(o->version_num)) {
        o->inactive_reason = TC_PT_MAJOR_UNKNOWN;
        return;
    }
    if (!load_all(o, tc_compat_is_111(o) ? tc_compat_required_111 : tc_compat_required_30,
                  tc_compat_is_111(o) ? tc_compat_n_required_111 : tc_compat_n_required_30)) {
        o->inactive_reason = TC_PT_SYMBOL_MISSING;
        return;
    }
    if (tc_compat_store_read_by_copy(o) &&
        (!load_slot(o, TC_ID_X509_STORE_get1_objects) || !load_slot(o, TC_ID_X509_OBJECT_free) ||
         !load_slot(o, TC_ID_OPENSSL_sk_pop_free))) {
        o->inactive_reason = TC_PT_SYMBOL_MISSING;
        return;
    }
    o->active = 1;
}

static int object_range(const void *addr, uintptr_t *lo, uintptr_t *hi);
static int in_shim(const void *caller);

/* A table built from one handle; NULL if the handle reaches no libcrypto. */
static struct tc_ossl *copy_build(void *handle, enum tc_resolution res)
{
    struct tc_ossl *o = calloc(1, sizeof(*o));
    Dl_info info;
    int id;

    if (!o)
        return NULL;
    for (id = 0; id < TC_FN_COUNT; id++)
        *slot(o, (enum tc_fn_id)id) = lookup(handle, g_names[id]);
    if (!o->OpenSSL_version_num || !dladdr((void *)o->OpenSSL_version_num, &info)) {
        free(o);
        return NULL;
    }
    o->key = (uintptr_t)info.dli_fbase;
    o->resolution = res;
#ifdef TC_FAULT_INJECTION
    tc_fault_wrap_table(o); /* fault-injection test build only: see fault.c */
#endif
    o->crypto_symbolic = object_range((void *)o->OpenSSL_version_num, &o->crypto_lo, &o->crypto_hi);
    if (o->SSL_CTX_new)
        object_range((void *)o->SSL_CTX_new, &o->ssl_lo, &o->ssl_hi);
    o->ctx_ex_index = -1;
    o->store_ex_index = -1;
    o->lookup_method_offset = -1;
    pthread_mutex_init(&o->init_lock, NULL);
    check_activation(o);
    return o;
}

/*
 * Registers `o`, or merges it into the table already registered for the same
 * libcrypto (a table built through libcrypto alone lacks the SSL_ functions
 * that one built through libssl has).  Returns the table to use.
 */
static struct tc_ossl *copy_register(struct tc_ossl *o)
{
    struct tc_ossl *found = NULL;
    int i, id;

    pthread_mutex_lock(&g_registry_lock);
    for (i = 0; i < g_ncopies; i++)
        if (g_copies[i]->key == o->key && g_copies[i]->resolution == o->resolution)
            found = g_copies[i];
    if (!found && g_ncopies < TC_MAX_COPIES) {
        __atomic_store_n(&g_copies[g_ncopies], o, __ATOMIC_RELEASE);
        __atomic_store_n(&g_ncopies, g_ncopies + 1, __ATOMIC_RELEASE);
        pthread_mutex_unlock(&g_registry_lock);
        return o;
    }
    if (found) {
        for (id = 0; id < TC_FN_COUNT; id++)
            if (!load_slot(found, (enum tc_fn_id)id) && *slot(o, (enum tc_fn_id)id))
                __atomic_store_n(slot(found, (enum tc_fn_id)id), *slot(o, (enum tc_fn_id)id),
                                 __ATOMIC_RELEASE);
        if (!found->active && !found->inactive_reason)
            check_activation(found);
        if (!__atomic_load_n(&found->ssl_hi, __ATOMIC_ACQUIRE) && o->ssl_hi) {
            found->ssl_lo = o->ssl_lo;
            __atomic_store_n(&found->ssl_hi, o->ssl_hi, __ATOMIC_RELEASE);
        }
    }
    pthread_mutex_unlock(&g_registry_lock);
    free(o);
    return found; /* NULL only when the registry is full */
}

static struct tc_ossl *next_copy(void)
{
    struct tc_ossl *o;

    if (__atomic_load_n(&g_next_searched, __ATOMIC_ACQUIRE))
        return __atomic_load_n(&g_next, __ATOMIC_ACQUIRE);
    o = copy_build(RTLD_NEXT, TC_RES_NEXT);
    if (o)
        o = copy_register(o);
    __atomic_store_n(&g_next, o, __ATOMIC_RELEASE);
    __atomic_store_n(&g_next_searched, 1, __ATOMIC_RELEASE);
    return o;
}

/* ---- caller-based resolution ---------------------------------------- */

struct find_object {
    uintptr_t addr;
    uintptr_t lo, hi;
    const char *name;
    int found;
    int symbolic; /* linked -Bsymbolic (DT_SYMBOLIC, or DF_SYMBOLIC in DT_FLAGS) */
};

/* Does the object bind its own references to its own definitions? */
static int binds_symbolically(const struct dl_phdr_info *info)
{
    int i;

    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        const ElfW(Dyn) * d;
        if (ph->p_type != PT_DYNAMIC)
            continue;
        for (d = (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr); d->d_tag != DT_NULL; d++)
            if (d->d_tag == DT_SYMBOLIC || (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_SYMBOLIC)))
                return 1;
    }
    return 0;
}

static int find_object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct find_object *f = data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    int i;

    (void)size;
    for (i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (info->dlpi_addr + ph->p_vaddr < lo)
            lo = info->dlpi_addr + ph->p_vaddr;
        if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
            hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
    }
    if (f->addr >= lo && f->addr < hi) {
        f->lo = lo;
        f->hi = hi;
        f->name = info->dlpi_name;
        f->found = 1;
        f->symbolic = binds_symbolically(info);
        return 1;
    }
    return 0;
}

/* The address range of the object holding `addr`; returns 1 if it binds symbolically. */
static int object_range(const void *addr, uintptr_t *lo, uintptr_t *hi)
{
    struct find_object f = {.addr = (uintptr_t)addr};

    dl_iterate_phdr(find_object_cb, &f);
    *lo = f.found ? f.lo : 0;
    *hi = f.found ? f.hi : 0;
    return f.found && f.symbolic;
}

int tc_ossl_is_internal(const struct tc_ossl *o, const void *caller)
{
    uintptr_t a = (uintptr_t)caller;

    return (a >= o->crypto_lo && a < o->crypto_hi) ||
           (a >= o->ssl_lo && a < __atomic_load_n(&o->ssl_hi, __ATOMIC_ACQUIRE));
}

static struct tc_ossl *copy_via_object(const char *name, enum tc_fn_id id)
{
    void *h = dlopen(name && *name ? name : NULL, RTLD_NOLOAD | RTLD_LAZY);
    struct tc_ossl *o;

    if (!h) {
        dlerror();
        return NULL;
    }
    o = copy_build(h, TC_RES_CALLER);
    dlclose(h);
    if (o && !*slot(o, id)) {
        free(o);
        return NULL;
    }
    return o ? copy_register(o) : NULL;
}

struct object_list {
    const char *names[TC_MAX_OBJECTS];
    int n;
};

static int list_objects_cb(struct dl_phdr_info *info, size_t size, void *data)
{
    struct object_list *l = data;

    (void)size;
    if (l->n < TC_MAX_OBJECTS && info->dlpi_name && *info->dlpi_name)
        l->names[l->n++] = info->dlpi_name;
    return 0;
}

/* Last resort: any loaded object whose scope defines the symbol. */
static struct tc_ossl *copy_via_any_object(enum tc_fn_id id)
{
    struct object_list *l = calloc(1, sizeof(*l));
    struct tc_ossl *o = NULL;
    int i;

    if (!l)
        return NULL;
    dl_iterate_phdr(list_objects_cb, l);
    for (i = 0; i < l->n && !o; i++)
        o = copy_via_object(l->names[i], id);
    free(l);
    return o;
}

static void remember_range(uintptr_t lo, uintptr_t hi, struct tc_ossl *o)
{
    int n;

    pthread_mutex_lock(&g_registry_lock);
    n = g_nranges;
    if (n < TC_MAX_RANGES) {
        g_ranges[n].lo = lo;
        g_ranges[n].hi = hi;
        g_ranges[n].copy = o;
        __atomic_store_n(&g_nranges, n + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&g_registry_lock);
}

static struct tc_ossl *copy_for_caller(enum tc_fn_id id, const void *caller)
{
    struct find_object f = {.addr = (uintptr_t)caller};
    int i, n = __atomic_load_n(&g_nranges, __ATOMIC_ACQUIRE);
    struct tc_ossl *o = NULL;

    for (i = 0; i < n; i++)
        if (f.addr >= g_ranges[i].lo && f.addr < g_ranges[i].hi && load_slot(g_ranges[i].copy, id))
            return g_ranges[i].copy;

    dl_iterate_phdr(find_object_cb, &f);
    if (f.found)
        o = copy_via_object(f.name, id);
    if (!o)
        o = copy_via_any_object(id);
    if (o && f.found && !in_shim(caller))
        remember_range(f.lo, f.hi, o);
    return o;
}

/*
 * The copy the outermost hook on this thread resolved.  OpenSSL functions
 * often end in a tail call to another exported function (SSL_CTX_new to
 * SSL_CTX_new_ex, SSL_CTX_load_verify_file to X509_STORE_load_file_ex, ...):
 * when a hook called the real function normally, the inner hook's return
 * address lies in the shim itself, which says nothing about the copy.
 */
static __thread struct tc_ossl *tc_current_copy __attribute__((tls_model("initial-exec")));

static int in_shim(const void *caller)
{
    static uintptr_t lo, hi; /* benign race: every thread computes the same range */

    if (!__atomic_load_n(&hi, __ATOMIC_ACQUIRE)) {
        uintptr_t l, h;
        object_range((const void *)&tc_ossl_for, &l, &h);
        __atomic_store_n(&lo, l, __ATOMIC_RELAXED);
        __atomic_store_n(&hi, h, __ATOMIC_RELEASE);
    }
    return (uintptr_t)caller >= __atomic_load_n(&lo, __ATOMIC_RELAXED) &&
           (uintptr_t)caller < __atomic_load_n(&hi, __ATOMIC_RELAXED);
}

struct tc_ossl *tc_ossl_for(enum tc_fn_id id, const void *caller)
{
    struct tc_ossl *n = next_copy(), *o;

    if (n && load_slot(n, id))
        o = n;
    else if (in_shim(caller) && tc_current_copy && load_slot(tc_current_copy, id))
        o = tc_current_copy;
    else
        o = copy_for_caller(id, caller);
    if (o)
        tc_current_copy = o;
    return o;
}

int tc_ossl_seen(void) { return __atomic_load_n(&g_ncopies, __ATOMIC_ACQUIRE) > 0; }

void tc_ossl_foreach(void (*fn)(struct tc_ossl *o, void *arg), void *arg)
{
    int i, n = __atomic_load_n(&g_ncopies, __ATOMIC_ACQUIRE);

    for (i = 0; i < n; i++)
        fn(__atomic_load_n(&g_copies[i], __ATOMIC_ACQUIRE), arg);
}

void tc_resolve_atfork_prepare(void) { pthread_mutex_lock(&g_registry_lock); }
void tc_resolve_atfork_parent(void) { pthread_mutex_unlock(&g_registry_lock); }
void tc_resolve_atfork_child(void) { tc_child_mutex(&g_registry_lock); }
