/*
 * stats_dump.c: the path template (%p, %%), the atomic write (temp file and
 * rename, never through a symlink, nothing left behind), and the exit dump
 * as configured by TRUSTCACHE_STATS.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/stats.h"
#include "report/stats_dump.h"
#include "unit.h"

/* ---------------------------------------------------------------- expand_path */

struct expand_case {
    const char *tmpl;
    long pid;
    const char *want;
};

static const struct expand_case expand_cases[] = {
    {"/tmp/stats-%p.json", 1234, "/tmp/stats-1234.json"},
    {"/tmp/stats.json", 1234, "/tmp/stats.json"},
    {"%p", 7, "7"},
    {"%p-%p", 42, "42-42"},
    {"100%%", 1, "100%"},
    {"%%p", 99, "%p"},
    {"%%%p", 99, "%99"},
    {"a%b", 5, "a%b"}, /* an unknown escape stays as it is */
    {"trailing%", 5, "trailing%"},
    {"/run/%p/%%/x", 4194304, "/run/4194304/%/x"},
    {"", 5, ""},
};
#define N_EXPAND ((int)(sizeof(expand_cases) / sizeof(expand_cases[0])))

START_TEST(expand_path)
{
    const struct expand_case *ec = &expand_cases[_i];
    char out[256];

    /* A sentinel: an output left unwritten shows up as itself. */
    memset(out, 0, sizeof(out));
    strcpy(out, "(unwritten)");
    ck_assert_msg(tc_stats_expand_path(ec->tmpl, ec->pid, out, sizeof(out)) == 1,
                  "\"%s\" did not expand", ec->tmpl);
    ck_assert_msg(!strcmp(out, ec->want), "\"%s\" with pid %ld: got \"%s\", want \"%s\"", ec->tmpl,
                  ec->pid, out, ec->want);
}
END_TEST

START_TEST(expand_path_bounds)
{
    char out[32];

    /* "/x/1234.json" is 12 bytes: fits in 13, not in 12. */
    ck_assert_int_eq(tc_stats_expand_path("/x/%p.json", 1234, out, 13), 1);
    ck_assert_str_eq(out, "/x/1234.json");
    ck_assert_int_eq(tc_stats_expand_path("/x/%p.json", 1234, out, 12), 0);
    /* The pid is what overflows. */
    ck_assert_int_eq(tc_stats_expand_path("/x/%p", 123456789, out, 10), 0);
    ck_assert_int_eq(tc_stats_expand_path("/x/%p", 123456789, out, 13), 1);
    ck_assert_str_eq(out, "/x/123456789");
    ck_assert_int_eq(tc_stats_expand_path("50%%", 1, out, 3), 0);
    ck_assert_int_eq(tc_stats_expand_path("50%%", 1, out, 4), 1);
    ck_assert_str_eq(out, "50%");
}
END_TEST

START_TEST(expand_path_too_long)
{
    char *tmpl = malloc(PATH_MAX + 16), out[PATH_MAX];

    ck_assert_ptr_nonnull(tmpl);
    memset(tmpl, 'a', PATH_MAX - 3);
    strcpy(tmpl + PATH_MAX - 3, "%p");
    ck_assert_int_eq(tc_stats_expand_path(tmpl, 12345, out, sizeof(out)), 0);
    strcpy(tmpl + PATH_MAX - 3, "%%");
    ck_assert_int_eq(tc_stats_expand_path(tmpl, 12345, out, sizeof(out)), 1);
    ck_assert_uint_eq(strlen(out), PATH_MAX - 2);
    free(tmpl);
}
END_TEST

/* ---------------------------------------------------------------- write_atomic */

static void assert_file_is(const char *path, const char *want)
{
    struct stat st;
    size_t len;
    char *got;

    ck_assert_msg(lstat(path, &st) == 0, "lstat(%s): %s", path, strerror(errno));
    ck_assert_msg(S_ISREG(st.st_mode), "%s is not a regular file", path);
    got = unit_read_file(path, &len);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_str_eq(got, want);
    free(got);
}

START_TEST(write_atomic_creates)
{
    char dir[4096], path[4200];
    struct stat st;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "stats.json");
    ck_assert_int_eq(tc_write_atomic(path, "{\"a\": 1}\n", 9), 1);
    assert_file_is(path, "{\"a\": 1}\n");
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0077 & ~0044, 0); /* not group/world-writable */
    ck_assert_int_eq(unit_count_entries(dir), 1);
}
END_TEST

START_TEST(write_atomic_empty_data)
{
    char dir[4096], path[4200];

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "stats.json");
    ck_assert_int_eq(tc_write_atomic(path, "", 0), 1);
    assert_file_is(path, "");
    ck_assert_int_eq(unit_count_entries(dir), 1);
}
END_TEST

