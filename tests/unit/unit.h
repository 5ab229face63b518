/*
 * Unit tests of the shim's pure parts (configuration, file identity, bundle
 * cache, stats rendering and writing), linked straight from shim/ sources.
 * One check suite per unit; runner.c runs them all, each test in its own
 * process (CK_FORK), so the shim's process-wide state starts fresh every time.
 */
#ifndef TC_UNIT_H
#define TC_UNIT_H

#include <stddef.h>

#include <check.h>

Suite *config_suite(void);
Suite *fingerprint_suite(void);
Suite *bundle_cache_suite(void);
Suite *stats_render_suite(void);
Suite *stats_dump_suite(void);

/* ---- helpers.c ------------------------------------------------------------ */

/* A fresh directory under the runner's scratch directory; the runner removes
 * the whole scratch tree at the end, whatever the tests left behind. */
void unit_tmpdir(char *out, size_t len);

/* `dir`/`name` into out (asserting it fits). */
void unit_path(char *out, size_t len, const char *dir, const char *name);

/* Writes `len` bytes to `path` (created or truncated); asserts success. */
void unit_write_file(const char *path, const void *data, size_t len);

/* Reads the whole file into a NUL-terminated heap buffer (free() it); NULL
 * if it cannot be read.  *len gets the byte count when len is not NULL. */
char *unit_read_file(const char *path, size_t *len);

/* Number of directory entries in `dir` other than "." and "..". */
int unit_count_entries(const char *dir);

/*
 * Parses the JSON file at `path` with Python's json module (as UTF-8,
 * rejecting duplicate keys) and writes its canonical form (sorted keys,
 * ASCII-only escapes) to `out`.  `view` NULL: the whole document; "keys":
 * only its shape (every value replaced by null); "topkeys": the sorted list
 * of its top-level keys; else a comma-separated list of the top-level keys to
 * keep.  Returns 1 if it parsed, 0 otherwise (then
 * `out` holds Python's complaint).
 */
int unit_json_canonical(const char *path, const char *view, char *out, size_t len);

/* ---- stub_ossl.c: the registry functions stats_dump.c calls ------------- */
extern int unit_ossl_seen_value;

#endif
