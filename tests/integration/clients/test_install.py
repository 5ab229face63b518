"""make install into a temporary DESTDIR, the installed trustcache-run, and
the container entrypoint as the images under examples/docker run it."""

import os
import re
import signal
import subprocess
import sys

from common import TOP, check_invariant, make, read_json, run

PREFIX = "/usr/local"
INSTALLED = {
    "lib/trustcache/libtrustcache.so": 0o644,
    "bin/trustcache-run": 0o755,
    "share/man/man1/trustcache-run.1": 0o644,
    "share/man/man1/trustcache-stats.1": 0o644,
    "share/man/man7/trustcache.7": 0o644,
}
DOCKER = os.path.join(TOP, "examples", "docker")

# A Python TLS client: two contexts loading the bundle, then a real request.
CLIENT = """
import json, os, ssl, sys, urllib.request
url, bundle = sys.argv[1], sys.argv[2]
for _ in range(2):
    ssl.create_default_context(cafile=bundle)
ctx = ssl.create_default_context(cafile=bundle)
with urllib.request.urlopen(url, context=ctx, timeout=10) as r:
    status = r.status
print(json.dumps({"status": status, "LD_PRELOAD": os.environ.get("LD_PRELOAD")}))
"""


def destdir(ctx):
    return os.path.join(ctx.tmp, "root")


def installed(ctx, rel):
    return destdir(ctx) + PREFIX + "/" + rel


def ensure_installed(ctx):
    if not os.path.exists(installed(ctx, "bin/trustcache-run")):
        return make(ctx, "install", DESTDIR=destdir(ctx), PREFIX=PREFIX)
    return None


def test_install_layout(rep, ctx):
    proc = ensure_installed(ctx)
    rep.check("make install DESTDIR=... PREFIX=/usr/local succeeds",
              proc is not None and proc.returncode == 0,
              proc and (proc.stdout + proc.stderr))
    for rel, mode in INSTALLED.items():
        path = installed(ctx, rel)
        ok = os.path.isfile(path) and (os.stat(path).st_mode & 0o777) == mode
        rep.check("installed %s%s/%s, mode %o" % ("$DESTDIR", PREFIX, rel, mode), ok)
    stats_tool = os.path.join(TOP, "tools", "trustcache-stats")
    if os.path.exists(stats_tool):
        rep.check("installed trustcache-stats too",
                  os.access(installed(ctx, "bin/trustcache-stats"), os.X_OK))
    with open(installed(ctx, "lib/trustcache/libtrustcache.so"), "rb") as a, \
            open(ctx.shim, "rb") as b:
        rep.check("the installed library is the built one", a.read() == b.read())
    for page in ("share/man/man1/trustcache-run.1", "share/man/man1/trustcache-stats.1",
                 "share/man/man7/trustcache.7"):
        proc = run(["man", "--warnings", "-l", installed(ctx, page)], env={"MANWIDTH": "80"})
        rep.check("man -l %s renders without warnings" % os.path.basename(page),
                  proc.returncode == 0 and "NAME" in proc.stdout and not proc.stderr.strip(),
                  proc.stderr)


def test_installed_runner(rep, ctx):
    """The installed trustcache-run finds the installed library (not the
    source tree's) and a Python TLS load is served from the cache."""
    ensure_installed(ctx)
    runner = installed(ctx, "bin/trustcache-run")
    lib = installed(ctx, "lib/trustcache/libtrustcache.so")
    stats = os.path.join(ctx.tmp, "installed-stats.json")
    proc = run([runner, "--stats", stats, "--", sys.executable, "-c", CLIENT,
                ctx.server.url, ctx.pki.bundle])
    out = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}"
    res = __import__("json").loads(out)
    rep.check("installed trustcache-run: the Python client got HTTP 200",
              proc.returncode == 0 and res.get("status") == 200, proc.stderr)
    rep.equal("installed trustcache-run preloaded the installed library", res.get("LD_PRELOAD"),
              lib)
    st = read_json(stats)
    check_invariant(rep, "installed run stats", st)
    rep.check("installed run: the bundle was parsed once and served from cache after",
              st is not None and st["ca_loads_performed"] == 1 and st["ca_loads_avoided"] >= 2,
              st)


def test_uninstall(rep, ctx):
    ensure_installed(ctx)
    proc = make(ctx, "uninstall", DESTDIR=destdir(ctx), PREFIX=PREFIX)
    rep.check("make uninstall succeeds", proc.returncode == 0, proc.stdout + proc.stderr)
    left = [rel for rel in INSTALLED if os.path.exists(installed(ctx, rel))]
    rep.check("make uninstall removed every installed file", not left, left)
    rep.check("make uninstall removed lib/trustcache/",
              not os.path.exists(installed(ctx, "lib/trustcache")))


# ------------------------------------------------------------ containers

def dockerfile_lines(name):
    with open(os.path.join(DOCKER, name), encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]


def test_dockerfiles(rep, ctx):
    """Docker cannot run here; check what can be checked without it."""
    for name in ("Dockerfile.debian", "Dockerfile.python"):
        lines = dockerfile_lines(name)
        rep.check("%s: ENTRYPOINT [\"trustcache-run\", \"--\"]" % name,
                  'ENTRYPOINT ["trustcache-run", "--"]' in lines)
        rep.check("%s: checks the program with trustcache-run --check at build time" % name,
                  any(re.match(r"RUN trustcache-run --check \S+$", ln) for ln in lines))
        srcs = [ln.split()[1] for ln in lines if ln.startswith("COPY ") and "--from" not in ln]
        missing = [s for s in srcs if not os.path.exists(os.path.join(TOP, s))]
        rep.check("%s: every COPY source exists in the source tree (%s)" % (name, " ".join(srcs)),
                  srcs and not missing, missing)
        bases = [ln.split()[1] for ln in lines if ln.startswith("FROM ")]
        want = ["debian:12-slim", "debian:12-slim" if name.endswith("debian")
                else "python:3.12-slim-bookworm"]
        rep.check("%s: package built on %s, image built on %s" % (name, want[0], want[1]),
                  bases == want, bases)
        rep.check("%s: the build stage makes the Debian package (make deb)" % name,
                  any(re.match(r"RUN make deb\b", ln) for ln in lines))
        rep.check("%s: the image installs the .deb with apt-get, not make install" % name,
                  any(ln.startswith("RUN ") and "apt-get install" in ln and ".deb" in ln
                      for ln in lines) and not any("make install" in ln for ln in lines))


