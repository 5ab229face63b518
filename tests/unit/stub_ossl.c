/*
 * Stand-ins for the OpenSSL copy registry (resolve.c), which stats_dump.c
 * asks whether OpenSSL was ever seen and which copies to collect from.  The
 * unit tests have no OpenSSL copy: no copies, and "seen" is what a test says.
 */
#include "ossl/ossl.h"
#include "unit.h"

int unit_ossl_seen_value;

int tc_ossl_seen(void) { return unit_ossl_seen_value; }

void tc_ossl_foreach(void (*fn)(struct tc_ossl *o, void *arg), void *arg)
{
    (void)fn;
    (void)arg;
}
