/*
 * Thread-local re-entrancy guard.
 *
 * OpenSSL calls its own exported functions through the PLT on Debian, so one
 * SSL_CTX_load_verify_locations reaches several hooks on its way down to the
 * file parser.  The outermost hook owns the load (serves it and counts it
 * once); every hook reached while it runs forwards untouched.
 *
 * initial-exec TLS: no __tls_get_addr, which may allocate, on the hook path.
 */
#ifndef TC_GUARD_H
#define TC_GUARD_H

extern __thread int tc_guard_depth __attribute__((tls_model("initial-exec")));

static inline int tc_guard_busy(void) { return tc_guard_depth > 0; }
static inline void tc_guard_enter(void) { tc_guard_depth++; }
static inline void tc_guard_leave(void) { tc_guard_depth--; }

/* Hooks forward untouched when this is true (nested call, or mode off). */
int tc_bypass(void);

#endif
