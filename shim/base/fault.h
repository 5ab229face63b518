/*
 * Fault injection, for the test build only ($(BUILD)/fault/libtrustcache.so,
 * built with -DTC_FAULT_INJECTION -include shim/base/fault.h).  The default build
 * never sees any of this.
 *
 * Every allocation and file-system call in shim code becomes a counted
 * failure point through the function-like macros below (function-like, so
 * `struct stat` and `sizeof(struct stat)` are untouched), and fault.c wraps
 * the OpenSSL functions the shim calls on its own behalf.  TC_FAULT_AT=N
 * makes the Nth point of a process fail the way the real call fails when
 * memory or descriptors run out; the shim must then fall back to OpenSSL's
 * own behaviour.  See fault.c for the environment it reads.
 *
 * The standard headers are included first so that their declarations are
 * seen before the macros exist; their include guards keep later #includes
 * from declaring the names again.
 */
#ifndef TC_FAULT_H
#define TC_FAULT_H

#ifdef TC_FAULT_INJECTION

#include <fcntl.h>
#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

struct tc_ossl;

void *tc_fault_malloc(size_t n, const char *site, const char *func);
void *tc_fault_calloc(size_t n, size_t size, const char *site, const char *func);
void *tc_fault_realloc(void *p, size_t n, const char *site, const char *func);
char *tc_fault_strdup(const char *s, const char *site, const char *func);
int tc_fault_stat(const char *path, struct stat *st, const char *site, const char *func);
int tc_fault_fstat(int fd, struct stat *st, const char *site, const char *func);
int tc_fault_open(const char *site, const char *func, const char *path, int flags, ...);
ssize_t tc_fault_read(int fd, void *buf, size_t n, const char *site, const char *func);

/* Replaces the table slots of the functions the shim calls on its own behalf
 * with counting wrappers (called once per table, from copy_build). */
void tc_fault_wrap_table(struct tc_ossl *o);

#define TC_FAULT_STR2(x) #x
#define TC_FAULT_STR(x)  TC_FAULT_STR2(x)
#define TC_FAULT_SITE    __FILE__ ":" TC_FAULT_STR(__LINE__)

#define malloc(n)        tc_fault_malloc((n), TC_FAULT_SITE, __func__)
#define calloc(n, size)  tc_fault_calloc((n), (size), TC_FAULT_SITE, __func__)
#define realloc(p, n)    tc_fault_realloc((p), (n), TC_FAULT_SITE, __func__)
#define strdup(s)        tc_fault_strdup((s), TC_FAULT_SITE, __func__)
#define stat(path, st)   tc_fault_stat((path), (st), TC_FAULT_SITE, __func__)
#define fstat(fd, st)    tc_fault_fstat((fd), (st), TC_FAULT_SITE, __func__)
#define open(...)        tc_fault_open(TC_FAULT_SITE, __func__, __VA_ARGS__)
#define read(fd, buf, n) tc_fault_read((fd), (buf), (n), TC_FAULT_SITE, __func__)

#endif /* TC_FAULT_INJECTION */

#endif
