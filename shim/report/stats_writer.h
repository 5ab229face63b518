/*
 * Stats written while the process runs: every TRUSTCACHE_STATS_INTERVAL
 * seconds (to a file), and on TRUSTCACHE_STATS_SIGNAL (to the configured
 * destination).  A writer thread does the work; it starts on the first TLS
 * use, never in the constructor, and again in a fork child on its first TLS
 * use there.
 */
#ifndef TC_STATS_WRITER_H
#define TC_STATS_WRITER_H

/*
 * Called on TLS use: starts the writer (and signal handler) once, calling
 * `before_start` first (the fork handlers, which live above this layer).
 */
void tc_writer_kick(void (*before_start)(void));

/* fork(): the child has no writer thread; its next TLS use starts one. */
void tc_writer_atfork_prepare(void);
void tc_writer_atfork_parent(void);
void tc_writer_atfork_child(void);

#endif
