/*
 * Bundles that change on disk between loads. Every change is followed by new
 * contexts whose handshakes must reflect the new content, while contexts
 * loaded before the change keep what they loaded.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "scenarios.h"

/* Loads scratch bundle.pem into two new contexts and checks their trust. */
static void load_pair(SSL_CTX **a, SSL_CTX **b, const char *trusted, const char *untrusted)
{
    *a = client_ctx();
    *b = client_ctx();
    CALL(1, SSL_CTX_load_verify_locations(*a, scratch("bundle.pem"), NULL));
    CALL(1, SSL_CTX_load_verify_file(*b, scratch("bundle.pem")));
    STORE(*a, (int)strlen(trusted), 0);
    check_trust("new context", *a, trusted, untrusted);
    check_trust("new context", *b, trusted, untrusted);
}

static void free_all(SSL_CTX **c, int n)
{
    for (int i = 0; i < n; i++)
        SSL_CTX_free(c[i]);
}

static struct stat stat_of(const char *path)
{
    struct stat st = {0};

    if (stat(path, &st) != 0)
        unexpected("stat of a scratch file failed");
    return st;
}

/* Puts the old timestamps back, as rsync -t or cp -p would: only the
 * content (and ctime) tells the two versions apart. */
static void restore_times(const char *path, const struct stat *old)
{
    struct timespec ts[2] = {old->st_atim, old->st_mtim};

    if (utimensat(AT_FDCWD, path, ts, 0) != 0)
        unexpected("utimensat on a scratch file failed");
}

static void report_identity(const struct stat *before, const struct stat *after)
{
    say("same size: %s, same mtime: %s, same inode: %s",
        before->st_size == after->st_size ? "yes" : "no",
        before->st_mtim.tv_sec == after->st_mtim.tv_sec &&
                before->st_mtim.tv_nsec == after->st_mtim.tv_nsec
            ? "yes"
            : "no",
        before->st_ino == after->st_ino ? "yes" : "no");
}

void sc_rotate_ca_removed(void)
{
    SSL_CTX *c[4];

    write_bundle(scratch("bundle.pem"), 0, "caA.pem", "caB.pem", NULL);
    say("wrote bundle.pem = A B");
    load_pair(&c[0], &c[1], "AB", "C");
    write_bundle(scratch("bundle.pem"), 0, "caA.pem", NULL);
    say("rewrote bundle.pem in place = A");
    load_pair(&c[2], &c[3], "A", "B");
    TRUST(c[0], "AB", "C");
    free_all(c, 4);
}

/* Added, then removed again: the content returns to an earlier version. */
void sc_rotate_ca_added(void)
{
    SSL_CTX *c[6];

    write_bundle(scratch("bundle.pem"), 0, "caA.pem", NULL);
    say("wrote bundle.pem = A");
    load_pair(&c[0], &c[1], "A", "B");
    write_bundle(scratch("bundle.pem"), 0, "caA.pem", "caB.pem", NULL);
    say("rewrote bundle.pem in place = A B");
    load_pair(&c[2], &c[3], "AB", "C");
    write_bundle(scratch("bundle.pem"), 0, "caA.pem", NULL);
    say("rewrote bundle.pem in place = A");
    load_pair(&c[4], &c[5], "A", "B");
    TRUST(c[0], "A", "B");
    free_all(c, 6);
}

/* Padding makes both versions the same size; the original timestamps are
 * restored exactly, so size, mtime and inode are all unchanged. */
void sc_rotate_same_size_same_second(void)
{
    size_t n1 = bundle_size(0, "caA.pem", "caB.pem", NULL);
    size_t n2 = bundle_size(0, "caA.pem", "caC.pem", NULL);
    size_t target = (n1 > n2 ? n1 : n2) + 16;
    struct stat before, after;
    SSL_CTX *c[4];

    write_bundle(scratch("bundle.pem"), target - n1, "caA.pem", "caB.pem", NULL);
    say("wrote bundle.pem = A B");
    before = stat_of(scratch("bundle.pem"));
    load_pair(&c[0], &c[1], "AB", "C");
    write_bundle(scratch("bundle.pem"), target - n2, "caA.pem", "caC.pem", NULL);
    restore_times(scratch("bundle.pem"), &before);
    say("rewrote bundle.pem in place = A C, timestamps restored");
    after = stat_of(scratch("bundle.pem"));
    report_identity(&before, &after);
    if (before.st_size != after.st_size || before.st_mtim.tv_sec != after.st_mtim.tv_sec)
        unexpected("the rewrite changed the size or the mtime second");
    load_pair(&c[2], &c[3], "AC", "B");
    free_all(c, 4);
}

