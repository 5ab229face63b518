/*
 * tc_config_parse(): every TRUSTCACHE_* variable, read through a fake
 * environment.  A good value sets its field and nothing else; a bad one costs
 * exactly one "trustcache:" line through the warn callback and leaves the
 * whole configuration at its defaults; a secure (setuid) process reads
 * nothing at all.
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/config.h"
#include "unit.h"

struct env_var {
    const char *name;
    const char *value;
};

#define MAX_WARN 32

static const struct env_var *g_env;
static size_t g_nenv;
static int g_get_calls;
static char g_warn[MAX_WARN][1024];
static int g_nwarn;

static char g_looked_up[1024];

static const char *fake_getenv(const char *name)
{
    size_t i;

    g_get_calls++;
    snprintf(g_looked_up + strlen(g_looked_up), sizeof(g_looked_up) - strlen(g_looked_up), "%s,",
             name);
    for (i = 0; i < g_nenv; i++)
        if (!strcmp(g_env[i].name, name))
            return g_env[i].value;
    return NULL;
}

static void record_warn(const char *line)
{
    if (g_nwarn < MAX_WARN)
        snprintf(g_warn[g_nwarn], sizeof(g_warn[0]), "%s", line);
    g_nwarn++;
}

static void parse_env(struct tc_config *c, const struct env_var *env, size_t n, int secure)
{
    g_env = env;
    g_nenv = n;
    g_get_calls = 0;
    g_looked_up[0] = '\0';
    g_nwarn = 0;
    tc_config_parse(c, fake_getenv, secure, record_warn);
}

static void parse_one(struct tc_config *c, const char *name, const char *value)
{
    static struct env_var one;

    one.name = name;
    one.value = value;
    parse_env(c, &one, 1, 0);
}

/* The documented defaults, written out rather than taken from the parser. */
static void documented_defaults(struct tc_config *d)
{
    memset(d, 0, sizeof(*d));
    d->mode = TC_MODE_ON;
    d->stats_dest = TC_STATS_NONE;
    d->stats_format = TC_FMT_AUTO;
    d->max_bundles = 64;
    d->max_hosts = 256;
    d->stats_interval = 0;
    d->stats_signal = 0;
    d->share = 1;
    d->secure = 0;
}

static void assert_config_eq(const struct tc_config *got, const struct tc_config *want)
{
    ck_assert_int_eq(got->mode, want->mode);
    ck_assert_int_eq(got->stats_dest, want->stats_dest);
    ck_assert_str_eq(got->stats_path, want->stats_path);
    ck_assert_int_eq(got->stats_format, want->stats_format);
    ck_assert_uint_eq(got->max_bundles, want->max_bundles);
    ck_assert_uint_eq(got->max_hosts, want->max_hosts);
    ck_assert_uint_eq(got->stats_interval, want->stats_interval);
    ck_assert_int_eq(got->stats_signal, want->stats_signal);
    ck_assert_int_eq(got->share, want->share);
    ck_assert_int_eq(got->secure, want->secure);
}

/* ---------------------------------------------------------------- defaults */

START_TEST(defaults_when_unset)
{
    static const char *const names[] = {
        "TRUSTCACHE_MODE",         "TRUSTCACHE_STATS",     "TRUSTCACHE_STATS_FORMAT",
        "TRUSTCACHE_MAX_BUNDLES",  "TRUSTCACHE_MAX_HOSTS", "TRUSTCACHE_STATS_INTERVAL",
        "TRUSTCACHE_STATS_SIGNAL", "TRUSTCACHE_SHARE",
    };
    struct tc_config c, want;
    char seen[1100];
    size_t i;

    documented_defaults(&want);
    parse_env(&c, NULL, 0, 0);
    assert_config_eq(&c, &want);
    ck_assert_int_eq(g_nwarn, 0);
    ck_assert_uint_eq(TC_DEFAULT_MAX_BUNDLES, 64);
    /* Every documented variable is read (none skipped by mistake). */
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char item[64];

        snprintf(item, sizeof(item), ",%s,", names[i]);
        snprintf(seen, sizeof(seen), ",%s", g_looked_up);
        ck_assert_msg(strstr(seen, item) != NULL, "%s never read (read: %s)", names[i],
                      g_looked_up);
    }
}
END_TEST

