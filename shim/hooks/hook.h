/*
 * The shape every hook shares, kept in one place so each hook stays three
 * lines: find the real function for this caller's OpenSSL copy, forward
 * untouched when nested or disabled, otherwise let the core serve the call and
 * fall back to the real function whenever it declines (TC_REAL).
 */
#ifndef TC_HOOK_H
#define TC_HOOK_H

#include "base/guard.h"
#include "contexts/conn_track.h"
#include "contexts/ctx_track.h"
#include "contexts/template.h"
#include "process/copy_state.h"
#include "serve/routes.h"

#define TC_EXPORT __attribute__((visibility("default")))

/* Declares `o` (the copy) and `real` (the function to forward to). */
#define TC_TARGET(name)                                                                            \
    struct tc_ossl *o = tc_ossl_for(TC_ID_##name, __builtin_return_address(0));                    \
    __typeof__(o->name) real = o ? o->name : NULL

/*
 * A context or connection was made: the first TLS use (the stats writer may
 * start) and the copy's state, which the core below only checks for.
 */
static inline void tc_hook_tls_use(struct tc_ossl *o)
{
    tc_tls_use();
    (void)tc_copy_ready(o);
}

/* For int-returning routes: serve through `handler`, else forward to `forward`. */
#define TC_SERVE(handler, forward)                                                                 \
    do {                                                                                           \
        int rc_;                                                                                   \
        if (!real)                                                                                 \
            return 0;                                                                              \
        if (tc_bypass())                                                                           \
            return forward;                                                                        \
        tc_guard_enter();                                                                          \
        (void)tc_copy_ready(o);                                                                    \
        rc_ = handler;                                                                             \
        if (rc_ == TC_REAL)                                                                        \
            rc_ = forward;                                                                         \
        tc_guard_leave();                                                                          \
        return rc_;                                                                                \
    } while (0)

/*
 * A store mutator called on a shared template from outside OpenSSL (a verify
 * callback's store pointer): counted and the template retired (template.c).
 * The call itself then proceeds unchanged.
 */
#define TC_CHECK_MUTATION(store, name)                                                             \
    do {                                                                                           \
        if (o && !tc_bypass())                                                                     \
            tc_template_check_mutation(o, (X509_STORE *)(store), __builtin_return_address(0),      \
                                       name);                                                      \
    } while (0)

#endif
