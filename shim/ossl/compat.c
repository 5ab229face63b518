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

    return major == 3 || major == 4;
}

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
