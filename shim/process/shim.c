/*
 * Process start and exit.
 *
 * The constructor only reads the environment: no threads, no OpenSSL, no
 * allocation beyond that, so preloading into a process that never touches TLS
 * costs next to nothing.  Hooks that run before it (another library's
 * constructor creating a context) read the environment themselves.
 *
 * The exit dump renders from the shim's own counters and strings; OpenSSL may
 * already have run its own atexit cleanup.  Stats written while the process
 * runs come from a thread started on the first TLS use (stats_writer.c).
 */
#include "base/config.h"
#include "report/stats_dump.h"

__attribute__((constructor)) static void tc_start(void) { (void)tc_config(); }

/* The last word: a stats writer thread still running writes nothing after it. */
__attribute__((destructor)) static void tc_exit(void) { tc_stats_dump_final(); }
