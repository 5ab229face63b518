/*
 * fingerprint.c: file identity, the 2-second racy rule, content digests.
 * Digests are checked against OpenSSL's SHA-256 (linked into this test
 * binary only; the shim itself never links libcrypto).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cache/fingerprint.h"
#include "unit.h"

#define NS 1000000000LL

/* ---------------------------------------------------------------- helpers */

struct digest_probe {
    int calls;
    size_t last_len;
    int fail;
};

static int sha256_fn(const void *data, size_t len, unsigned char *out, void *arg)
{
    struct digest_probe *p = arg;
    unsigned int n = 0;

    p->calls++;
    p->last_len = len;
    if (p->fail)
        return 0;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) && n == TC_SHA256_LEN;
}

static void sha256_hex_of(const void *data, size_t len, char *hex)
{
    unsigned char md[TC_SHA256_LEN];
    unsigned int n = 0;

    ck_assert(EVP_Digest(data, len, md, &n, EVP_sha256(), NULL) && n == TC_SHA256_LEN);
    tc_sha256_hex(md, hex);
}

static struct timespec ts_add(struct timespec t, long long delta_ns)
{
    long long v = (long long)t.tv_sec * NS + t.tv_nsec + delta_ns;
    struct timespec r;

    r.tv_sec = (time_t)(v / NS);
    r.tv_nsec = (long)(v % NS);
    if (r.tv_nsec < 0) {
        r.tv_nsec += NS;
        r.tv_sec--;
    }
    return r;
}

static void assert_identity_is_stat(const struct tc_identity *id, const char *path)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert(id->dev == st.st_dev);
    ck_assert(id->ino == st.st_ino);
    ck_assert_int_eq(id->size, st.st_size);
    ck_assert_int_eq(id->mtim.tv_sec, st.st_mtim.tv_sec);
    ck_assert_int_eq(id->mtim.tv_nsec, st.st_mtim.tv_nsec);
    ck_assert_int_eq(id->ctim.tv_sec, st.st_ctim.tv_sec);
    ck_assert_int_eq(id->ctim.tv_nsec, st.st_ctim.tv_nsec);
}

static void set_mtime(const char *path, struct timespec mtime)
{
    struct timespec times[2] = {{0, UTIME_OMIT}, mtime};

    ck_assert_msg(utimensat(AT_FDCWD, path, times, 0) == 0, "utimensat: %s", strerror(errno));
}

/* ---------------------------------------------------------------- identity_of */

START_TEST(identity_of_regular_file)
{
    char dir[4096], path[4200];
    struct tc_identity id;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "ca.pem");
    unit_write_file(path, "0123456789", 10);
    ck_assert_int_eq(tc_identity_of(path, &id), TC_STAT_OK);
    ck_assert_int_eq(id.size, 10);
    assert_identity_is_stat(&id, path);
}
END_TEST

START_TEST(identity_of_follows_symlink)
{
    char dir[4096], target[4200], link[4200];
    struct tc_identity id;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(target, sizeof(target), dir, "real.pem");
    unit_path(link, sizeof(link), dir, "link.pem");
    unit_write_file(target, "abc", 3);
    ck_assert_int_eq(symlink(target, link), 0);
    ck_assert_int_eq(tc_identity_of(link, &id), TC_STAT_OK);
    assert_identity_is_stat(&id, target);
}
END_TEST

START_TEST(identity_of_not_regular)
{
    char dir[4096], fifo[4200], sub[4200];
    struct tc_identity id;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(fifo, sizeof(fifo), dir, "fifo");
    unit_path(sub, sizeof(sub), dir, "subdir");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(tc_identity_of(dir, &id), TC_STAT_NOT_REGULAR);
    ck_assert_int_eq(tc_identity_of(sub, &id), TC_STAT_NOT_REGULAR);
    ck_assert_int_eq(tc_identity_of(fifo, &id), TC_STAT_NOT_REGULAR);
    ck_assert_int_eq(tc_identity_of("/dev/null", &id), TC_STAT_NOT_REGULAR);
}
END_TEST

