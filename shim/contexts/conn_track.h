/* Connections (SSL objects), for the per-host stats. */
#ifndef TC_CONN_TRACK_H
#define TC_CONN_TRACK_H

#include "ossl/ossl.h"

void tc_conn_new(struct tc_ossl *o, SSL *s, SSL_CTX *ctx);
/* The connection's host became known (SNI, or the name to verify). */
void tc_conn_host(struct tc_ossl *o, SSL *s, const char *host);
void tc_conn_atfork_prepare(void);
void tc_conn_atfork_parent(void);
void tc_conn_atfork_child(void);

#endif
