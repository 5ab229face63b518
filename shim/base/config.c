/* Parsing of the TRUSTCACHE_* environment. */
#include "base/config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/auxv.h>
#include <unistd.h>

/* The value as it may be shown on one line: control characters become '?'. */
static void printable(const char *val, char *out, size_t len)
{
    size_t i;

    for (i = 0; val[i] && i + 1 < len; i++)
        out[i] = (unsigned char)val[i] < 0x20 || val[i] == 0x7f ? '?' : val[i];
    out[i] = '\0';
}

static void warn_bad(tc_warn_fn warn, const char *var, const char *val, const char *expect,
                     const char *dflt)
{
    char line[512], shown[201];

    printable(val, shown, sizeof(shown));
    snprintf(line, sizeof(line), "trustcache: %s=%s is not %s; using %s", var, shown, expect, dflt);
    if (warn)
        warn(line);
}

/* Unsigned decimal in [lo, hi]; returns 0 if `s` is not one. */
static int parse_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    char *end;
    unsigned long v;

    if (!s || *s < '0' || *s > '9')
        return 0; /* strtoul would accept blanks and signs */
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return 0;
    *out = (unsigned)v;
    return 1;
}

static void parse_mode(struct tc_config *c, const char *v, tc_warn_fn warn)
{
    if (!v)
        return;
    if (!strcmp(v, "on"))
        c->mode = TC_MODE_ON;
    else if (!strcmp(v, "observe"))
        c->mode = TC_MODE_OBSERVE;
    else if (!strcmp(v, "off"))
        c->mode = TC_MODE_OFF;
    else
        warn_bad(warn, "TRUSTCACHE_MODE", v, "one of on, observe, off", "on");
}

static void parse_stats(struct tc_config *c, const char *v, tc_warn_fn warn)
{
    if (!v || !*v)
        return;
    if (!strcmp(v, "stderr")) {
        c->stats_dest = TC_STATS_STDERR;
        return;
    }
    if (strlen(v) >= sizeof(c->stats_path)) {
        warn_bad(warn, "TRUSTCACHE_STATS", v, "a path shorter than PATH_MAX", "no stats");
        return;
    }
    c->stats_dest = TC_STATS_FILE;
    strcpy(c->stats_path, v);
}

static void parse_format(struct tc_config *c, const char *v, tc_warn_fn warn)
{
    if (!v || !*v)
        return;
    if (!strcmp(v, "text"))
        c->stats_format = TC_FMT_TEXT;
    else if (!strcmp(v, "json"))
        c->stats_format = TC_FMT_JSON;
    else if (!strcmp(v, "prom"))
        c->stats_format = TC_FMT_PROM;
    else
        warn_bad(warn, "TRUSTCACHE_STATS_FORMAT", v, "one of text, json, prom",
                 "text for stderr, json for a file");
}

static void parse_bound(unsigned *field, const char *var, const char *v, unsigned lo, unsigned hi,
                        const char *expect, tc_warn_fn warn)
{
    char dflt[32];

    if (!v)
        return;
    if (!parse_uint(v, lo, hi, field)) {
        snprintf(dflt, sizeof(dflt), "%u", *field);
        warn_bad(warn, var, v, expect, dflt);
    }
}

static void parse_share(struct tc_config *c, const char *v, tc_warn_fn warn)
{
    if (!v)
        return;
    if (!strcmp(v, "0") || !strcasecmp(v, "off") || !strcasecmp(v, "no"))
        c->share = 0;
    else if (!strcmp(v, "1") || !strcasecmp(v, "on") || !strcasecmp(v, "yes"))
        c->share = 1;
    else
        warn_bad(warn, "TRUSTCACHE_SHARE", v, "0 or 1", "1");
}

static void parse_signal(struct tc_config *c, const char *v, tc_warn_fn warn)
{
    const char *name;

    if (!v || !*v)
        return;
    name = strncasecmp(v, "SIG", 3) ? v : v + 3;
    if (!strcasecmp(name, "USR1"))
        c->stats_signal = SIGUSR1;
    else if (!strcasecmp(name, "USR2"))
        c->stats_signal = SIGUSR2;
    else
        warn_bad(warn, "TRUSTCACHE_STATS_SIGNAL", v, "USR1 or USR2", "no signal dump");
}

/* An empty value counts as unset, as `VAR= command` is commonly used to clear one. */
static const char *value_of(tc_getenv_fn get, const char *name)
{
    const char *v = get(name);

    return v && *v ? v : NULL;
}

void tc_config_parse(struct tc_config *c, tc_getenv_fn get, int secure, tc_warn_fn warn)
{
    memset(c, 0, sizeof(*c));
    c->mode = TC_MODE_ON;
    c->max_bundles = TC_DEFAULT_MAX_BUNDLES;
    c->max_hosts = TC_DEFAULT_MAX_HOSTS;
    c->share = 1;
    c->secure = secure;
    if (secure)
        return; /* setuid/setgid: the environment belongs to someone else */

    parse_mode(c, value_of(get, "TRUSTCACHE_MODE"), warn);
    parse_stats(c, value_of(get, "TRUSTCACHE_STATS"), warn);
    parse_format(c, value_of(get, "TRUSTCACHE_STATS_FORMAT"), warn);
    parse_bound(&c->max_bundles, "TRUSTCACHE_MAX_BUNDLES", value_of(get, "TRUSTCACHE_MAX_BUNDLES"),
                1, 65536, "a whole number from 1 to 65536", warn);
    parse_bound(&c->max_hosts, "TRUSTCACHE_MAX_HOSTS", value_of(get, "TRUSTCACHE_MAX_HOSTS"), 1,
                65536, "a whole number from 1 to 65536", warn);
    parse_bound(&c->stats_interval, "TRUSTCACHE_STATS_INTERVAL",
                value_of(get, "TRUSTCACHE_STATS_INTERVAL"), 0, 86400,
                "a number of seconds from 0 to 86400", warn);
    parse_signal(c, value_of(get, "TRUSTCACHE_STATS_SIGNAL"), warn);
    parse_share(c, value_of(get, "TRUSTCACHE_SHARE"), warn);
}

const char *tc_mode_name(enum tc_mode m)
{
    switch (m) {
    case TC_MODE_ON:
        return "on";
    case TC_MODE_OBSERVE:
        return "observe";
    case TC_MODE_OFF:
        return "off";
    }
    return "on";
}

static struct tc_config g_config;
static pthread_once_t g_config_once = PTHREAD_ONCE_INIT;

static void warn_stderr(const char *line)
{
    size_t n = strlen(line);
    /* write(2): no stdio locks, usable even from an early constructor. */
    if (write(STDERR_FILENO, line, n) < 0 || write(STDERR_FILENO, "\n", 1) < 0)
        return;
}

static const char *plain_getenv(const char *name) { return getenv(name); }

static void config_init(void)
{
    tc_config_parse(&g_config, plain_getenv, getauxval(AT_SECURE) != 0, warn_stderr);
}

const struct tc_config *tc_config(void)
{
    pthread_once(&g_config_once, config_init);
    return &g_config;
}
