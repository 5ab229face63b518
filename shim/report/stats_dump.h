/* Collecting the stats and writing them where TRUSTCACHE_STATS says. */
#ifndef TC_STATS_DUMP_H
#define TC_STATS_DUMP_H

#include "report/stats_render.h"

/* The version of trustcache: the only place it is written.  The Debian
 * package takes its version from this line (mk/deb.mk). */
#define TC_VERSION "0.1.0"

/* Fills `v` from the counters and every copy's cache (no OpenSSL calls). */
void tc_stats_collect(struct tc_stats_view *v);
void tc_stats_view_free(struct tc_stats_view *v);

/*
 * Adds the per-host rows and each bundle's live contexts to a view (acct.c
 * registers itself on first use, so this file links without it).
 */
typedef void (*tc_stats_source_fn)(struct tc_stats_view *v);
void tc_stats_set_source(tc_stats_source_fn fn);

/*
 * Renders and writes the dump configured by the environment; 0 on failure.
 * Dumps never interleave.  Once the exit dump is written (tc_stats_dump_final)
 * later calls write nothing, so the file ends with the exit numbers.
 */
int tc_stats_dump(void);
int tc_stats_dump_final(void);

/* fork(): no dump is half-written across it. */
void tc_stats_dump_lock_for_fork(void);
void tc_stats_dump_unlock_after_fork(int in_child);

/* `template` with %p replaced by `pid` and %% by %; 0 if it does not fit. */
int tc_stats_expand_path(const char *template, long pid, char *out, size_t len);

/* Writes `data` to `path` atomically (temp file + rename, never following a
 * symlink at the final name); 0 on failure with errno set. */
int tc_write_atomic(const char *path, const char *data, size_t len);

#endif
