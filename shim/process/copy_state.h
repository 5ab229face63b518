/*
 * Per-copy shim state (ex_data indices, bundle cache, templates) and the
 * first TLS use.  Hooks call these before they enter the core; the layers
 * below only ask tc_copy_is_ready (ossl/ossl.h), so none of them reaches up
 * here to create what belongs to every layer.
 */
#ifndef TC_COPY_STATE_H
#define TC_COPY_STATE_H

#include "ossl/ossl.h"

/* Creates the copy's state once; 1 when it exists, 0 if it cannot. */
int tc_copy_ready(struct tc_ossl *o);

/* A context or connection is made: the stats writer may start now. */
void tc_tls_use(void);

#endif
