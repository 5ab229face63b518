/*
 * Giving a fork child fresh locks.
 *
 * The fork handlers hold every shim lock across fork(), so no lock is ever
 * mid-update.  In the child they cannot simply be unlocked: glibc records a
 * rwlock writer's thread id, which is different there, so an unlock would
 * not release it.  The child starts each lock afresh instead, as glibc does
 * for its own malloc locks.  ThreadSanitizer is told the old lock is gone, so
 * it does not keep treating the fresh one as held.  Every lock passed here is one
 * the fork handlers hold across fork().
 */
#ifndef TC_CHILD_LOCKS_H
#define TC_CHILD_LOCKS_H

#include <pthread.h>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
/* The forking thread took the lock in the prepare handler: it releases it here. */
#define TC_FORGET_LOCK(l)                                                                          \
    (__tsan_mutex_pre_unlock((void *)(l), 0), (void)__tsan_mutex_post_unlock((void *)(l), 0))
#else
#define TC_FORGET_LOCK(l) ((void)(l))
#endif

static inline void tc_child_mutex(pthread_mutex_t *m)
{
    TC_FORGET_LOCK(m);
    pthread_mutex_init(m, NULL);
}

static inline void tc_child_rwlock(pthread_rwlock_t *l)
{
    TC_FORGET_LOCK(l);
    pthread_rwlock_init(l, NULL);
}

#endif
