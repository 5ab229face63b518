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
    o->ERR_set_mark();
    file_lu = o->X509_LOOKUP_new(o->X509_LOOKUP_file());
    dir_lu = o->X509_LOOKUP_new(o->X509_LOOKUP_hash_dir());
    o->ERR_pop_to_mark();
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
const int tc_compat_required_111[] = {TC_ID_ERR_put_error, TC_ID_PEM_X509_INFO_read_bio};
const int tc_compat_n_required_30 = sizeof(tc_compat_required_30) / sizeof(int);
const int tc_compat_n_required_111 = sizeof(tc_compat_required_111) / sizeof(int);

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