START_TEST(unrelated_variables_ignored)
{
    static const struct env_var env[] = {
        {"TRUSTCACHE_MODES", "off"},
        {"trustcache_mode", "off"},
        {"TRUSTCACHE_BOGUS", "1"},
    };
    struct tc_config c, want;

    documented_defaults(&want);
    parse_env(&c, env, sizeof(env) / sizeof(env[0]), 0);
    assert_config_eq(&c, &want);
    ck_assert_int_eq(g_nwarn, 0);
}
END_TEST

/* ---------------------------------------------------------------- good values */

enum field { F_MODE, F_STATS, F_FORMAT, F_BUNDLES, F_HOSTS, F_INTERVAL, F_SIGNAL, F_SHARE };

struct good {
    const char *var;
    const char *value;
    enum field field;
    long want;
};

static const struct good good_values[] = {
    {"TRUSTCACHE_MODE", "on", F_MODE, TC_MODE_ON},
    {"TRUSTCACHE_MODE", "observe", F_MODE, TC_MODE_OBSERVE},
    {"TRUSTCACHE_MODE", "off", F_MODE, TC_MODE_OFF},
    {"TRUSTCACHE_STATS", "stderr", F_STATS, TC_STATS_STDERR},
    {"TRUSTCACHE_STATS", "/tmp/trustcache-%p.json", F_STATS, TC_STATS_FILE},
    {"TRUSTCACHE_STATS", "relative/stats.json", F_STATS, TC_STATS_FILE},
    {"TRUSTCACHE_STATS_FORMAT", "text", F_FORMAT, TC_FMT_TEXT},
    {"TRUSTCACHE_STATS_FORMAT", "json", F_FORMAT, TC_FMT_JSON},
    {"TRUSTCACHE_STATS_FORMAT", "prom", F_FORMAT, TC_FMT_PROM},
    {"TRUSTCACHE_MAX_BUNDLES", "1", F_BUNDLES, 1},
    {"TRUSTCACHE_MAX_BUNDLES", "128", F_BUNDLES, 128},
    {"TRUSTCACHE_MAX_BUNDLES", "65536", F_BUNDLES, 65536},
    {"TRUSTCACHE_MAX_BUNDLES", "007", F_BUNDLES, 7},
    {"TRUSTCACHE_MAX_HOSTS", "1", F_HOSTS, 1},
    {"TRUSTCACHE_MAX_HOSTS", "4096", F_HOSTS, 4096},
    {"TRUSTCACHE_MAX_HOSTS", "65536", F_HOSTS, 65536},
    {"TRUSTCACHE_STATS_INTERVAL", "0", F_INTERVAL, 0},
    {"TRUSTCACHE_STATS_INTERVAL", "30", F_INTERVAL, 30},
    {"TRUSTCACHE_STATS_INTERVAL", "86400", F_INTERVAL, 86400},
    {"TRUSTCACHE_STATS_SIGNAL", "USR1", F_SIGNAL, SIGUSR1},
    {"TRUSTCACHE_STATS_SIGNAL", "USR2", F_SIGNAL, SIGUSR2},
    {"TRUSTCACHE_STATS_SIGNAL", "SIGUSR1", F_SIGNAL, SIGUSR1},
    {"TRUSTCACHE_STATS_SIGNAL", "sigusr2", F_SIGNAL, SIGUSR2},
    {"TRUSTCACHE_SHARE", "0", F_SHARE, 0},
    {"TRUSTCACHE_SHARE", "1", F_SHARE, 1},
    {"TRUSTCACHE_SHARE", "off", F_SHARE, 0},
    {"TRUSTCACHE_SHARE", "on", F_SHARE, 1},
    {"TRUSTCACHE_SHARE", "no", F_SHARE, 0},
    {"TRUSTCACHE_SHARE", "yes", F_SHARE, 1},
};
#define N_GOOD ((int)(sizeof(good_values) / sizeof(good_values[0])))

