/*
 * fork(): every shim lock is taken before it and released after it in the
 * parent; the child starts each afresh.  Installed once, when the first shim
 * state that a fork could catch half-changed exists.
 */
#ifndef TC_FORK_H
#define TC_FORK_H

void tc_fork_handlers_once(void);

#endif