START_TEST(write_atomic_replaces)
{
    char dir[4096], path[4200], other[4200];
    struct stat before, after, linked;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "stats.json");
    unit_path(other, sizeof(other), dir, "hardlink");
    unit_write_file(path, "a much longer old content than the new one\n", 43);
    ck_assert_int_eq(link(path, other), 0);
    ck_assert_int_eq(stat(path, &before), 0);
    ck_assert_int_eq(tc_write_atomic(path, "new\n", 4), 1);
    assert_file_is(path, "new\n");
    /* Replaced by rename, not rewritten in place: another inode, and the old
     * one (still linked elsewhere) keeps its content. */
    ck_assert_int_eq(stat(path, &after), 0);
    ck_assert(before.st_ino != after.st_ino);
    ck_assert_int_eq(stat(other, &linked), 0);
    ck_assert(linked.st_ino == before.st_ino);
    assert_file_is(other, "a much longer old content than the new one\n");
    ck_assert_int_eq(unit_count_entries(dir), 2);
}
END_TEST

START_TEST(write_atomic_does_not_follow_symlink)
{
    char dir[4096], path[4200], target[4200], dangling[4200], absent[4200];
    struct stat st;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "stats.json");
    unit_path(target, sizeof(target), dir, "precious");
    unit_write_file(target, "do not touch\n", 13);
    ck_assert_int_eq(symlink(target, path), 0);
    ck_assert_int_eq(tc_write_atomic(path, "stats\n", 6), 1);
    assert_file_is(target, "do not touch\n");
    ck_assert_int_eq(lstat(path, &st), 0);
    ck_assert_msg(!S_ISLNK(st.st_mode), "the symlink is still there");
    assert_file_is(path, "stats\n");
    ck_assert_int_eq(unit_count_entries(dir), 2);

    /* A dangling symlink: its target must not be created. */
    unit_path(dangling, sizeof(dangling), dir, "dangling.json");
    unit_path(absent, sizeof(absent), dir, "created-through-link");
    ck_assert_int_eq(symlink(absent, dangling), 0);
    ck_assert_int_eq(tc_write_atomic(dangling, "x", 1), 1);
    ck_assert_int_eq(access(absent, F_OK), -1);
    assert_file_is(dangling, "x");
    ck_assert_int_eq(unit_count_entries(dir), 3);
}
END_TEST

START_TEST(write_atomic_missing_directory)
{
    char dir[4096], sub[4200], path[4300];

    unit_tmpdir(dir, sizeof(dir));
    unit_path(sub, sizeof(sub), dir, "absent");
    unit_path(path, sizeof(path), sub, "stats.json");
    errno = 0;
    ck_assert_int_eq(tc_write_atomic(path, "x", 1), 0);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(access(sub, F_OK), -1);
    ck_assert_int_eq(unit_count_entries(dir), 0);
}
END_TEST

/* The final name is a directory: rename fails; the temp file is removed. */
START_TEST(write_atomic_onto_directory)
{
    char dir[4096], path[4200];

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "stats.json");
    ck_assert_int_eq(mkdir(path, 0700), 0);
    errno = 0;
    ck_assert_int_eq(tc_write_atomic(path, "x", 1), 0);
    ck_assert_int_ne(errno, 0);
    ck_assert_int_eq(unit_count_entries(dir), 1);
    ck_assert_int_eq(unit_count_entries(path), 0);
}
END_TEST

START_TEST(write_atomic_name_too_long)
{
    char *path = malloc(PATH_MAX);

    ck_assert_ptr_nonnull(path);
    memset(path, 'a', PATH_MAX - 8);
    path[0] = '/';
    path[PATH_MAX - 8] = '\0';
    errno = 0;
    ck_assert_int_eq(tc_write_atomic(path, "x", 1), 0);
    ck_assert_int_eq(errno, ENAMETOOLONG);
    free(path);
}
END_TEST

/* Repeated writes of the same name: each replaces the last, no temp left. */
START_TEST(write_atomic_repeated)
{
    char dir[4096], path[4200], want[32];
    int i;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "stats.json");
    for (i = 0; i < 50; i++) {
        snprintf(want, sizeof(want), "round %d\n", i);
        ck_assert_int_eq(tc_write_atomic(path, want, strlen(want)), 1);
    }
    assert_file_is(path, "round 49\n");
    ck_assert_int_eq(unit_count_entries(dir), 1);
}
END_TEST

/* ---------------------------------------------------------------- the dump */

/*
 * tc_stats_dump() reads the configuration once per process; every test runs
 * in its own child (CK_FORK), so each sets the environment first.
 */
static void stats_env(const char *stats, const char *format)
{
    unsetenv("TRUSTCACHE_MODE");
    unsetenv("TRUSTCACHE_STATS_FORMAT");
    if (stats)
        setenv("TRUSTCACHE_STATS", stats, 1);
    else
        unsetenv("TRUSTCACHE_STATS");
    if (format)
        setenv("TRUSTCACHE_STATS_FORMAT", format, 1);
}

