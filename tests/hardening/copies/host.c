/*
 * Host of the two-copies test: dlopen()s each module RTLD_LOCAL, as Python
 * and other interpreters load their extension modules, and runs it.
 *
 *   host FIXTURES LABEL=MODULE.so ...
 *
 * Built twice: plainly (no OpenSSL in the global scope) and with
 * -DHOST_LINKS_SSL, linked to the system libssl, which then sits in the
 * global scope and also runs the module code itself first (label "host").
 * Exit status: the number of modules that reported a problem.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

typedef int (*run_fn)(const char *label, const char *fixtures);

#ifdef HOST_LINKS_SSL
int host_run(const char *label, const char *fixtures);
#endif

static int run_module(const char *spec, const char *fixtures)
{
    char label[64];
    const char *eq = strchr(spec, '=');
    void *h;
    run_fn run;

    if (!eq || (size_t)(eq - spec) >= sizeof(label)) {
        printf("bad module spec %s\n", spec);
        return 1;
    }
    memcpy(label, spec, (size_t)(eq - spec));
    label[eq - spec] = '\0';
    h = dlopen(eq + 1, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        printf("%s: dlopen failed: %s\n", label, dlerror());
        return 1;
    }
    run = (run_fn)(void (*)(void))dlsym(h, "tcmod_run");
    if (!run) {
        printf("%s: no tcmod_run\n", label);
        return 1;
    }
    /* Never dlclose: interpreters keep their modules, and so does the shim's cache. */
    return run(label, fixtures) != 0;
}

int main(int argc, char **argv)
{
    int i, bad = 0;

    if (argc < 2) {
        fprintf(stderr, "usage: host FIXTURES LABEL=MODULE.so ...\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef HOST_LINKS_SSL
    bad += host_run("host", argv[1]) != 0;
#endif
    for (i = 2; i < argc; i++)
        bad += run_module(argv[i], argv[1]);
    printf("host: %d module(s) reported problems\n", bad);
    return bad;
}
