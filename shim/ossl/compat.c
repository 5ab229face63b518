/* Version-dependent details, decided per copy at run time. */
#include "ossl/compat.h"
#include "ossl/ossl.h"

#include <stddef.h>

/*
 * x509_lookup_st has begun with { int init; int skip; X509_LOOKUP_METHOD *method;
 * ... } from 1.1.0 through 3.5.  The probe confirms the layout on the running
 * copy instead of trusting it: a lookup made with X509_LOOKUP_file() must
 * show that method at the offset, and one made with X509_LOOKUP_hash_dir()
 * must not.
 */
static int probe_method_offset(struct tc_ossl *o)
{
    const size_t off = offsetof(
        struct {
            int init;
            int skip;
            void *method;
        },
        method);
    X509_LOOKUP *file_lu, *dir_lu;
    int ok;

    if (!o->X509_LOOKUP_new || !o->X509_LOOKUP_free || !o->X509_LOOKUP_hash_dir)
        return -2;
    tc_err_mark(o);
    file_lu = o->X509_LOOKUP_new(o->X509_LOOKUP_file());
    dir_lu = o->X509_LOOKUP_new(o->X509_LOOKUP_hash_dir());
    tc_err_pop(o);
    if (!file_lu || !dir_lu) {
        ok = -1; /* no memory: decide another time */
    } else {
        ok = *(void **)((char *)file_lu + off) == (void *)o->X509_LOOKUP_file() &&
                     *(void **)((char *)dir_lu + off) == (void *)o->X509_LOOKUP_hash_dir()
                 ? (int)off
                 : -2;
    }
    o->X509_LOOKUP_free(file_lu);
    o->X509_LOOKUP_free(dir_lu);
    return ok;
}

int tc_compat_is_file_lookup(struct tc_ossl *o, X509_LOOKUP *lu)
{
    int off = __atomic_load_n(&o->lookup_method_offset, __ATOMIC_ACQUIRE);

    if (off == -1) {
        off = probe_method_offset(o);
        if (off != -1)
            __atomic_store_n(&o->lookup_method_offset, off, __ATOMIC_RELEASE);
    }
    if (off < 0 || !lu)
        return -1;
    return *(void **)((char *)lu + off) == (void *)o->X509_LOOKUP_file();
}

int tc_compat_major_known(unsigned long version_num)
{
    unsigned long major = version_num >> 28;

    return major == 3 || major == 4 || (version_num >> 12) == 0x10101UL;
}

int tc_compat_is_111(const struct tc_ossl *o) { return o->version_num < 0x30000000UL; }

const int tc_compat_required_30[] = {
    TC_ID_ERR_new,
    TC_ID_ERR_set_debug,
    TC_ID_ERR_set_error,
    TC_ID_X509_LOOKUP_store,
    TC_ID_X509_LOOKUP_ctrl_ex,
    TC_ID_X509_STORE_load_path,
    TC_ID_PEM_X509_INFO_read_bio_ex,
    TC_ID_X509_load_cert_crl_file_ex,
    TC_ID_X509_load_cert_file_ex,
};
const int tc_compat_required_111[] = {TC_ID_ERR_put_error, TC_ID_PEM_X509_INFO_read_bio,
                                      TC_ID_ERR_get_state};
const int tc_compat_n_required_30 = sizeof(tc_compat_required_30) / sizeof(int);
const int tc_compat_n_required_111 = sizeof(tc_compat_required_111) / sizeof(int);

/* 1.1.1's ERR_STATE, as its openssl/err.h publishes it. */
#define TC_ERR_NUM_111  16
#define TC_ERR_MARK_111 0x01
struct tc_err_state_111 {
    int err_flags[TC_ERR_NUM_111];
    unsigned long err_buffer[TC_ERR_NUM_111];
    char *err_data[TC_ERR_NUM_111];
    int err_data_flags[TC_ERR_NUM_111];
    const char *err_file[TC_ERR_NUM_111];
    int err_line[TC_ERR_NUM_111];
    int top, bottom;
};

/* The marks this thread holds on 1.1.1, innermost last. */
#define TC_MARKS_MAX 32
static __thread struct {
    int idx;  /* the marked entry; -1: the queue was empty */
    int prev; /* it carried a mark already */
} tc_marks[TC_MARKS_MAX] __attribute__((tls_model("initial-exec")));
static __thread int tc_nmarks __attribute__((tls_model("initial-exec")));

static struct tc_err_state_111 *err_state_111(const struct tc_ossl *o)
{
    return (struct tc_err_state_111 *)(void *)o->ERR_get_state();
}

