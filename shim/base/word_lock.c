/* One-word locks that a fork child sees as free (see word_lock.h). */
#include "base/word_lock.h"

#include <sched.h>

/* Bumped in every fork child; a held word records the generation it was taken in. */
static unsigned g_fork_generation;

void tc_word_lock(unsigned *word)
{
    for (;;) {
        unsigned gen = __atomic_load_n(&g_fork_generation, __ATOMIC_ACQUIRE);
        unsigned cur = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        if ((cur & 1) && (cur >> 1) == gen) {
            sched_yield();
            continue;
        }
        if (__atomic_compare_exchange_n(word, &cur, (gen << 1) | 1, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            return;
    }
}

void tc_word_unlock(unsigned *word)
{
    __atomic_store_n(word, __atomic_load_n(&g_fork_generation, __ATOMIC_RELAXED) << 1,
                     __ATOMIC_RELEASE);
}

void tc_word_lock_fork_child(void) { __atomic_add_fetch(&g_fork_generation, 1, __ATOMIC_RELEASE); }