START_TEST(identity_of_missing)
{
    char dir[4096], path[4200], dangling[4200], under_file[4300];
    struct tc_identity id;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "absent.pem");
    unit_path(dangling, sizeof(dangling), dir, "dangling.pem");
    ck_assert_int_eq(symlink(path, dangling), 0);
    ck_assert_int_eq(tc_identity_of(path, &id), TC_STAT_MISSING);
    ck_assert_int_eq(tc_identity_of(dangling, &id), TC_STAT_MISSING);
    /* A path through a regular file (ENOTDIR) is missing too. */
    unit_write_file(path, "x", 1);
    unit_path(under_file, sizeof(under_file), path, "x");
    ck_assert_int_eq(tc_identity_of(under_file, &id), TC_STAT_MISSING);
    ck_assert_int_eq(tc_identity_of("", &id), TC_STAT_MISSING);
}
END_TEST

/* ---------------------------------------------------------------- identity_equal */

static struct tc_identity sample_identity(void)
{
    struct tc_identity id;

    memset(&id, 0, sizeof(id));
    id.dev = 2049;
    id.ino = 131077;
    id.size = 219597;
    id.mtim.tv_sec = 1700000000;
    id.mtim.tv_nsec = 123456789;
    id.ctim.tv_sec = 1700000001;
    id.ctim.tv_nsec = 987654321;
    return id;
}

START_TEST(identity_equal_same)
{
    struct tc_identity a = sample_identity(), b = sample_identity();

    ck_assert_int_eq(tc_identity_equal(&a, &b), 1);
    ck_assert_int_eq(tc_identity_equal(&a, &a), 1);
}
END_TEST

/* Each field on its own makes the identities differ. */
START_TEST(identity_equal_each_field)
{
    struct tc_identity a = sample_identity(), b = sample_identity();

    switch (_i) {
    case 0:
        b.dev++;
        break;
    case 1:
        b.ino++;
        break;
    case 2:
        b.size++;
        break;
    case 3:
        b.mtim.tv_sec++;
        break;
    case 4:
        b.mtim.tv_nsec++;
        break;
    case 5:
        b.ctim.tv_sec++;
        break;
    case 6:
        b.ctim.tv_nsec++;
        break;
    }
    ck_assert_msg(tc_identity_equal(&a, &b) == 0, "field %d ignored", _i);
    ck_assert_msg(tc_identity_equal(&b, &a) == 0, "field %d ignored (reversed)", _i);
}
END_TEST

START_TEST(identity_equal_real_rewrites)
{
    char dir[4096], path[4200], tmp[4200];
    struct tc_identity a, b;
    struct timespec t = {1600000000, 0};

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "ca.pem");
    unit_path(tmp, sizeof(tmp), dir, "ca.pem.new");
    unit_write_file(path, "AAAA", 4);
    set_mtime(path, t);
    ck_assert_int_eq(tc_identity_of(path, &a), TC_STAT_OK);
    ck_assert_int_eq(tc_identity_of(path, &b), TC_STAT_OK);
    ck_assert(tc_identity_equal(&a, &b));

    /* Same size, mtime put back: ctime still moves. */
    unit_write_file(path, "BBBB", 4);
    set_mtime(path, t);
    ck_assert_int_eq(tc_identity_of(path, &b), TC_STAT_OK);
    ck_assert_int_eq(b.size, 4);
    ck_assert_int_eq(b.mtim.tv_sec, t.tv_sec);
    if (b.ctim.tv_sec == a.ctim.tv_sec && b.ctim.tv_nsec == a.ctim.tv_nsec)
        ck_assert(tc_identity_equal(&a, &b)); /* coarse clock: the racy rule's job */
    else
        ck_assert(!tc_identity_equal(&a, &b));

    /* Replaced by rename: another inode. */
    ck_assert_int_eq(tc_identity_of(path, &a), TC_STAT_OK);
    unit_write_file(tmp, "BBBB", 4);
    set_mtime(tmp, t);
    ck_assert_int_eq(rename(tmp, path), 0);
    ck_assert_int_eq(tc_identity_of(path, &b), TC_STAT_OK);
    ck_assert(a.ino != b.ino);
    ck_assert(!tc_identity_equal(&a, &b));

    /* Grown. */
    a = b;
    unit_write_file(path, "BBBBB", 5);
    set_mtime(path, t);
    ck_assert_int_eq(tc_identity_of(path, &b), TC_STAT_OK);
    ck_assert(!tc_identity_equal(&a, &b));
}
END_TEST

