/*
 * A lock in one unsigned word, for locks there is one of per object (a
 * context's record): no initialisation, nothing to destroy, and it survives
 * fork().  The word carries the fork generation, so a lock held by a thread
 * that does not exist in a forked child counts as free there; a pthread
 * mutex held across fork() by another thread would stay locked for ever.
 *
 * Held only for a few instructions on one object, so a waiter yields
 * instead of sleeping.  Never held while OpenSSL runs a callback into the
 * application.
 */
#ifndef TC_WORD_LOCK_H
#define TC_WORD_LOCK_H

void tc_word_lock(unsigned *word);
void tc_word_unlock(unsigned *word);

/* In a fork child: every word lock taken before the fork is free again. */
void tc_word_lock_fork_child(void);

#endif
