/*
 * The identity of a trust-source file and the rule that decides when stat()
 * alone may vouch for it.
 *
 * A cached bundle is reused only while the file keeps the identity it had
 * when it was read (device, inode, size, mtime, ctime).  Timestamps have a
 * granularity, so a same-size rewrite just after a read can keep every field
 * the same.  As git does for its index, an identity whose mtime or ctime lies
 * within TC_RACY_WINDOW_NS of the moment the file was read is "racy": stat()
 * is not trusted for it and the content is hashed again on the next use.
 */
#ifndef TC_FINGERPRINT_H
#define TC_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define TC_RACY_WINDOW_NS 2000000000LL
#define TC_SHA256_LEN     32

struct tc_identity {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtim;
    struct timespec ctim;
};

enum tc_stat_result { TC_STAT_OK, TC_STAT_MISSING, TC_STAT_NOT_REGULAR };

enum tc_stat_result tc_identity_of(const char *path, struct tc_identity *id);
int tc_identity_equal(const struct tc_identity *a, const struct tc_identity *b);
int tc_identity_racy(const struct tc_identity *id, const struct timespec *read_at);

/* Digest of `len` bytes into out[32]; returns 1 on success. */
typedef int (*tc_digest_fn)(const void *data, size_t len, unsigned char *out, void *arg);

/*
 * Reads the whole file and digests it.  `id` receives the identity of the
 * descriptor that was read.  Returns a tc_stat_result.
 */
enum tc_stat_result tc_file_digest(const char *path, tc_digest_fn digest, void *arg,
                                   unsigned char *out, struct tc_identity *id);

void tc_sha256_hex(const unsigned char *sha, char *hex /* 65 bytes */);

struct timespec tc_now_realtime(void);
uint64_t tc_now_ns(void); /* CLOCK_MONOTONIC, for durations */

#endif
