/*
 * uthash, with allocation failure reported instead of fatal: uthash's
 * default handler calls exit(-1), inside a process that is not ours.  After a
 * HASH_ADD*, TC_HASH_ADDED() says whether the element went in (on failure
 * the table is left as it was).
 */
#ifndef TC_HASH_H
#define TC_HASH_H

extern __thread int tc_hash_oom __attribute__((tls_model("initial-exec")));

#define HASH_NONFATAL_OOM        1
#define uthash_nonfatal_oom(elt) ((void)(elt), tc_hash_oom = 1)
#include <uthash.h>

static inline int tc_hash_added(void)
{
    int failed = tc_hash_oom;

    tc_hash_oom = 0;
    return !failed;
}
#define TC_HASH_ADDED() tc_hash_added()

#endif