static void apply_good(struct tc_config *c, const struct good *g)
{
    switch (g->field) {
    case F_MODE:
        c->mode = (enum tc_mode)g->want;
        break;
    case F_STATS:
        c->stats_dest = (enum tc_stats_dest)g->want;
        if (g->want == TC_STATS_FILE)
            snprintf(c->stats_path, sizeof(c->stats_path), "%s", g->value);
        break;
    case F_FORMAT:
        c->stats_format = (enum tc_stats_format)g->want;
        break;
    case F_BUNDLES:
        c->max_bundles = (unsigned)g->want;
        break;
    case F_HOSTS:
        c->max_hosts = (unsigned)g->want;
        break;
    case F_INTERVAL:
        c->stats_interval = (unsigned)g->want;
        break;
    case F_SIGNAL:
        c->stats_signal = (int)g->want;
        break;
    case F_SHARE:
        c->share = (int)g->want;
        break;
    }
}

/* A good value sets exactly its own field, silently. */
START_TEST(good_value_sets_field)
{
    const struct good *g = &good_values[_i];
    struct tc_config c, want;

    documented_defaults(&want);
    apply_good(&want, g);
    parse_one(&c, g->var, g->value);
    ck_assert_msg(g_nwarn == 0, "%s=%s warned: %s", g->var, g->value, g_warn[0]);
    assert_config_eq(&c, &want);
}
END_TEST

START_TEST(stats_path_longest_accepted)
{
    char *path = malloc(PATH_MAX);
    struct tc_config c;

    ck_assert_ptr_nonnull(path);
    memset(path, 'a', PATH_MAX - 1);
    path[0] = '/';
    path[PATH_MAX - 1] = '\0';
    parse_one(&c, "TRUSTCACHE_STATS", path);
    ck_assert_int_eq(g_nwarn, 0);
    ck_assert_int_eq(c.stats_dest, TC_STATS_FILE);
    ck_assert_str_eq(c.stats_path, path);
    free(path);
}
END_TEST

/* Every variable at once, all good: all applied, no warning. */
START_TEST(all_good_together)
{
    static const struct env_var env[] = {
        {"TRUSTCACHE_MODE", "observe"},      {"TRUSTCACHE_STATS", "/run/tc-%p.json"},
        {"TRUSTCACHE_STATS_FORMAT", "text"}, {"TRUSTCACHE_MAX_BUNDLES", "3"},
        {"TRUSTCACHE_MAX_HOSTS", "9"},       {"TRUSTCACHE_STATS_INTERVAL", "60"},
        {"TRUSTCACHE_STATS_SIGNAL", "USR2"}, {"TRUSTCACHE_SHARE", "0"},
    };
    struct tc_config c, want;

    documented_defaults(&want);
    want.mode = TC_MODE_OBSERVE;
    want.stats_dest = TC_STATS_FILE;
    strcpy(want.stats_path, "/run/tc-%p.json");
    want.stats_format = TC_FMT_TEXT;
    want.max_bundles = 3;
    want.max_hosts = 9;
    want.stats_interval = 60;
    want.stats_signal = SIGUSR2;
    want.share = 0;
    parse_env(&c, env, sizeof(env) / sizeof(env[0]), 0);
    ck_assert_int_eq(g_nwarn, 0);
    assert_config_eq(&c, &want);
}
END_TEST

/* ---------------------------------------------------------------- bad values */

struct bad {
    const char *var;
    const char *value;
};