def pod_env():
    """name -> value of the app container's env in pod.yaml (a flat reader
    for the fixed layout of that file; no YAML parser in the stdlib)."""
    env, name = {}, None
    with open(os.path.join(DOCKER, "pod.yaml"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip()
            m = re.match(r"\s*- name: (\S+)$", line)
            if m:
                name = m.group(1)
                continue
            m = re.match(r"\s*value: \"?([^\"]*)\"?$", line)
            if m and name:
                env[name] = m.group(1)
                name = None
    return env


def test_entrypoint_like_pod(rep, ctx):
    """The entrypoint as the pod runs it: installed tree as the image's root
    layout, the pod's TRUSTCACHE_* settings, the textfile directory a temp
    dir, $(POD_NAME) expanded as Kubernetes does."""
    ensure_installed(ctx)
    env = pod_env()
    want = {"TRUSTCACHE_STATS": "/var/lib/node_exporter/textfile/trustcache-$(POD_NAME)-%p.prom",
            "TRUSTCACHE_STATS_FORMAT": "prom", "TRUSTCACHE_STATS_INTERVAL": "15"}
    for k, v in want.items():
        rep.equal("pod.yaml sets %s" % k, env.get(k), v)
    textfile = os.path.join(ctx.tmp, "textfile")
    os.makedirs(textfile)
    stats = env.get("TRUSTCACHE_STATS", "").replace("/var/lib/node_exporter/textfile", textfile)
    stats = stats.replace("$(POD_NAME)", "api-client")
    runner = installed(ctx, "bin/trustcache-run")
    p = subprocess.Popen([runner, "--", sys.executable, "-c", CLIENT, ctx.server.url,
                          ctx.pki.bundle], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True,
                         env=dict({k: v for k, v in os.environ.items()
                                   if not k.startswith("TRUSTCACHE_") and k != "LD_PRELOAD"},
                                  TRUSTCACHE_STATS=stats,
                                  TRUSTCACHE_STATS_FORMAT=env.get("TRUSTCACHE_STATS_FORMAT", ""),
                                  TRUSTCACHE_STATS_INTERVAL=env.get("TRUSTCACHE_STATS_INTERVAL",
                                                                    "")))
    out, err = p.communicate(timeout=60)
    rep.check("pod entrypoint: the client ran (HTTP 200), no warning from the shim",
              p.returncode == 0 and '"status": 200' in out and "trustcache:" not in err,
              out + err)
    path = os.path.join(textfile, "trustcache-api-client-%d.prom" % p.pid)
    rep.check("pod entrypoint: the stats file is named for the pod and the pid "
              "(exec: the client kept the wrapper's pid)", os.path.exists(path),
              os.listdir(textfile))
    if not os.path.exists(path):
        return
    text = open(path, encoding="utf-8").read()
    samples = dict(re.findall(r"^(trustcache_[a-z_]+)(?:\{[^}]*\})? ([0-9.e+-]+)$", text, re.M))
    rep.check("pod entrypoint: the .prom file holds trustcache_* samples with # TYPE lines",
              bool(samples) and all(ln.startswith(("# HELP ", "# TYPE ", "trustcache_"))
                                    for ln in text.splitlines() if ln.strip()),
              text[:2000])


def prom_series(text):
    """{(name, labels)} of the samples in Prometheus text."""
    out = set()
    for line in text.splitlines():
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ", line)
        if m:
            out.add((m.group(1), m.group(2) or ""))
    return out


def test_textfile_two_writers(rep, ctx):
    """node_exporter's textfile collector rejects a series found in two
    files: two processes writing .prom files into one directory must not
    repeat a series.  Reported as SKIP while the shim's samples carry no
    per-process label (README.md in examples/docker says so)."""
    ensure_installed(ctx)
    textfile = os.path.join(ctx.tmp, "textfile-2")
    os.makedirs(textfile)
    runner = installed(ctx, "bin/trustcache-run")
    for _ in range(2):
        proc = run([runner, "--stats", os.path.join(textfile, "trustcache-%p.prom"),
                    "--format", "prom", "--", sys.executable, "-c", CLIENT, ctx.server.url,
                    ctx.pki.bundle])
        rep.check("textfile, two writers: client ran", proc.returncode == 0, proc.stderr)
    files = sorted(os.listdir(textfile))
    if not rep.equal("textfile, two writers: one .prom file per process", len(files), 2):
        return
    a, b = (prom_series(open(os.path.join(textfile, f), encoding="utf-8").read())
            for f in files)
    rep.check("textfile, two writers: every sample carries a pid label",
              bool(a) and bool(b) and all("pid=" in labels for _, labels in a | b),
              sorted(a | b)[:5])
    shared = a & b
    rep.check("textfile, two writers: no series repeats across the files", not shared,
              sorted(shared)[:5])


TESTS = [test_install_layout, test_installed_runner, test_dockerfiles, test_entrypoint_like_pod,
         test_textfile_two_writers, test_uninstall]
