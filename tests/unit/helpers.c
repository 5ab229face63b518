/* Scratch files and the JSON checker shared by the unit tests. */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void unit_tmpdir(char *out, size_t len)
{
    const char *root = getenv("TC_UNIT_TMP");
    int n;

    if (!root)
        root = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    n = snprintf(out, len, "%s/t.XXXXXX", root);
    ck_assert_msg(n > 0 && (size_t)n < len, "scratch path too long");
    ck_assert_msg(mkdtemp(out) != NULL, "mkdtemp(%s): %s", out, strerror(errno));
}

void unit_path(char *out, size_t len, const char *dir, const char *name)
{
    int n = snprintf(out, len, "%s/%s", dir, name);

    ck_assert_msg(n > 0 && (size_t)n < len, "path too long: %s/%s", dir, name);
}

void unit_write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const char *p = data;

    ck_assert_msg(fd >= 0, "open(%s): %s", path, strerror(errno));
    while (len) {
        ssize_t w = write(fd, p, len);
        ck_assert_msg(w > 0, "write(%s): %s", path, strerror(errno));
        p += w;
        len -= (size_t)w;
    }
    ck_assert_int_eq(close(fd), 0);
}

char *unit_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, r;

    if (!f)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            char *bigger = realloc(buf, cap + 65536);
            ck_assert_ptr_nonnull(bigger);
            buf = bigger;
            cap += 65536;
        }
        r = fread(buf + n, 1, cap - n - 1, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int unit_count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    ck_assert_msg(d != NULL, "opendir(%s): %s", dir, strerror(errno));
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/*
 * Duplicate keys would be silently merged by json.load, so the hook refuses
 * them; ensure_ascii makes the canonical text independent of the locale.
 * argv[2], when given: "keys" keeps only the shape (every value null),
 * "topkeys" lists the top-level keys, anything else is a comma-separated list
 * of the top-level keys to keep.
 */
static const char json_canon_py[] =
    "import json, sys\n"
    "def pairs(p):\n"
    "    keys = [k for k, _ in p]\n"
    "    if len(keys) != len(set(keys)):\n"
    "        raise ValueError('duplicate key among %r' % keys)\n"
    "    return dict(p)\n"
    "def shape(x):\n"
    "    if isinstance(x, dict):\n"
    "        return {k: shape(v) for k, v in x.items()}\n"
    "    if isinstance(x, list):\n"
    "        return [shape(v) for v in x]\n"
    "    return None\n"
    "with open(sys.argv[1], encoding='utf-8', errors='strict') as f:\n"
    "    doc = json.load(f, object_pairs_hook=pairs)\n"
    "if len(sys.argv) > 2 and sys.argv[2] == 'topkeys':\n"
    "    doc = sorted(doc)\n"
    "elif len(sys.argv) > 2 and sys.argv[2] == 'keys':\n"
    "    doc = shape(doc)\n"
    "elif len(sys.argv) > 2:\n"
    "    keep = sys.argv[2].split(',')\n"
    "    doc = {k: v for k, v in doc.items() if k in keep}\n"
    "sys.stdout.write(json.dumps(doc, sort_keys=True, ensure_ascii=True))\n";

int unit_json_canonical(const char *path, const char *view, char *out, size_t len)
{
    const char *py = getenv("TC_UNIT_PYTHON") ? getenv("TC_UNIT_PYTHON") : "python3";
    char chunk[4096];
    int fds[2], status;
    size_t n = 0;
    ssize_t r;
    pid_t pid;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execlp(py, py, "-c", json_canon_py, path, view, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    /* Drain everything, keeping what fits: a full pipe would stall the child. */
    while ((r = read(fds[0], chunk, sizeof(chunk))) != 0) {
        if (r < 0 && errno == EINTR)
            continue;
        ck_assert_int_gt(r, 0);
        size_t keep = len - 1 - n < (size_t)r ? len - 1 - n : (size_t)r;
        memcpy(out + n, chunk, keep);
        n += keep;
    }
    out[n] = '\0';
    close(fds[0]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(!(WIFEXITED(status) && WEXITSTATUS(status) == 127), "cannot run %s", py);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