static const struct bad bad_values[] = {
    /* garbage */
    {"TRUSTCACHE_MODE", "bogus"},
    {"TRUSTCACHE_MODE", "1"},
    {"TRUSTCACHE_STATS_FORMAT", "xml"},
    {"TRUSTCACHE_MAX_BUNDLES", "many"},
    {"TRUSTCACHE_MAX_BUNDLES", "0x10"},
    {"TRUSTCACHE_MAX_BUNDLES", "1.5"},
    {"TRUSTCACHE_MAX_HOSTS", "lots"},
    {"TRUSTCACHE_STATS_INTERVAL", "soon"},
    {"TRUSTCACHE_STATS_INTERVAL", "1e3"},
    {"TRUSTCACHE_STATS_SIGNAL", "HUP"},
    {"TRUSTCACHE_STATS_SIGNAL", "SIG"},
    {"TRUSTCACHE_STATS_SIGNAL", "10"},
    {"TRUSTCACHE_STATS_SIGNAL", "USR3"},
    {"TRUSTCACHE_SHARE", "maybe"},
    {"TRUSTCACHE_SHARE", "2"},
    /* signs and negatives */
    {"TRUSTCACHE_MAX_BUNDLES", "-1"},
    {"TRUSTCACHE_MAX_BUNDLES", "+5"},
    {"TRUSTCACHE_MAX_HOSTS", "-256"},
    {"TRUSTCACHE_STATS_INTERVAL", "-1"},
    {"TRUSTCACHE_SHARE", "-1"},
    /* leading blanks: as much a non-number as trailing ones */
    {"TRUSTCACHE_MAX_BUNDLES", " 12"},
    {"TRUSTCACHE_MAX_BUNDLES", " +5"},
    {"TRUSTCACHE_MAX_HOSTS", "\t9"},
    {"TRUSTCACHE_STATS_INTERVAL", " 30"},
    /* out of range and overflow */
    {"TRUSTCACHE_MAX_BUNDLES", "0"},
    {"TRUSTCACHE_MAX_BUNDLES", "65537"},
    {"TRUSTCACHE_MAX_BUNDLES", "4294967297"},
    {"TRUSTCACHE_MAX_BUNDLES", "18446744073709551616"},
    {"TRUSTCACHE_MAX_BUNDLES", "99999999999999999999999999"},
    {"TRUSTCACHE_MAX_HOSTS", "0"},
    {"TRUSTCACHE_MAX_HOSTS", "65537"},
    {"TRUSTCACHE_MAX_HOSTS", "18446744073709551615"},
    {"TRUSTCACHE_STATS_INTERVAL", "86401"},
    {"TRUSTCACHE_STATS_INTERVAL", "4294967296"},
    /* trailing junk */
    {"TRUSTCACHE_MODE", "on "},
    {"TRUSTCACHE_MODE", "offx"},
    {"TRUSTCACHE_STATS_FORMAT", "json "},
    {"TRUSTCACHE_MAX_BUNDLES", "12abc"},
    {"TRUSTCACHE_MAX_BUNDLES", "12 "},
    {"TRUSTCACHE_MAX_HOSTS", "7\n"},
    {"TRUSTCACHE_STATS_INTERVAL", "5s"},
    {"TRUSTCACHE_STATS_SIGNAL", "USR1x"},
    {"TRUSTCACHE_SHARE", "1 "},
    {"TRUSTCACHE_SHARE", "yes please"},
};
#define N_BAD ((int)(sizeof(bad_values) / sizeof(bad_values[0])))

/* Checks the single warning a bad `var` value must produce. */
static void assert_one_warning(const char *var, const char *value)
{
    ck_assert_msg(g_nwarn == 1, "%s=\"%s\": %d warnings, want exactly 1", var, value, g_nwarn);
    ck_assert_msg(!strncmp(g_warn[0], "trustcache:", 11),
                  "%s: warning does not start with "
                  "\"trustcache:\": %s",
                  var, g_warn[0]);
    ck_assert_msg(strstr(g_warn[0], var) != NULL, "warning does not name %s: %s", var, g_warn[0]);
}

START_TEST(bad_value_warns_once_keeps_default)
{
    const struct bad *b = &bad_values[_i];
    struct tc_config c, want;

    documented_defaults(&want);
    parse_one(&c, b->var, b->value);
    assert_one_warning(b->var, b->value);
    assert_config_eq(&c, &want);
}
END_TEST

