/*
 * Connection entry points, for the per-host stats.  None of them changes
 * what OpenSSL does: each forwards its call untouched and only records, in
 * conn_track.c, what the stats need.
 */
#include "hook.h"

/* Each connection remembers the context it was made from (contexts per host). */
TC_EXPORT SSL *SSL_new(SSL_CTX *ctx)
{
    TC_TARGET(SSL_new);
    SSL *s;

    if (!real)
        return NULL;
    if (tc_bypass())
        return real(ctx);
    tc_guard_enter();
    s = real(ctx);
    tc_conn_new(o, s, ctx);
    tc_guard_leave();
    return s;
}

/*
 * SSL_set_tlsext_host_name (the SNI name) is a macro over SSL_ctrl, which
 * also carries many other commands, some on every read and write: one
 * compare lets everything else through at once.
 */
TC_EXPORT long SSL_ctrl(SSL *s, int cmd, long larg, void *parg)
{
    TC_TARGET(SSL_ctrl);
    long rc;

    if (!real)
        return 0;
    if (cmd != SSL_CTRL_SET_TLSEXT_HOSTNAME || tc_bypass())
        return real(s, cmd, larg, parg);
    tc_guard_enter();
    rc = real(s, cmd, larg, parg);
    if (rc == 1 && larg == TLSEXT_NAMETYPE_host_name)
        tc_conn_host(o, s, parg);
    tc_guard_leave();
    return rc;
}

/* The name the peer's certificate must match: the host when no SNI named it first. */
TC_EXPORT int SSL_set1_host(SSL *s, const char *hostname)
{
    TC_TARGET(SSL_set1_host);
    int rc;

    if (!real)
        return 0;
    if (tc_bypass())
        return real(s, hostname);
    tc_guard_enter();
    rc = real(s, hostname);
    if (rc == 1)
        tc_conn_host(o, s, hostname);
    tc_guard_leave();
    return rc;
}
