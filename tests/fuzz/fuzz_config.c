/*
 * libFuzzer target: the TRUSTCACHE_* parser (shim/base/config.c, linked directly).
 *
 * The input is split at NUL bytes into values; the parser's getenv receives
 * them in the order it asks for names (so a variable added to config.c is
 * fuzzed without touching this file), a name past the last value is unset.
 * Invariants, for every input:
 *   - no crash, no sanitizer report;
 *   - every warning is one line starting "trustcache: NAME=" for a variable
 *     that was set, with no newline or other control character in it;
 *   - at most one warning per variable;
 *   - every field within its documented bounds; a warned-about variable keeps
 *     its default; TRUSTCACHE_STATS given as a path is kept verbatim;
 *   - with secure set (setuid), nothing is read and nothing is printed.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"

#define MAX_VARS  32
#define MAX_LINES 64

static const char *g_names[MAX_VARS];
static char *g_values[MAX_VARS];
static int g_nnames, g_nvalues;
static char g_lines[MAX_LINES][1024];
static int g_nlines;

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s: %s\n", what, detail ? detail : "");
    abort();
}

static const char *fake_getenv(const char *name)
{
    int i;

    for (i = 0; i < g_nnames; i++)
        if (!strcmp(g_names[i], name))
            return i < g_nvalues ? g_values[i] : NULL;
    if (strncmp(name, "TRUSTCACHE_", 11) != 0)
        fail("the parser read a variable that is not TRUSTCACHE_*", name);
    if (g_nnames == MAX_VARS)
        fail("too many variables", name);
    g_names[g_nnames] = name;
    return g_nnames < g_nvalues ? g_values[g_nnames++] : (g_nnames++, NULL);
}

static void collect_warning(const char *line)
{
    if (g_nlines == MAX_LINES)
        fail("too many warnings", line);
    if (strlen(line) >= sizeof(g_lines[0]))
        fail("a warning is unreasonably long", line);
    strcpy(g_lines[g_nlines++], line);
}

static const char *value_of(const char *name)
{
    int i;

    for (i = 0; i < g_nnames && i < g_nvalues; i++)
        if (!strcmp(g_names[i], name))
            return g_values[i];
    return NULL;
}

static int is_set(const char *name)
{
    const char *v = value_of(name);

    return v && *v;
}

/* The variable a warning is about (into var[64]); checks the line's shape. */
static const char *warning_var(const char *line, char *var)
{
    const char *p;
    size_t n;

    if (strncmp(line, "trustcache: TRUSTCACHE_", 23) != 0)
        fail("a warning does not start with \"trustcache: TRUSTCACHE_\"", line);
    for (p = line; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            fail("a warning holds a newline or control character", line);
    p = strchr(line + 12, '=');
    n = p ? (size_t)(p - (line + 12)) : 0;
    if (!p || n >= 64)
        fail("a warning names no variable", line);
    memcpy(var, line + 12, n);
    var[n] = '\0';
    return var;
}

static int warned(const char *name)
{
    char var[64];
    int i, n = 0;

    for (i = 0; i < g_nlines; i++)
        n += !strcmp(warning_var(g_lines[i], var), name);
    if (n > 1)
        fail("more than one warning for", name);
    return n;
}

static void check_warnings(void)
{
    char var[64];
    int i;

    for (i = 0; i < g_nlines; i++) {
        warning_var(g_lines[i], var);
        if (!is_set(var))
            fail("a warning about a variable that is not set", g_lines[i]);
        warned(var);
    }
}

static void check_bound(const char *name, unsigned v, unsigned lo, unsigned hi, unsigned dflt)
{
    if (v < lo || v > hi)
        fail("a field is out of bounds", name);
    if (warned(name) && v != dflt)
        fail("a rejected value did not leave the default", name);
}

static void check_fields(const struct tc_config *c)
{
    const char *stats = value_of("TRUSTCACHE_STATS");

    if (c->mode != TC_MODE_ON && c->mode != TC_MODE_OBSERVE && c->mode != TC_MODE_OFF)
        fail("mode out of range", NULL);
    if (warned("TRUSTCACHE_MODE") && c->mode != TC_MODE_ON)
        fail("a rejected mode did not leave the default", NULL);
    if (c->stats_dest != TC_STATS_NONE && c->stats_dest != TC_STATS_STDERR &&
        c->stats_dest != TC_STATS_FILE)
        fail("stats destination out of range", NULL);
    if (!memchr(c->stats_path, '\0', sizeof(c->stats_path)))
        fail("stats path not terminated", NULL);
    if (c->stats_dest == TC_STATS_FILE && (!stats || strcmp(stats, c->stats_path) != 0))
        fail("the stats path is not the value given", stats);
    if (warned("TRUSTCACHE_STATS") && c->stats_dest != TC_STATS_NONE)
        fail("a rejected stats value did not leave the default", stats);
    if (c->stats_format != TC_FMT_AUTO && c->stats_format != TC_FMT_TEXT &&
        c->stats_format != TC_FMT_JSON && c->stats_format != TC_FMT_PROM)
        fail("stats format out of range", NULL);
    if (warned("TRUSTCACHE_STATS_FORMAT") && c->stats_format != TC_FMT_AUTO)
        fail("a rejected format did not leave the default", NULL);
    check_bound("TRUSTCACHE_MAX_BUNDLES", c->max_bundles, 1, 65536, TC_DEFAULT_MAX_BUNDLES);
    check_bound("TRUSTCACHE_MAX_HOSTS", c->max_hosts, 1, 65536, TC_DEFAULT_MAX_HOSTS);
    check_bound("TRUSTCACHE_STATS_INTERVAL", c->stats_interval, 0, 86400, 0);
    if (c->stats_signal != 0 && c->stats_signal != SIGUSR1 && c->stats_signal != SIGUSR2)
        fail("stats signal out of range", NULL);
    if (warned("TRUSTCACHE_STATS_SIGNAL") && c->stats_signal != 0)
        fail("a rejected signal did not leave the default", NULL);
    if (c->share != 0 && c->share != 1)
        fail("share out of range", NULL);
    if (warned("TRUSTCACHE_SHARE") && c->share != 1)
        fail("a rejected share value did not leave the default", NULL);
    if (c->secure)
        fail("secure set without AT_SECURE", NULL);
}

/* Splits the input at NUL bytes into g_values (each its own allocation, so
 * ASan sees any read past a value's end). */
static void split(const uint8_t *data, size_t size)
{
    size_t start = 0, i;

    g_nvalues = 0;
    for (i = 0; i <= size && g_nvalues < MAX_VARS; i++) {
        if (i == size || data[i] == 0) {
            char *v = malloc(i - start + 1);
            if (!v)
                abort();
            memcpy(v, data + start, i - start);
            v[i - start] = '\0';
            g_values[g_nvalues++] = v;
            start = i + 1;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct tc_config c;
    int i;

    split(data, size);
    g_nnames = 0;
    g_nlines = 0;
    tc_config_parse(&c, fake_getenv, 0, collect_warning);
    check_warnings();
    check_fields(&c);

    /* setuid: the environment belongs to someone else. */
    g_nlines = 0;
    tc_config_parse(&c, fake_getenv, 1, collect_warning);
    if (g_nlines || !c.secure || c.mode != TC_MODE_ON || c.stats_dest != TC_STATS_NONE ||
        c.max_bundles != TC_DEFAULT_MAX_BUNDLES || c.share != 1)
        fail("a secure process did not get the defaults silently", NULL);

    for (i = 0; i < g_nvalues; i++)
        free(g_values[i]);
    return 0;
}
