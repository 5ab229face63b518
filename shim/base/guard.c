/* The re-entrancy guard's per-thread depth (guard.h), and when hooks forward. */
#include "base/config.h"
#include "base/guard.h"

__thread int tc_guard_depth __attribute__((tls_model("initial-exec")));

int tc_bypass(void) { return tc_guard_busy() || tc_config()->mode == TC_MODE_OFF; }
