/* The flag tc_hash.h's uthash failure handler sets (one per thread). */
#include "base/tc_hash.h"

__thread int tc_hash_oom __attribute__((tls_model("initial-exec")));