START_TEST(dump_writes_json_file)
{
    char dir[4096], tmpl[4200], path[4200], canon[8192];

    unit_tmpdir(dir, sizeof(dir));
    unit_path(tmpl, sizeof(tmpl), dir, "stats-%p.json");
    snprintf(path, sizeof(path), "%s/stats-%ld.json", dir, (long)getpid());
    stats_env(tmpl, NULL);
    unit_ossl_seen_value = 1;
    tc_counters.ca_loads_requested = 5;
    tc_counters.ca_loads_avoided = 4;
    tc_counters.ca_loads_performed = 1;
    ck_assert_int_eq(tc_stats_dump(), 1);
    ck_assert_int_eq(unit_count_entries(dir), 1);
    ck_assert_msg(unit_json_canonical(path, NULL, canon, sizeof(canon)), "%s", canon);
    ck_assert_ptr_nonnull(strstr(canon, "\"ca_loads_requested\": 5,"));
    ck_assert_ptr_nonnull(strstr(canon, "\"ca_loads_avoided\": 4,"));
    ck_assert_ptr_nonnull(strstr(canon, "\"bundles\": [],"));
    ck_assert_ptr_nonnull(strstr(canon, "\"shim\": {\"mode\": \"on\", \"openssl_version\": "
                                        "\"not loaded\", \"resolution\": \"none\", \"version\": "
                                        "\"" TC_VERSION "\"}"));
}
END_TEST

START_TEST(dump_text_format_to_file)
{
    char dir[4096], path[4200], *text;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "stats.txt");
    stats_env(path, "text");
    unit_ossl_seen_value = 1;
    tc_counters.ca_loads_requested = 3;
    ck_assert_int_eq(tc_stats_dump(), 1);
    text = unit_read_file(path, NULL);
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(strstr(text, "CA loads requested"));
    ck_assert_int_ne(text[0], '{');
    free(text);
}
END_TEST

/* A process that never touched OpenSSL has nothing to report: no file. */
START_TEST(dump_nothing_without_openssl)
{
    char dir[4096], tmpl[4200];

    unit_tmpdir(dir, sizeof(dir));
    unit_path(tmpl, sizeof(tmpl), dir, "stats-%p.json");
    stats_env(tmpl, NULL);
    unit_ossl_seen_value = 0;
    ck_assert_int_eq(tc_stats_dump(), 1);
    ck_assert_int_eq(unit_count_entries(dir), 0);
}
END_TEST

START_TEST(dump_nothing_when_unset)
{
    char dir[4096];

    unit_tmpdir(dir, sizeof(dir));
    stats_env(NULL, NULL);
    unit_ossl_seen_value = 1;
    ck_assert_int_eq(tc_stats_dump(), 1);
    ck_assert_int_eq(unit_count_entries(dir), 0);
}
END_TEST

/* Cannot write: one "trustcache:" line on stderr, a failure, nothing else. */
START_TEST(dump_unwritable_reports_failure)
{
    char dir[4096], path[4300], errdir[4096], errpath[4200], *err;
    int fd, saved = dup(STDERR_FILENO);

    unit_tmpdir(dir, sizeof(dir));
    unit_tmpdir(errdir, sizeof(errdir));
    unit_path(path, sizeof(path), dir, "absent/stats.json");
    unit_path(errpath, sizeof(errpath), errdir, "stderr");
    stats_env(path, NULL);
    unit_ossl_seen_value = 1;
    fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_ge(saved, 0);
    dup2(fd, STDERR_FILENO);
    close(fd);
    ck_assert_int_eq(tc_stats_dump(), 0);
    dup2(saved, STDERR_FILENO);
    close(saved);
    ck_assert_int_eq(unit_count_entries(dir), 0);
    err = unit_read_file(errpath, NULL);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(!strncmp(err, "trustcache:", 11), "stderr: %s", err);
    ck_assert_ptr_nonnull(strstr(err, "absent/stats.json"));
    ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
    free(err);
}
END_TEST

Suite *stats_dump_suite(void)
{
    Suite *s = suite_create("stats_dump");
    TCase *t;

    t = tcase_create("expand");
    tcase_add_loop_test(t, expand_path, 0, N_EXPAND);
    tcase_add_test(t, expand_path_bounds);
    tcase_add_test(t, expand_path_too_long);
    suite_add_tcase(s, t);

    t = tcase_create("write");
    tcase_add_test(t, write_atomic_creates);
    tcase_add_test(t, write_atomic_empty_data);
    tcase_add_test(t, write_atomic_replaces);
    tcase_add_test(t, write_atomic_does_not_follow_symlink);
    tcase_add_test(t, write_atomic_missing_directory);
    tcase_add_test(t, write_atomic_onto_directory);
    tcase_add_test(t, write_atomic_name_too_long);
    tcase_add_test(t, write_atomic_repeated);
    suite_add_tcase(s, t);

    t = tcase_create("dump");
    tcase_set_timeout(t, 30);
    tcase_add_test(t, dump_writes_json_file);
    tcase_add_test(t, dump_text_format_to_file);
    tcase_add_test(t, dump_nothing_without_openssl);
    tcase_add_test(t, dump_nothing_when_unset);
    tcase_add_test(t, dump_unwritable_reports_failure);
    suite_add_tcase(s, t);
    return s;
}