/* ---------------------------------------------------------------- racy rule */

struct racy_case {
    long long mtime_delta; /* relative to the read time, in ns */
    long long ctime_delta;
    int racy;
};

static const struct racy_case racy_cases[] = {
    {-3600 * NS, -3600 * NS, 0},   /* both an hour old */
    {-2 * NS - 1, -2 * NS - 1, 0}, /* just outside the window */
    {-2 * NS - 1, -3600 * NS, 0},
    {-2 * NS + 1, -3600 * NS, 1}, /* mtime just inside */
    {-3600 * NS, -2 * NS + 1, 1}, /* ctime just inside */
    {-1, -1, 1},
    {0, 0, 1}, /* at the read time */
    {-NS, -3600 * NS, 1},
    {5 * NS, -3600 * NS, 1}, /* mtime after the read (clock stepped) */
    {-3600 * NS, 1, 1},      /* ctime after the read */
    {3600 * NS, 3600 * NS, 1},
    {-365LL * 86400 * NS, -2500000000LL, 0},
};
#define N_RACY ((int)(sizeof(racy_cases) / sizeof(racy_cases[0])))

START_TEST(racy_rule)
{
    const struct racy_case *rc = &racy_cases[_i];
    struct timespec read_at = {1700000000, 500000000};
    struct tc_identity id = sample_identity();

    id.mtim = ts_add(read_at, rc->mtime_delta);
    id.ctim = ts_add(read_at, rc->ctime_delta);
    ck_assert_msg(tc_identity_racy(&id, &read_at) == rc->racy,
                  "mtime %+lld ns, ctime %+lld ns from the read: racy should be %d",
                  rc->mtime_delta, rc->ctime_delta, rc->racy);
}
END_TEST

/*
 * A timestamp far in the future (touch -d 2300-01-01 works on ext4) is after
 * the read time, so it is racy like any other.  In nanoseconds it no longer
 * fits a signed 64-bit number (past the year 2262).
 */
START_TEST(racy_far_future_mtime)
{
    struct timespec read_at = {1700000000, 0};
    struct tc_identity id = sample_identity();

    id.mtim.tv_sec = 10413792000; /* 2300-01-01 */
    id.mtim.tv_nsec = 0;
    id.ctim = ts_add(read_at, -3600 * NS);
    ck_assert_msg(tc_identity_racy(&id, &read_at) == 1,
                  "an mtime in the year 2300 is after the read time but was not racy");
    id.mtim = ts_add(read_at, -3600 * NS);
    id.ctim.tv_sec = 10413792000;
    ck_assert_msg(tc_identity_racy(&id, &read_at) == 1,
                  "a ctime in the year 2300 is after the read time but was not racy");
}
END_TEST

/* With real files: mtime set by futimens, ctime is whenever that happened. */
START_TEST(racy_real_file_futimens)
{
    char dir[4096], path[4200];
    struct tc_identity id;
    struct timespec now = tc_now_realtime(), times[2];
    int fd;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "ca.pem");
    unit_write_file(path, "data", 4);
    fd = open(path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    times[0].tv_nsec = UTIME_OMIT;
    times[1] = ts_add(now, -3600 * NS);
    ck_assert_int_eq(futimens(fd, times), 0);
    close(fd);
    ck_assert_int_eq(tc_identity_of(path, &id), TC_STAT_OK);
    ck_assert_int_eq(id.mtim.tv_sec, times[1].tv_sec);

    /* Read right now: the ctime (just set) is inside the window. */
    now = tc_now_realtime();
    ck_assert_int_eq(tc_identity_racy(&id, &now), 1);
    /* Read a little over 2 s after the ctime: stat alone vouches. */
    now = ts_add(id.ctim, 2 * NS + 1000);
    ck_assert_int_eq(tc_identity_racy(&id, &now), 0);
    now = ts_add(id.ctim, NS);
    ck_assert_int_eq(tc_identity_racy(&id, &now), 1);

    /* An mtime a minute in the future stays racy well after the ctime. */
    set_mtime(path, ts_add(tc_now_realtime(), 60 * NS));
    ck_assert_int_eq(tc_identity_of(path, &id), TC_STAT_OK);
    now = ts_add(id.ctim, 10 * NS);
    ck_assert_int_eq(tc_identity_racy(&id, &now), 1);
    now = ts_add(id.mtim, 2 * NS + 1000);
    ck_assert_int_eq(tc_identity_racy(&id, &now), 0);
}
END_TEST