void tc_err_mark(const struct tc_ossl *o)
{
    struct tc_err_state_111 *es;
    int n = tc_nmarks;

    if (!tc_compat_is_111(o)) {
        o->ERR_set_mark();
        return;
    }
    es = err_state_111(o);
    tc_nmarks = n + 1;
    if (n >= TC_MARKS_MAX) { /* deeper than the shim ever nests: 1.1.1's own rule */
        o->ERR_set_mark();
        return;
    }
    tc_marks[n].idx = -1;
    tc_marks[n].prev = 0;
    if (es && es->top != es->bottom && es->top >= 0 && es->top < TC_ERR_NUM_111) {
        tc_marks[n].idx = es->top;
        tc_marks[n].prev = es->err_flags[es->top] & TC_ERR_MARK_111;
        es->err_flags[es->top] |= TC_ERR_MARK_111;
    }
}

/* Takes the innermost mark's record; 0 when none was kept (too deep). */
static int mark_taken(int *idx, int *prev)
{
    int n = --tc_nmarks;

    if (n < 0) {
        tc_nmarks = 0;
        return 0;
    }
    if (n >= TC_MARKS_MAX)
        return 0;
    *idx = tc_marks[n].idx;
    *prev = tc_marks[n].prev;
    return 1;
}

void tc_err_pop(const struct tc_ossl *o)
{
    struct tc_err_state_111 *es;
    int idx, prev;

    o->ERR_pop_to_mark();
    if (!tc_compat_is_111(o) || !mark_taken(&idx, &prev))
        return;
    es = err_state_111(o);
    if (prev && es && es->top == idx) /* stopped at its entry: an outer mark lives there */
        es->err_flags[idx] |= TC_ERR_MARK_111;
}

void tc_err_keep(const struct tc_ossl *o)
{
    int idx, prev;

    if (!tc_compat_is_111(o) || !mark_taken(&idx, &prev)) {
        o->ERR_clear_last_mark();
        return;
    }
    if (idx >= 0 && !prev)
        o->ERR_clear_last_mark();
}

void tc_compat_raise(const struct tc_ossl *o, int lib, int reason)
{
    if (tc_compat_is_111(o)) {
        o->ERR_put_error(lib, 0, reason, "trustcache", 0);
        return;
    }
    o->ERR_new();
    o->ERR_set_debug("trustcache", 0, "trustcache");
    o->ERR_set_error(lib, reason, NULL);
}

unsigned long tc_compat_err_code(const struct tc_ossl *o, int lib, int reason)
{
    /* 1.1.1: lib << 24 | func << 12 | reason; 3.0 on: lib << 23 | reason. */
    if (tc_compat_is_111(o))
        return ((unsigned long)lib & 0xff) << 24 | ((unsigned long)reason & 0xfff);
    return ((unsigned long)lib & 0xff) << 23 | ((unsigned long)reason & 0x7fffff);
}

STACK_OF(X509_INFO) * tc_compat_read_pem_infos(const struct tc_ossl *o, BIO *in,
                                               OSSL_LIB_CTX *libctx, const char *propq)
{
    if (tc_compat_is_111(o))
        return o->PEM_X509_INFO_read_bio(in, NULL, NULL, "");
    return o->PEM_X509_INFO_read_bio_ex(in, NULL, NULL, "", libctx, propq);
}

int tc_compat_store_load_path(const struct tc_ossl *o, X509_STORE *store, const char *dir)
{
    X509_LOOKUP *lu;

    if (!tc_compat_is_111(o))
        return o->X509_STORE_load_path(store, dir);
    /* What 1.1.1's X509_STORE_load_locations does for its path. */
    lu = o->X509_STORE_add_lookup(store, o->X509_LOOKUP_hash_dir());
    return lu && o->X509_LOOKUP_ctrl(lu, X509_L_ADD_DIR, dir, X509_FILETYPE_PEM, NULL) == 1;
}

int tc_compat_pem_load_clears_queue(const struct tc_ossl *o) { return tc_compat_is_111(o); }

int tc_compat_has_store_lookup(const struct tc_ossl *o) { return !tc_compat_is_111(o); }

int tc_compat_store_read_by_copy(const struct tc_ossl *o) { return o->version_num >= 0x40000000UL; }

int tc_compat_lookups_sort_store(const struct tc_ossl *o) { return o->version_num < 0x40000000UL; }

const char *tc_compat_default_store_uri(const struct tc_ossl *o, const char *default_dir)
{
    return o->version_num < 0x30400000UL ? default_dir : NULL;
}

int tc_compat_repoint_verification(X509_STORE_CTX *sctx, X509_STORE *from, X509_STORE *to)
{
    /* The first field, read and written with its own type; nothing else of
     * the struct is assumed. */
    X509_STORE **first = (X509_STORE **)(void *)sctx;

    if (!sctx || !from || !to || *first != from)
        return 0;
    *first = to;
    return 1;
}
