/*
 * Connection entry points, for the per-host stats.  None of them changes
 * what OpenSSL does: each forwards its call untouched and only records, in
 * conn_track.c, what the stats need.
 */
#include <arpa/inet.h>
#include <string.h>

#include "hooks/hook.h"

/*
 * The connection whose verify param this thread fetched last: CPython calls
 * SSL_get0_param and then X509_VERIFY_PARAM_set1_host / set1_ip on it.
 */
static __thread const void *tc_param_of __attribute__((tls_model("initial-exec")));
static __thread SSL *tc_param_ssl __attribute__((tls_model("initial-exec")));

static void host_from_param(struct tc_ossl *o, const X509_VERIFY_PARAM *param, const char *host)
{
    if (param && param == tc_param_of && tc_param_ssl)
        tc_conn_host(o, tc_param_ssl, host);
}

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
    tc_hook_tls_use(o);
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

/*
 * The name the peer's certificate must match: the host when no SNI named it
 * first.  SSL_set1_host, and from 4.0 on SSL_set1_dnsname / SSL_set1_ipaddr
 * and their add1 forms (one more acceptable name: the connection keeps the
 * first it was given).  Each forwards through `real`, its own copy's function.
 */
#define TC_HOST_HOOK(name)                                                                         \
    TC_EXPORT int name(SSL *s, const char *host)                                                   \
    {                                                                                              \
        TC_TARGET(name);                                                                           \
        int rc;                                                                                    \
                                                                                                   \
        if (!real)                                                                                 \
            return 0;                                                                              \
        if (tc_bypass())                                                                           \
            return real(s, host);                                                                  \
        tc_guard_enter();                                                                          \
        rc = real(s, host);                                                                        \
        if (rc == 1)                                                                               \
            tc_conn_host(o, s, host);                                                              \
        tc_guard_leave();                                                                          \
        return rc;                                                                                 \
    }

TC_HOST_HOOK(SSL_set1_host)
TC_HOST_HOOK(SSL_set1_dnsname)
TC_HOST_HOOK(SSL_add1_dnsname)
TC_HOST_HOOK(SSL_set1_ipaddr)
TC_HOST_HOOK(SSL_add1_ipaddr)

/* Remembers whose param it is, for the two hooks below. */
TC_EXPORT X509_VERIFY_PARAM *SSL_get0_param(SSL *s)
{
    TC_TARGET(SSL_get0_param);
    X509_VERIFY_PARAM *param;

    if (!real)
        return NULL;
    param = real(s);
    if (!tc_bypass()) {
        tc_param_of = param;
        tc_param_ssl = s;
    }
    return param;
}

/* The host name a connection's certificate must match (CPython, for names). */
TC_EXPORT int X509_VERIFY_PARAM_set1_host(X509_VERIFY_PARAM *param, const char *name,
                                          size_t namelen)
{
    TC_TARGET(X509_VERIFY_PARAM_set1_host);
    char host[256];
    int rc;

    if (!real)
        return 0;
    rc = real(param, name, namelen);
    if (rc == 1 && name && !tc_bypass()) {
        size_t n = namelen ? namelen : strlen(name);
        if (n < sizeof(host)) {
            memcpy(host, name, n);
            host[n] = '\0';
            host_from_param(o, param, host);
        }
    }
    return rc;
}

/* The IP address a connection's certificate must match (no SNI is sent for it). */
TC_EXPORT int X509_VERIFY_PARAM_set1_ip(X509_VERIFY_PARAM *param, const unsigned char *ip,
                                        size_t iplen)
{
    TC_TARGET(X509_VERIFY_PARAM_set1_ip);
    char host[INET6_ADDRSTRLEN];
    int rc;

    if (!real)
        return 0;
    rc = real(param, ip, iplen);
    if (rc == 1 && ip && !tc_bypass() &&
        inet_ntop(iplen == 4 ? AF_INET : AF_INET6, ip, host, sizeof(host)) &&
        (iplen == 4 || iplen == 16))
        host_from_param(o, param, host);
    return rc;
}

TC_EXPORT int X509_VERIFY_PARAM_set1_ip_asc(X509_VERIFY_PARAM *param, const char *ipasc)
{
    TC_TARGET(X509_VERIFY_PARAM_set1_ip_asc);
    int rc;

    if (!real)
        return 0;
    tc_guard_enter(); /* it calls set1_ip itself */
    rc = real(param, ipasc);
    tc_guard_leave();
    if (rc == 1 && ipasc && !tc_bypass())
        host_from_param(o, param, ipasc);
    return rc;
}