/* ---------------------------------------------------------------- file_digest */

START_TEST(digest_known_content)
{
    char dir[4096], path[4200], hex[65];
    unsigned char sha[TC_SHA256_LEN];
    struct digest_probe probe = {0};
    struct tc_identity id, st_id;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "abc.pem");
    unit_write_file(path, "abc", 3);
    ck_assert_int_eq(tc_file_digest(path, sha256_fn, &probe, sha, &id), TC_STAT_OK);
    ck_assert_int_eq(probe.calls, 1);
    ck_assert_uint_eq(probe.last_len, 3);
    tc_sha256_hex(sha, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* The identity is that of the descriptor read: the file's own. */
    assert_identity_is_stat(&id, path);
    ck_assert_int_eq(tc_identity_of(path, &st_id), TC_STAT_OK);
    ck_assert(tc_identity_equal(&id, &st_id));
}
END_TEST

START_TEST(digest_empty_file)
{
    char dir[4096], path[4200], hex[65];
    unsigned char sha[TC_SHA256_LEN];
    struct digest_probe probe = {0};
    struct tc_identity id;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "empty.pem");
    unit_write_file(path, "", 0);
    ck_assert_int_eq(tc_file_digest(path, sha256_fn, &probe, sha, &id), TC_STAT_OK);
    ck_assert_int_eq(probe.calls, 1);
    ck_assert_uint_eq(probe.last_len, 0);
    tc_sha256_hex(sha, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_int_eq(id.size, 0);
}
END_TEST

START_TEST(digest_large_file)
{
    const size_t len = 3 * 1024 * 1024 + 5;
    unsigned char *data = malloc(len), sha[TC_SHA256_LEN];
    char dir[4096], path[4200], hex[65], want[65];
    struct digest_probe probe = {0};
    struct tc_identity id;
    uint32_t x = 2463534242u;
    size_t i;

    ck_assert_ptr_nonnull(data);
    for (i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data[i] = (unsigned char)x;
    }
    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "big.pem");
    unit_write_file(path, data, len);
    ck_assert_int_eq(tc_file_digest(path, sha256_fn, &probe, sha, &id), TC_STAT_OK);
    ck_assert_uint_eq(probe.last_len, len);
    tc_sha256_hex(sha, hex);
    sha256_hex_of(data, len, want);
    ck_assert_str_eq(hex, want);
    free(data);
}
END_TEST

/* A regular file whose size stat reports as 0 (procfs) is read to its end. */
START_TEST(digest_file_larger_than_stat_size)
{
    unsigned char sha[TC_SHA256_LEN];
    char hex[65], want[65];
    struct digest_probe probe = {0};
    struct tc_identity id;
    size_t len;
    /* /proc/self/environ: stat says 0 bytes, and it is stable for the life of
     * the process. */
    char *content = unit_read_file("/proc/self/environ", &len);
    ck_assert_ptr_nonnull(content);
    ck_assert_int_eq(tc_file_digest("/proc/self/environ", sha256_fn, &probe, sha, &id), TC_STAT_OK);
    ck_assert_int_eq(id.size, 0);
    ck_assert_uint_eq(probe.last_len, len);
    tc_sha256_hex(sha, hex);
    sha256_hex_of(content, len, want);
    ck_assert_str_eq(hex, want);
    free(content);
}
END_TEST

START_TEST(digest_not_regular)
{
    char dir[4096], fifo[4200];
    unsigned char sha[TC_SHA256_LEN];
    struct digest_probe probe = {0};
    struct tc_identity id;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(fifo, sizeof(fifo), dir, "fifo");
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    /* Must not block waiting for a writer (check's timeout would fail it). */
    ck_assert_int_eq(tc_file_digest(fifo, sha256_fn, &probe, sha, &id), TC_STAT_NOT_REGULAR);
    ck_assert_int_eq(tc_file_digest(dir, sha256_fn, &probe, sha, &id), TC_STAT_NOT_REGULAR);
    ck_assert_int_eq(tc_file_digest("/dev/null", sha256_fn, &probe, sha, &id), TC_STAT_NOT_REGULAR);
    ck_assert_int_eq(probe.calls, 0);
}
END_TEST

