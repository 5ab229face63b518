/*
 * TRUSTCACHE_* environment settings.  Read once, in the constructor or by the
 * first hook that runs before it.  A bad value costs one "trustcache:" line on
 * stderr and falls back to the default; it never stops the host process.
 */
#ifndef TC_CONFIG_H
#define TC_CONFIG_H

#include <limits.h>

enum tc_mode { TC_MODE_ON, TC_MODE_OBSERVE, TC_MODE_OFF };
enum tc_stats_dest { TC_STATS_NONE, TC_STATS_STDERR, TC_STATS_FILE };
enum tc_stats_format { TC_FMT_AUTO, TC_FMT_TEXT, TC_FMT_JSON, TC_FMT_PROM };

#define TC_DEFAULT_MAX_BUNDLES 64u
#define TC_DEFAULT_MAX_HOSTS   256u

struct tc_config {
    enum tc_mode mode;
    enum tc_stats_dest stats_dest;
    char stats_path[PATH_MAX]; /* TC_STATS_FILE: the template, %p unexpanded */
    enum tc_stats_format stats_format;
    unsigned max_bundles;
    unsigned max_hosts;
    unsigned stats_interval; /* seconds; 0 = only at exit */
    int stats_signal;        /* 0 = none */
    int share;               /* share template stores among contexts */
    int secure;              /* AT_SECURE: every TRUSTCACHE_* ignored */
};

typedef const char *(*tc_getenv_fn)(const char *name);
typedef void (*tc_warn_fn)(const char *line);

/* Pure: fills `c` from `get`; reports each bad value through `warn`. */
void tc_config_parse(struct tc_config *c, tc_getenv_fn get, int secure, tc_warn_fn warn);

/* The process configuration, parsed on first use (thread-safe). */
const struct tc_config *tc_config(void);

const char *tc_mode_name(enum tc_mode m);

#endif
