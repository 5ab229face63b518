/*
 * The OpenSSL copy registry (shim/ossl/resolve.c) as the stats fuzzer needs it:
 * stats_dump.c links against it, and the fuzzer has no OpenSSL copy.
 */
#include "ossl/ossl.h"

int tc_ossl_seen(void) { return 0; }

void tc_ossl_foreach(void (*fn)(struct tc_ossl *o, void *arg), void *arg)
{
    (void)fn;
    (void)arg;
}
