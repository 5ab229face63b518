/*
 * Runs every unit suite, each test in a forked child, then prints one PASS or
 * FAIL line per test (from check's TAP log, which names each test), check's
 * own summary, and the project's "N passed, M failed" line.
 *
 * CK_RUN_SUITE / CK_RUN_CASE (check's own variables) select a subset.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    if (remove(path) != 0)
        fprintf(stderr, "unit: cannot remove %s: %s\n", path, strerror(errno));
    return 0;
}

/*
 * check's TAP log names each test ("ok N - FILE:TCASE:TEST: MESSAGE"); its
 * result list, in the same order, has the line of the failing assertion.
 * Loop tests repeat a name, so repeats are numbered.
 */
struct name {
    char tcase[128];
    char test[128];
};

static int read_names(const char *tap, struct name **out)
{
    FILE *f = fopen(tap, "r");
    struct name *names = NULL;
    char *line = NULL;
    size_t cap = 0;
    int n = 0;

    if (!f) {
        fprintf(stderr, "unit: cannot read %s: %s\n", tap, strerror(errno));
        return 0;
    }
    while (getline(&line, &cap, f) > 0) {
        char *p = strstr(line, " - "), *tc, *t, *end;
        struct name *bigger;

        if ((strncmp(line, "ok ", 3) && strncmp(line, "not ok ", 7)) || !p)
            continue;
        if (!(tc = strchr(p + 3, ':')) || !(t = strchr(tc + 1, ':')) || !(end = strchr(t + 1, ':')))
            continue;
        if (!(bigger = realloc(names, sizeof(*names) * (size_t)(n + 1))))
            break;
        names = bigger;
        snprintf(names[n].tcase, sizeof(names[n].tcase), "%.*s", (int)(t - tc - 1), tc + 1);
        snprintf(names[n].test, sizeof(names[n].test), "%.*s", (int)(end - t - 1), t + 1);
        n++;
    }
    free(line);
    fclose(f);
    *out = names;
    return n;
}

static void print_results(SRunner *sr, const char *tap)
{
    TestResult **res = srunner_results(sr);
    int nres = srunner_ntests_run(sr), i, j, iter;
    struct name *names = NULL;
    int nnames = read_names(tap, &names);

    for (i = 0; i < nres; i++) {
        int pass = tr_rtype(res[i]) == CK_PASS;
        char label[300];

        if (nnames == nres) {
            for (iter = 0, j = i - 1; j >= 0 && !strcmp(names[j].tcase, names[i].tcase) &&
                                      !strcmp(names[j].test, names[i].test);
                 j--)
                iter++;
            snprintf(label, sizeof(label), "%s:%s[%d]", names[i].tcase, names[i].test, iter);
        } else {
            snprintf(label, sizeof(label), "%s", tr_tcname(res[i]));
        }
        if (pass)
            printf("PASS %s\n", label);
        else
            printf("FAIL %s: %s (%s:%d)\n", label, tr_msg(res[i]), tr_lfile(res[i]),
                   tr_lno(res[i]));
    }
    free(names);
    free(res);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char scratch[4096], tap[4200];
    SRunner *sr;
    int run, failed;

    snprintf(scratch, sizeof(scratch), "%s/tc-unit.XXXXXX", tmp);
    if (!mkdtemp(scratch)) {
        fprintf(stderr, "unit: mkdtemp(%s): %s\n", scratch, strerror(errno));
        return 2;
    }
    setenv("TC_UNIT_TMP", scratch, 1);
    snprintf(tap, sizeof(tap), "%s/results.tap", scratch);

    sr = srunner_create(config_suite());
    srunner_set_tap(sr, tap);
    srunner_add_suite(sr, fingerprint_suite());
    srunner_add_suite(sr, bundle_cache_suite());
    srunner_add_suite(sr, stats_render_suite());
    srunner_add_suite(sr, stats_dump_suite());
    /* Each test in its own process: the shim's globals (counters, the parsed
     * configuration) start fresh, and a crash fails one test, not the run. */
    srunner_set_fork_status(sr, CK_FORK);
    srunner_run_all(sr, CK_SILENT);

    fflush(stdout);
    print_results(sr, tap);
    fflush(stdout);
    srunner_print(sr, CK_MINIMAL);
    run = srunner_ntests_run(sr);
    failed = srunner_ntests_failed(sr);
    printf("%d passed, %d failed\n", run - failed, failed);
    srunner_free(sr);
    nftw(scratch, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return failed == 0 && run > 0 ? 0 : 1;
}
