/*
 * Accounting behind the per-host and leak views of the stats: each
 * context's CA loads and the cache entries loaded into it (so each bundle can
 * report how many live contexts hold it), and the host table (hosts.h).
 *
 * Only done when stats are asked for (TRUSTCACHE_STATS): a process that
 * reports nothing pays nothing per connection.
 */
#ifndef TC_ACCT_H
#define TC_ACCT_H

#include "contexts/ctx_track.h"

struct tc_entry;

/* Stats will be reported, so connections and loads are worth recording. */
int tc_acct_enabled(void);

/* A CA load from cache entry `entry` was served into the context of `rec`. */
void tc_acct_load(struct tc_ctx_rec *rec, struct tc_entry *entry, int hit);

/* The context is destroyed: its bundles stop counting as held. */
void tc_acct_ctx_dead(struct tc_ctx_rec *rec);

/* The record itself goes (last reference): frees what acct.c attached. */
void tc_acct_ctx_free(struct tc_ctx_rec *rec);

/* Which host row a connection was counted under (for tc_acct_connection_end). */
struct tc_acct_mark {
    void *host;
    unsigned gen;
};

/*
 * One connection from the context of `rec` (NULL: unknown) to `host` (NULL:
 * no host; anything else is cleaned first, see tc_host_clean), counted now;
 * `mark` (may be NULL) remembers the row.
 */
void tc_acct_connection(struct tc_ctx_rec *rec, const char *host, struct tc_acct_mark *mark);

/*
 * The connection ends: what its context did meanwhile (a CA file loaded after
 * the host was named, as curl does) is added to the same row.  Nothing is
 * counted twice.
 */
void tc_acct_connection_end(struct tc_ctx_rec *rec, const struct tc_acct_mark *mark);

/* fork(): the lock is held across it; the child starts its own host table. */
void tc_acct_atfork_prepare(void);
void tc_acct_atfork_parent(void);
void tc_acct_atfork_child(void);

#endif
