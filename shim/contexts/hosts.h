/*
 * The per-host table behind the stats' "hosts": for each host, its
 * connections, the distinct contexts they were made from, how many of those
 * contexts had a CA bundle loaded through the shim, and the loads the cache
 * avoided for them.  A host is the SNI name or the name the certificate is
 * checked against (SSL_set1_host), whichever the connection got first.
 *
 * Plain bookkeeping: no lock (acct.c holds one around every call), no
 * OpenSSL, so the unit tests drive it directly.  Bounded: at most `max` named
 * hosts; connections to further names go to the "(other)" row, connections
 * that never named a host to the "(none)" row.
 */
#ifndef TC_HOSTS_H
#define TC_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#define TC_HOST_NONE  "(none)"
#define TC_HOST_OTHER "(other)"
/* Longest key kept, in bytes (a DNS name is at most 253). */
#define TC_HOST_NAME_MAX 255

struct tc_host {
    const char *name;
    uint64_t connections;
    uint64_t contexts;              /* distinct contexts its connections came from */
    uint64_t contexts_with_ca_load; /* ... that had a CA bundle loaded through the shim */
    uint64_t ca_loads_avoided;      /* loads served from the cache into those contexts */
};

/* A context's CA loads, as the shim served them into it. */
struct tc_ctx_loads {
    uint64_t performed, avoided;
};

/*
 * What one context has already contributed to one host, kept with the
 * context (acct.c): counted once as a context, once as "with a CA load", and
 * its avoided loads only as they grow.
 */
struct tc_host_link {
    struct tc_host *host; /* NULL: not linked yet */
    uint64_t avoided_seen;
    int ca_seen;
};

struct tc_hosts;

struct tc_hosts *tc_hosts_new(unsigned max);
void tc_hosts_free(struct tc_hosts *t);

/*
 * The row for `name` (already cleaned, see tc_host_clean; NULL or "" is
 * "(none)"), created if the bound allows, else "(other)".  Never NULL: an
 * allocation failure also lands in "(other)".
 */
struct tc_host *tc_hosts_get(struct tc_hosts *t, const char *name);

/*
 * One connection to `h` from a context whose loads so far are `loads` and
 * whose link to `h` is `link` (a link to another host, or a fresh one, is
 * taken over for `h`).  `link` NULL: the context is unknown, only the
 * connection is counted.
 */
void tc_host_count(struct tc_host *h, struct tc_host_link *link, const struct tc_ctx_loads *loads);

/* The same without a new connection: what the linked context did since. */
void tc_host_update(struct tc_host *h, struct tc_host_link *link, const struct tc_ctx_loads *loads);

/* Named hosts in first-seen order, then "(other)" and "(none)" if they have
 * connections. */
void tc_hosts_foreach(const struct tc_hosts *t, void (*fn)(const struct tc_host *h, void *arg),
                      void *arg);
size_t tc_hosts_rows(const struct tc_hosts *t);

/*
 * `name` as the table keys it, into `out` (at least TC_HOST_NAME_MAX + 1
 * bytes): ASCII letters lower-cased (host names compare without case), every
 * byte other than a-z 0-9 . - _ : * written as \xNN, so a key is always
 * printable, never "(none)" or "(other)", and safe in every stats format.
 * Cut at TC_HOST_NAME_MAX bytes, never inside an escape.
 */
void tc_host_clean(const char *name, char *out);

#endif