/* An empty value is the same as unset (`VAR= command`): no warning, the default. */
static const char *const every_var[] = {
    "TRUSTCACHE_MODE",         "TRUSTCACHE_STATS",     "TRUSTCACHE_STATS_FORMAT",
    "TRUSTCACHE_MAX_BUNDLES",  "TRUSTCACHE_MAX_HOSTS", "TRUSTCACHE_STATS_INTERVAL",
    "TRUSTCACHE_STATS_SIGNAL", "TRUSTCACHE_SHARE",
};
#define N_VARS ((int)(sizeof(every_var) / sizeof(every_var[0])))

START_TEST(empty_value_is_unset)
{
    struct tc_config c, want;

    documented_defaults(&want);
    parse_one(&c, every_var[_i], "");
    ck_assert_int_eq(g_nwarn, 0);
    assert_config_eq(&c, &want);
}
END_TEST

/* A bad value after a good one of another variable: only the bad one reverts. */
START_TEST(bad_value_does_not_disturb_others)
{
    static const struct env_var env[] = {
        {"TRUSTCACHE_MODE", "observe"},
        {"TRUSTCACHE_MAX_BUNDLES", "99999"},
        {"TRUSTCACHE_MAX_HOSTS", "12"},
    };
    struct tc_config c, want;

    documented_defaults(&want);
    want.mode = TC_MODE_OBSERVE;
    want.max_hosts = 12;
    parse_env(&c, env, sizeof(env) / sizeof(env[0]), 0);
    assert_one_warning("TRUSTCACHE_MAX_BUNDLES", "99999");
    assert_config_eq(&c, &want);
}
END_TEST

/* Eight bad variables: eight warnings, one each, in order, all defaults. */
START_TEST(every_variable_bad_at_once)
{
    char *long_path = malloc(PATH_MAX + 1);
    struct tc_config c, want;
    int i;

    ck_assert_ptr_nonnull(long_path);
    memset(long_path, 'a', PATH_MAX);
    long_path[PATH_MAX] = '\0';
    {
        const struct env_var env[] = {
            {"TRUSTCACHE_MODE", "x"},         {"TRUSTCACHE_STATS", long_path},
            {"TRUSTCACHE_STATS_FORMAT", "x"}, {"TRUSTCACHE_MAX_BUNDLES", "x"},
            {"TRUSTCACHE_MAX_HOSTS", "x"},    {"TRUSTCACHE_STATS_INTERVAL", "x"},
            {"TRUSTCACHE_STATS_SIGNAL", "x"}, {"TRUSTCACHE_SHARE", "x"},
        };

        documented_defaults(&want);
        parse_env(&c, env, sizeof(env) / sizeof(env[0]), 0);
        ck_assert_int_eq(g_nwarn, 8);
        for (i = 0; i < 8; i++) {
            ck_assert_msg(!strncmp(g_warn[i], "trustcache:", 11), "%s", g_warn[i]);
            ck_assert_msg(strstr(g_warn[i], env[i].name) != NULL, "warning %d names %s? %s", i,
                          env[i].name, g_warn[i]);
        }
    }
    assert_config_eq(&c, &want);
    free(long_path);
}
END_TEST

START_TEST(stats_path_too_long)
{
    char *path = malloc(PATH_MAX + 1);
    struct tc_config c, want;

    ck_assert_ptr_nonnull(path);
    memset(path, 'a', PATH_MAX);
    path[0] = '/';
    path[PATH_MAX] = '\0';
    documented_defaults(&want);
    parse_one(&c, "TRUSTCACHE_STATS", path);
    assert_one_warning("TRUSTCACHE_STATS", "(PATH_MAX bytes)");
    assert_config_eq(&c, &want);
    /* The echoed value is cut short: the line stays one bounded line. */
    ck_assert_uint_lt(strlen(g_warn[0]), 600);
    free(path);
}
END_TEST

/* A value carrying a newline or other control characters must not turn the
 * warning into several lines (or forge a second "trustcache:" line). */