START_TEST(digest_missing)
{
    char dir[4096], path[4200];
    unsigned char sha[TC_SHA256_LEN];
    struct digest_probe probe = {0};
    struct tc_identity id;

    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "absent.pem");
    ck_assert_int_eq(tc_file_digest(path, sha256_fn, &probe, sha, &id), TC_STAT_MISSING);
    ck_assert_int_eq(probe.calls, 0);
}
END_TEST

START_TEST(digest_failure_is_not_ok)
{
    char dir[4096], path[4200];
    unsigned char sha[TC_SHA256_LEN];
    struct digest_probe probe = {0};
    struct tc_identity id;

    probe.fail = 1;
    unit_tmpdir(dir, sizeof(dir));
    unit_path(path, sizeof(path), dir, "ca.pem");
    unit_write_file(path, "abc", 3);
    ck_assert_int_ne(tc_file_digest(path, sha256_fn, &probe, sha, &id), TC_STAT_OK);
    ck_assert_int_eq(probe.calls, 1);
}
END_TEST

/* ---------------------------------------------------------------- hex, clocks */

START_TEST(sha256_hex)
{
    unsigned char sha[TC_SHA256_LEN];
    char hex[80];
    int i;

    for (i = 0; i < TC_SHA256_LEN; i++)
        sha[i] = (unsigned char)(i * 8 + 7);
    memset(hex, 'X', sizeof(hex));
    tc_sha256_hex(sha, hex);
    ck_assert_str_eq(hex, "070f171f272f373f474f575f676f777f878f979fa7afb7bfc7cfd7dfe7eff7ff");
    ck_assert_int_eq(hex[65], 'X'); /* 65 bytes written, no more */
    memset(sha, 0, sizeof(sha));
    tc_sha256_hex(sha, hex);
    ck_assert_str_eq(hex, "0000000000000000000000000000000000000000000000000000000000000000");
}
END_TEST

START_TEST(clocks)
{
    struct timespec rt = tc_now_realtime();
    time_t wall = time(NULL);
    uint64_t a = tc_now_ns(), b = tc_now_ns();

    ck_assert_int_le(llabs((long long)(rt.tv_sec - wall)), 2);
    ck_assert_int_ge(rt.tv_nsec, 0);
    ck_assert_int_lt(rt.tv_nsec, NS);
    ck_assert_uint_ge(b, a);
}
END_TEST

Suite *fingerprint_suite(void)
{
    Suite *s = suite_create("fingerprint");
    TCase *t;

    t = tcase_create("identity");
    tcase_add_test(t, identity_of_regular_file);
    tcase_add_test(t, identity_of_follows_symlink);
    tcase_add_test(t, identity_of_not_regular);
    tcase_add_test(t, identity_of_missing);
    tcase_add_test(t, identity_equal_same);
    tcase_add_loop_test(t, identity_equal_each_field, 0, 7);
    tcase_add_test(t, identity_equal_real_rewrites);
    suite_add_tcase(s, t);

    t = tcase_create("racy");
    tcase_add_loop_test(t, racy_rule, 0, N_RACY);
    tcase_add_test(t, racy_far_future_mtime);
    tcase_add_test(t, racy_real_file_futimens);
    suite_add_tcase(s, t);

    t = tcase_create("digest");
    tcase_add_test(t, digest_known_content);
    tcase_add_test(t, digest_empty_file);
    tcase_add_test(t, digest_large_file);
    tcase_add_test(t, digest_file_larger_than_stat_size);
    tcase_add_test(t, digest_not_regular);
    tcase_add_test(t, digest_missing);
    tcase_add_test(t, digest_failure_is_not_ok);
    tcase_add_test(t, sha256_hex);
    tcase_add_test(t, clocks);
    suite_add_tcase(s, t);
    return s;
}
