/* File identity, the racy-stat rule, and content digests. */
#include "cache/fingerprint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void identity_from_stat(const struct stat *st, struct tc_identity *id)
{
    id->dev = st->st_dev;
    id->ino = st->st_ino;
    id->size = st->st_size;
    id->mtim = st->st_mtim;
    id->ctim = st->st_ctim;
}

enum tc_stat_result tc_identity_of(const char *path, struct tc_identity *id)
{
    struct stat st;

    if (stat(path, &st) != 0)
        return TC_STAT_MISSING;
    if (!S_ISREG(st.st_mode))
        return TC_STAT_NOT_REGULAR;
    identity_from_stat(&st, id);
    return TC_STAT_OK;
}

static int ts_equal(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

int tc_identity_equal(const struct tc_identity *a, const struct tc_identity *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           ts_equal(&a->mtim, &b->mtim) && ts_equal(&a->ctim, &b->ctim);
}

/* a > b, on (seconds, nanoseconds) pairs: no overflow for any time_t. */
static int ts_after(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec : a->tv_nsec > b->tv_nsec;
}

int tc_identity_racy(const struct tc_identity *id, const struct timespec *read_at)
{
    struct timespec limit = *read_at;

    limit.tv_sec -= TC_RACY_WINDOW_NS / 1000000000LL;
    /* A timestamp after the read counts too: the clock may have been stepped. */
    return ts_after(&id->mtim, &limit) || ts_after(&id->ctim, &limit);
}

/* Reads all of `fd` into a buffer sized from `size`, growing if needed. */
static unsigned char *read_all(int fd, off_t size, size_t *len)
{
    size_t cap = size > 0 ? (size_t)size + 1 : 4096, n = 0;
    unsigned char *buf = malloc(cap), *bigger;
    ssize_t r;

    while (buf) {
        if (n == cap) {
            bigger = realloc(buf, cap * 2);
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
        r = read(fd, buf + n, cap - n);
        if (r == 0) {
            *len = n;
            return buf;
        }
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            break;
        n += (size_t)r;
    }
    free(buf);
    return NULL;
}

enum tc_stat_result tc_file_digest(const char *path, tc_digest_fn digest, void *arg,
                                   unsigned char *out, struct tc_identity *id)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    enum tc_stat_result res = TC_STAT_MISSING;
    unsigned char *buf;
    struct stat st;
    size_t len = 0;

    if (fd < 0)
        return TC_STAT_MISSING;
    if (fstat(fd, &st) != 0)
        goto out;
    if (!S_ISREG(st.st_mode)) {
        res = TC_STAT_NOT_REGULAR;
        goto out;
    }
    identity_from_stat(&st, id);
    buf = read_all(fd, st.st_size, &len);
    if (buf && digest(buf, len, out, arg))
        res = TC_STAT_OK;
    free(buf);
out:
    close(fd);
    return res;
}

void tc_sha256_hex(const unsigned char *sha, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < TC_SHA256_LEN; i++) {
        hex[2 * i] = digits[sha[i] >> 4];
        hex[2 * i + 1] = digits[sha[i] & 15];
    }
    hex[2 * (size_t)TC_SHA256_LEN] = '\0';
}

struct timespec tc_now_realtime(void)
{
    struct timespec t;

    clock_gettime(CLOCK_REALTIME, &t);
    return t;
}

uint64_t tc_now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}