/* A new file renamed over the old one (new inode), same size and mtime. */
void sc_rotate_atomic_rename(void)
{
    size_t n1 = bundle_size(0, "caA.pem", "caB.pem", NULL);
    size_t n2 = bundle_size(0, "caC.pem", "caB.pem", NULL);
    size_t target = (n1 > n2 ? n1 : n2) + 16;
    struct stat before, after;
    SSL_CTX *c[4];

    write_bundle(scratch("bundle.pem"), target - n1, "caA.pem", "caB.pem", NULL);
    say("wrote bundle.pem = A B");
    before = stat_of(scratch("bundle.pem"));
    load_pair(&c[0], &c[1], "AB", "C");
    replace_bundle(scratch("bundle.pem"), target - n2, "caC.pem", "caB.pem", NULL);
    restore_times(scratch("bundle.pem"), &before);
    say("renamed a new bundle.pem over the old one = C B, timestamps restored");
    after = stat_of(scratch("bundle.pem"));
    report_identity(&before, &after);
    load_pair(&c[2], &c[3], "CB", "A");
    TRUST(c[0], "AB", "C");
    free_all(c, 4);
}

/* The path is a symlink that is switched to another bundle. */
void sc_rotate_symlink_retarget(void)
{
    SSL_CTX *c[4];

    if (symlink(fx("a.pem"), scratch("bundle.pem")) != 0)
        unexpected("symlink failed");
    say("bundle.pem -> a.pem");
    load_pair(&c[0], &c[1], "A", "B");
    if (symlink(fx("b.pem"), scratch("bundle.new")) != 0 ||
        rename(scratch("bundle.new"), scratch("bundle.pem")) != 0)
        unexpected("retargeting the symlink failed");
    say("bundle.pem -> b.pem");
    load_pair(&c[2], &c[3], "B", "A");
    free_all(c, 4);
}

void sc_rotate_file_deleted(void)
{
    SSL_CTX *c[3];

    write_bundle(scratch("bundle.pem"), 0, "caA.pem", "caB.pem", NULL);
    say("wrote bundle.pem = A B");
    load_pair(&c[0], &c[1], "AB", "C");
    unlink(scratch("bundle.pem"));
    say("deleted bundle.pem");
    c[2] = client_ctx();
    CALL(0, SSL_CTX_load_verify_locations(c[2], scratch("bundle.pem"), NULL));
    CALL(0, SSL_CTX_load_verify_locations(c[2], scratch("bundle.pem"), NULL));
    STORE(c[2], 0, 0);
    TRUST(c[2], "", "A");
    TRUST(c[0], "AB", "");
    free_all(c, 3);
}

/* Only the timestamps change: the same roots stay trusted. */
void sc_rotate_touch(void)
{
    struct timespec moved[2] = {{1000000000, 0}, {1000000000, 0}};
    SSL_CTX *c[4];

    write_bundle(scratch("bundle.pem"), 0, "caA.pem", "caB.pem", NULL);
    say("wrote bundle.pem = A B");
    load_pair(&c[0], &c[1], "AB", "C");
    if (utimensat(AT_FDCWD, scratch("bundle.pem"), moved, 0) != 0)
        unexpected("utimensat failed");
    say("set bundle.pem timestamps, content unchanged");
    load_pair(&c[2], &c[3], "AB", "C");
    free_all(c, 4);
}

/* The default file named by SSL_CERT_FILE is replaced between loads. */
void sc_rotate_default_file(void)
{
    SSL_CTX *c[4];
    int i;

    for (i = 0; i < 4; i++)
        c[i] = client_ctx();
    env_cert_dir("emptydir");
    env_cert_file_path("<scratch>/bundle.pem", scratch("bundle.pem"));
    write_bundle(scratch("bundle.pem"), 0, "caA.pem", NULL);
    say("wrote bundle.pem = A");
    CALL(1, SSL_CTX_set_default_verify_paths(c[0]));
    CALL(1, SSL_CTX_set_default_verify_paths(c[1]));
    TRUST(c[0], "A", "B");
    replace_bundle(scratch("bundle.pem"), 0, "caB.pem", NULL);
    say("renamed a new bundle.pem over the old one = B");
    CALL(1, SSL_CTX_set_default_verify_paths(c[2]));
    CALL(1, SSL_CTX_set_default_verify_file(c[3]));
    TRUST(c[2], "B", "A");
    TRUST(c[3], "B", "A");
    TRUST(c[1], "A", "B");
    free_all(c, 4);
}