START_TEST(warning_is_one_line_whatever_the_value)
{
    static const struct bad tricky[] = {
        {"TRUSTCACHE_MODE", "on\ntrustcache: forged line"},
        {"TRUSTCACHE_MAX_BUNDLES", "1\r\n2"},
        {"TRUSTCACHE_STATS_FORMAT", "json\n"},
    };
    size_t i;
    const char *p;

    for (i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
        struct tc_config c, want;

        documented_defaults(&want);
        parse_one(&c, tricky[i].var, tricky[i].value);
        assert_one_warning(tricky[i].var, tricky[i].value);
        assert_config_eq(&c, &want);
        for (p = g_warn[0]; *p; p++)
            ck_assert_msg((unsigned char)*p >= 0x20,
                          "%s: warning holds control character 0x%02x: \"%s\"", tricky[i].var,
                          (unsigned char)*p, g_warn[0]);
    }
}
END_TEST

START_TEST(null_warn_callback_is_safe)
{
    static const struct env_var env[] = {
        {"TRUSTCACHE_MODE", "bogus"},
        {"TRUSTCACHE_MAX_BUNDLES", "-3"},
    };
    struct tc_config c, want;

    documented_defaults(&want);
    g_env = env;
    g_nenv = sizeof(env) / sizeof(env[0]);
    tc_config_parse(&c, fake_getenv, 0, NULL);
    assert_config_eq(&c, &want);
}
END_TEST

/* ---------------------------------------------------------------- secure */

START_TEST(secure_ignores_everything)
{
    static const struct env_var env[] = {
        {"TRUSTCACHE_MODE", "off"},           {"TRUSTCACHE_STATS", "/tmp/x.json"},
        {"TRUSTCACHE_STATS_FORMAT", "bogus"}, {"TRUSTCACHE_MAX_BUNDLES", "-1"},
        {"TRUSTCACHE_MAX_HOSTS", "2"},        {"TRUSTCACHE_STATS_INTERVAL", "x"},
        {"TRUSTCACHE_STATS_SIGNAL", "USR1"},  {"TRUSTCACHE_SHARE", "0"},
    };
    struct tc_config c, want;

    documented_defaults(&want);
    want.secure = 1;
    parse_env(&c, env, sizeof(env) / sizeof(env[0]), 1);
    ck_assert_int_eq(g_nwarn, 0);
    assert_config_eq(&c, &want);
    /* The environment belongs to someone else: it is not even read. */
    ck_assert_int_eq(g_get_calls, 0);
}
END_TEST

START_TEST(mode_names)
{
    ck_assert_str_eq(tc_mode_name(TC_MODE_ON), "on");
    ck_assert_str_eq(tc_mode_name(TC_MODE_OBSERVE), "observe");
    ck_assert_str_eq(tc_mode_name(TC_MODE_OFF), "off");
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *t;

    t = tcase_create("defaults");
    tcase_add_test(t, defaults_when_unset);
    tcase_add_test(t, unrelated_variables_ignored);
    tcase_add_test(t, mode_names);
    suite_add_tcase(s, t);

    t = tcase_create("good");
    tcase_add_loop_test(t, good_value_sets_field, 0, N_GOOD);
    tcase_add_test(t, stats_path_longest_accepted);
    tcase_add_test(t, all_good_together);
    suite_add_tcase(s, t);

    t = tcase_create("bad");
    tcase_add_loop_test(t, bad_value_warns_once_keeps_default, 0, N_BAD);
    tcase_add_loop_test(t, empty_value_is_unset, 0, N_VARS);
    tcase_add_test(t, bad_value_does_not_disturb_others);
    tcase_add_test(t, every_variable_bad_at_once);
    tcase_add_test(t, stats_path_too_long);
    tcase_add_test(t, warning_is_one_line_whatever_the_value);
    tcase_add_test(t, null_warn_callback_is_safe);
    suite_add_tcase(s, t);

    t = tcase_create("secure");
    tcase_add_test(t, secure_ignores_everything);
    suite_add_tcase(s, t);
    return s;
}
