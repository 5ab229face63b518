/*
 * Fixture and scratch paths, and the file rewrites the rotation scenarios
 * need. Paths are never printed: the transcript names fixtures only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static char fixture_dir[PATH_MAX];
static char scratch_root[PATH_MAX];
static char scratch_dir[PATH_MAX];

void fixtures_init(const char *fixtures, const char *scratch_base)
{
    snprintf(fixture_dir, sizeof(fixture_dir), "%s", fixtures);
    snprintf(scratch_root, sizeof(scratch_root), "%s", scratch_base);
}

void scratch_begin(const char *scenario)
{
    if (snprintf(scratch_dir, sizeof(scratch_dir), "%s/%s", scratch_root, scenario) >=
        (int)sizeof(scratch_dir))
        unexpected("the scratch path is too long");
    if (mkdir(scratch_dir, 0700) != 0 && errno != EEXIST)
        unexpected("cannot create the scratch directory for %s", scenario);
}

/* A per-thread ring, so a call may use several paths in its arguments. */
static const char *ring_path(const char *dir, const char *name)
{
    static __thread char ring[8][PATH_MAX];
    static __thread unsigned next;
    char *p = ring[next++ % 8];

    if (snprintf(p, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
        unexpected("a fixture path is too long");
    return p;
}

const char *fx(const char *name) { return ring_path(fixture_dir, name); }

const char *scratch(const char *name) { return ring_path(scratch_dir, name); }

/* ---------------------------------------------------------------- bundles */
struct buf {
    char *data;
    size_t len;
};

static void append(struct buf *b, const void *p, size_t n)
{
    b->data = realloc(b->data, b->len + n + 1);
    if (!b->data)
        abort();
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void append_file(struct buf *b, const char *name)
{
    char chunk[4096];
    size_t n;
    FILE *f = fopen(fx(name), "rb");

    if (!f) {
        unexpected("fixture %s is missing", name);
        return;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        append(b, chunk, n);
    fclose(f);
}

/* Comment text before the first PEM block: lets two bundles be made the
 * same size, and is what real bundles (with their headers) look like. */
static void append_pad(struct buf *b, size_t pad)
{
    if (pad == 0)
        return;
    while (pad > 1) {
        append(b, "#", 1);
        pad--;
    }
    append(b, "\n", 1);
}

static struct buf build(size_t pad, va_list ap)
{
    struct buf b = {NULL, 0};
    const char *name;

    append_pad(&b, pad);
    while ((name = va_arg(ap, const char *)) != NULL)
        append_file(&b, name);
    return b;
}

static void write_all(const char *path, const struct buf *b, int flags)
{
    int fd = open(path, flags, 0644);
    size_t off = 0;

    if (fd < 0) {
        unexpected("cannot open a scratch file for writing");
        return;
    }
    while (off < b->len) {
        ssize_t n = write(fd, b->data + off, b->len - off);

        if (n <= 0) {
            unexpected("short write to a scratch file");
            break;
        }
        off += (size_t)n;
    }
    close(fd);
}

void write_bundle(const char *path, size_t pad, ...)
{
    va_list ap;
    struct buf b;

    va_start(ap, pad);
    b = build(pad, ap);
    va_end(ap);
    write_all(path, &b, O_WRONLY | O_CREAT | O_TRUNC);
    free(b.data);
}

void replace_bundle(const char *path, size_t pad, ...)
{
    char tmp[PATH_MAX];
    va_list ap;
    struct buf b;

    va_start(ap, pad);
    b = build(pad, ap);
    va_end(ap);
    if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
        unexpected("a scratch path is too long");
    write_all(tmp, &b, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL);
    if (rename(tmp, path) != 0)
        unexpected("rename over a scratch bundle failed");
    free(b.data);
}

size_t bundle_size(size_t pad, ...)
{
    va_list ap;
    struct buf b;
    size_t n;

    va_start(ap, pad);
    b = build(pad, ap);
    va_end(ap);
    n = b.len;
    free(b.data);
    return n;
}

/* ---------------------------------------------------------------- env */
void env_cert_file_path(const char *label, const char *path)
{
    if (path) {
        setenv("SSL_CERT_FILE", path, 1);
        say("setenv SSL_CERT_FILE=%s", label);
    } else {
        unsetenv("SSL_CERT_FILE");
        say("unsetenv SSL_CERT_FILE");
    }
}

void env_cert_file(const char *fixture)
{
    env_cert_file_path(fixture, fixture ? fx(fixture) : NULL);
}

void env_cert_dir(const char *fixture)
{
    if (fixture) {
        setenv("SSL_CERT_DIR", fx(fixture), 1);
        say("setenv SSL_CERT_DIR=%s", fixture);
    } else {
        unsetenv("SSL_CERT_DIR");
        say("unsetenv SSL_CERT_DIR");
    }
}
