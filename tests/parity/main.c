/*
 * parity-harness --fixtures DIR --scratch DIR [--threads N] [--timeout S]
 *                (--list | --all | NAME...)
 *
 *   --list   one line per scenario: "NAME MIN_AVOIDED MIN_SHARED WARNINGS"
 *   --all    every scenario, in table order, in this one process
 *   NAME...  the named scenarios, in the order given
 *   --timeout  SIGALRM ends the process when one scenario takes more than S
 *              seconds (default 60): a deadlock is reported as a failure
 *              instead of hanging the suite
 *
 * The transcript goes to stdout. Exit status: 0, 1 when a scenario's own
 * expectation broke (the transcript says which), 2 on usage errors.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>

#include "harness.h"

int parity_threads = 8;
int parity_timeout = 60;

static void usage(void)
{
    fprintf(stderr, "usage: parity-harness --fixtures DIR --scratch DIR [--threads N] "
                    "[--timeout S] (--list | --skipped | --all | NAME...)\n");
    exit(2);
}

/*
 * env-unset loads the system's own default CA file (OPENSSLDIR/cert.pem).
 * Where there is none (Debian 11 has only the hash directory), every such
 * load fails alike with and without the shim, and nothing is there to avoid.
 */
static int min_avoided(const struct scenario *sc)
{
    if (strcmp(sc->name, "env-unset") == 0 && access(X509_get_default_cert_file(), R_OK) != 0)
        return 0;
    return sc->min_avoided;
}

static const struct scenario *find(const char *name)
{
    size_t i;

    for (i = 0; i < n_scenarios; i++)
        if (strcmp(scenarios[i].name, name) == 0)
            return &scenarios[i];
    return NULL;
}

/* Each scenario starts from the same state: no default-path overrides, an
 * empty error queue, and its own scratch directory. */
static void run(const struct scenario *sc)
{
    say("== %s", sc->name);
    alarm((unsigned)parity_timeout);
    unsetenv("SSL_CERT_FILE");
    unsetenv("SSL_CERT_DIR");
    ERR_clear_error();
    scratch_begin(sc->name);
    sc->fn();
    say("-- left on the error queue:");
    show_errors();
    say("== end %s", sc->name);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *fixtures = NULL, *scratch_base = NULL;
    int i, list = 0, skipped = 0, all = 0, first_name = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--fixtures") == 0 && i + 1 < argc)
            fixtures = argv[++i];
        else if (strcmp(argv[i], "--scratch") == 0 && i + 1 < argc)
            scratch_base = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            parity_threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            parity_timeout = atoi(argv[++i]);
        else if (strcmp(argv[i], "--list") == 0)
            list = 1;
        else if (strcmp(argv[i], "--skipped") == 0)
            skipped = 1;
        else if (strcmp(argv[i], "--all") == 0)
            all = 1;
        else if (argv[i][0] == '-')
            usage();
        else {
            first_name = i;
            break;
        }
    }

    if (skipped) {
        for (size_t k = 0; skipped_scenarios[k].name; k++)
            printf("%s %s\n", skipped_scenarios[k].name, skipped_scenarios[k].why);
        return 0;
    }
    if (list) {
        for (size_t k = 0; k < n_scenarios; k++)
            printf("%s %d %d %d\n", scenarios[k].name, min_avoided(&scenarios[k]),
                   scenarios[k].min_shared, scenarios[k].warnings);
        return 0;
    }
    if (!fixtures || !scratch_base || parity_threads < 1 || parity_timeout < 1 ||
        (!all && !first_name))
        usage();
    for (i = first_name; !all && i < argc; i++)
        if (!find(argv[i])) {
            fprintf(stderr, "parity-harness: no scenario named %s\n", argv[i]);
            return 2;
        }

    /* Line buffering keeps the order of parent and fork-child lines. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    fixtures_init(fixtures, scratch_base);
    if (all)
        for (size_t k = 0; k < n_scenarios; k++)
            run(&scenarios[k]);
    else
        for (i = first_name; i < argc; i++)
            run(find(argv[i]));
    return expectations_failed() ? 1 : 0;
}
