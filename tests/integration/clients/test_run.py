"""tools/trustcache-run: options, LD_PRELOAD, exec, signals, --check."""

import os
import shutil
import signal
import stat
import subprocess
import sys
import time

from common import RUNNER, TOP, run

LIBZ = "/lib/x86_64-linux-gnu/libz.so.1"
LIBM = "/lib/x86_64-linux-gnu/libm.so.6"
SHOW_PRELOAD = ["sh", "-c", 'printf "%s" "$LD_PRELOAD"']


def lib_env(ctx, **extra):
    env = {"TRUSTCACHE_LIBRARY": ctx.shim}
    env.update(extra)
    return env


def test_shellcheck(rep, ctx):
    proc = run(["shellcheck", "--shell=sh", RUNNER])
    rep.check("trustcache-run is shellcheck-clean (POSIX sh)", proc.returncode == 0,
              proc.stdout + proc.stderr)
    with open(RUNNER, encoding="utf-8") as f:
        first = f.readline().strip()
    rep.equal("trustcache-run starts with #!/bin/sh", first, "#!/bin/sh")


def test_usage_errors(rep, ctx):
    for argv, why in (([], "no arguments"), (["--"], "no command after --"),
                      (["--bogus", "--", "true"], "an unknown option"),
                      (["--format", "xml", "--", "true"], "a bad --format"),
                      (["--stats"], "--stats without a value"),
                      (["--check"], "--check without a command")):
        proc = run([RUNNER] + argv)
        rep.check("usage error (%s) exits 2 with a message" % why,
                  proc.returncode == 2 and "trustcache-run:" in proc.stderr,
                  "rc=%d stderr=%r" % (proc.returncode, proc.stderr))
    proc = run([RUNNER, "--help"])
    rep.check("--help exits 0 and shows the usage", proc.returncode == 0 and
              "usage: trustcache-run" in proc.stdout, proc.stdout + proc.stderr)


def test_preload_prepended(rep, ctx):
    lib = ctx.shim
    cases = (
        (None, lib, "LD_PRELOAD unset: just the library"),
        ("%s %s" % (LIBZ, LIBM), "%s:%s:%s" % (lib, LIBZ, LIBM),
         "space-separated entries kept after it, in order"),
        ("%s:%s" % (LIBZ, LIBM), "%s:%s:%s" % (lib, LIBZ, LIBM),
         "colon-separated entries kept after it, in order"),
        (" %s  :%s " % (LIBZ, LIBM), "%s:%s:%s" % (lib, LIBZ, LIBM),
         "stray separators dropped"),
        ("%s %s" % (LIBZ, lib), "%s:%s" % (lib, LIBZ), "the library is never listed twice"),
        ("/opt/x/libasan.so.8 %s" % LIBZ, "/opt/x/libasan.so.8:%s:%s" % (lib, LIBZ),
         "a sanitizer runtime stays first"),
    )
    for old, want, what in cases:
        env = lib_env(ctx)
        if old is not None:
            env["LD_PRELOAD"] = old
        proc = run([RUNNER, "--"] + SHOW_PRELOAD, env=env)
        rep.equal("LD_PRELOAD: %s" % what, proc.stdout, want)


def test_found_next_to_script(rep, ctx):
    """Without TRUSTCACHE_LIBRARY: build/ next to tools/ in a source tree,
    through a symlink too."""
    if os.path.abspath(os.path.dirname(ctx.shim)) != os.path.join(TOP, "build"):
        rep.skip("library found in the source tree", "BUILD is not build/")
        return
    proc = run([RUNNER, "--"] + SHOW_PRELOAD)
    rep.equal("source tree: tools/trustcache-run finds build/libtrustcache.so",
              proc.stdout, ctx.shim)
    link = ctx.path("bin", "trustcache-run")
    os.symlink(RUNNER, link)
    proc = run([link, "--"] + SHOW_PRELOAD)
    rep.equal("a symlink to the script finds the same library", proc.stdout, ctx.shim)


def test_missing_library(rep, ctx):
    env = {"TRUSTCACHE_LIBRARY": "/nonexistent/libtrustcache.so", "LD_PRELOAD": LIBZ}
    proc = run([RUNNER, "--"] + SHOW_PRELOAD, env=env)
    rep.check("missing library: the command still runs, LD_PRELOAD untouched, one warning",
              proc.returncode == 0 and proc.stdout == LIBZ
              and proc.stderr.count("trustcache-run:") == 1,
              "rc=%d out=%r err=%r" % (proc.returncode, proc.stdout, proc.stderr))
    odd = ctx.path("odd dir", "libtrustcache.so")
    shutil.copy(ctx.shim, odd)
    proc = run([RUNNER, "--"] + SHOW_PRELOAD, env={"TRUSTCACHE_LIBRARY": odd})
    rep.check("a library path with a space is refused (LD_PRELOAD cannot hold it), "
              "the command still runs", proc.returncode == 0 and proc.stdout == ""
              and "space" in proc.stderr, "out=%r err=%r" % (proc.stdout, proc.stderr))


def test_options_set_environment(rep, ctx):
    show = ["sh", "-c", 'printf "%s|%s|%s" "$TRUSTCACHE_STATS" "$TRUSTCACHE_STATS_FORMAT" '
            '"${TRUSTCACHE_MODE-unset}"']
    proc = run([RUNNER, "--stats", "/tmp/x-%p.json", "--format", "json", "--observe", "--"]
               + show, env=lib_env(ctx))
    rep.equal("--stats/--format/--observe set TRUSTCACHE_STATS/_FORMAT/_MODE", proc.stdout,
              "/tmp/x-%p.json|json|observe")
    proc = run([RUNNER, "--stats=stderr", "--format=prom"] + show, env=lib_env(ctx))
    rep.equal("--opt=value forms, and a command without --", proc.stdout, "stderr|prom|unset")
    proc = run([RUNNER, "--"] + show, env=lib_env(ctx, TRUSTCACHE_MODE="off"))
    rep.equal("without options the caller's TRUSTCACHE_* pass through", proc.stdout,
              "||off")


def test_exec_exit_status(rep, ctx):
    proc = run([RUNNER, "--", "sh", "-c", "exit 42"], env=lib_env(ctx))
    rep.equal("the command's exit status passes through", proc.returncode, 42)
    proc = run([RUNNER, "--", "/nonexistent/program"], env=lib_env(ctx))
    rep.equal("a command that does not exist: 127", proc.returncode, 127)
    # exec: the command keeps the wrapper's pid.
    p = subprocess.Popen([RUNNER, "--", "sh", "-c", "echo $$"], stdout=subprocess.PIPE,
                         text=True, env=dict(os.environ, TRUSTCACHE_LIBRARY=ctx.shim))
    out, _ = p.communicate(timeout=30)
    rep.equal("exec: the command runs with the wrapper's pid", out.strip(), str(p.pid))


def test_signals(rep, ctx):
    """SIGTERM sent to the wrapper's pid reaches the command itself."""
    marker = ctx.path("signals", "got-term")
    child = ("import signal, sys, time\n"
             "def on_term(signum, frame):\n"
             "    open(%r, 'w').write(str(signum))\n"
             "    sys.exit(143)\n"
             "signal.signal(signal.SIGTERM, on_term)\n"
             "print('ready', flush=True)\n"
             "time.sleep(60)\n" % marker)
    p = subprocess.Popen([RUNNER, "--", sys.executable, "-c", child], stdout=subprocess.PIPE,
                         text=True, env=dict(os.environ, TRUSTCACHE_LIBRARY=ctx.shim))
    ready = p.stdout.readline().strip()
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)
    got = open(marker).read() if os.path.exists(marker) else None
    rep.check("SIGTERM to the wrapper's pid: the command's handler ran",
              ready == "ready" and got == str(int(signal.SIGTERM)), "ready=%r got=%r" % (ready, got))
    rep.equal("... and its exit status (143) came back", rc, 143)
    p = subprocess.Popen([RUNNER, "--", "sleep", "60"],
                         env=dict(os.environ, TRUSTCACHE_LIBRARY=ctx.shim))
    time.sleep(0.5)
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)
    rep.equal("a command killed by SIGTERM: the wrapper's pid died of SIGTERM "
              "(no shell left in between)", rc, -signal.SIGTERM)


# ------------------------------------------------------------ --check

def check(ctx, target, path=None, env=None):
    e = {"TRUSTCACHE_LIBRARY": ctx.shim}
    if path is not None:
        e["PATH"] = path
    e.update(env or {})
    return run([RUNNER, "--check", target], env=e)


def expect_verdict(rep, label, proc, rc, *needles):
    text = proc.stdout + proc.stderr
    missing = [n for n in needles if n not in text]
    rep.check("--check %s: exit %d%s" % (label, rc,
                                          (", mentions " + ", ".join(repr(n) for n in needles))
                                          if needles else ""),
              proc.returncode == rc and not missing,
              "rc=%d missing=%r\n%s" % (proc.returncode, missing, text))


def compile_c(ctx, name, source, *flags):
    src = ctx.path("cbin", name + ".c")
    with open(src, "w", encoding="ascii") as f:
        f.write(source)
    out = ctx.path("cbin", name)
    proc = run(["cc", "-o", out, src] + list(flags))
    return out if proc.returncode == 0 else None


def test_check_clients(rep, ctx):
    proc = check(ctx, "curl")
    expect_verdict(rep, "curl", proc, 0, "libssl.so.3", "can benefit")
    proc = check(ctx, "python3")
    expect_verdict(rep, "python3 (its _ssl module)", proc, 0, "_ssl", "libssl.so.3")
    for name, needle in (("ruby", "openssl.so"), ("php", "PHP"), ("perl", "SSLeay.so")):
        if shutil.which(name):
            expect_verdict(rep, name, check(ctx, name), 0, needle, "libssl.so.3")
    pg = sorted(d for d in os.listdir("/usr/lib/postgresql")) if os.path.isdir(
        "/usr/lib/postgresql") else []
    if shutil.which("pgbench") and pg:
        expect_verdict(rep, "pgbench (Debian's wrapper followed)", check(ctx, "pgbench"), 0,
                       "/usr/lib/postgresql/", "libssl.so.3")
    expect_verdict(rep, "ls (no libssl)", check(ctx, "ls"), 1, "does not load libssl",
                   "cannot benefit")
    expect_verdict(rep, "a command that does not exist", check(ctx, "no-such-command-x"), 1,
                   "not found")


def test_check_static_go_setuid(rep, ctx):
    static = compile_c(ctx, "static", "int main(void) { return 0; }\n", "-static")
    if static:
        expect_verdict(rep, "a static binary", check(ctx, static), 1, "statically linked")
    else:
        rep.skip("--check a static binary", "cannot link statically here (libc.a missing)")
    go = compile_c(ctx, "gofake",
                   '__attribute__((used, section(".go.buildinfo")))\n'
                   'static const char info[32] = "\\xff Go buildinf:";\n'
                   "int main(void) { return 0; }\n")
    expect_verdict(rep, "a Go binary (.go.buildinfo section)", check(ctx, go), 1, "Go")
    suid = ctx.path("suid", "curl")
    shutil.copy(shutil.which("curl"), suid)
    os.chmod(suid, 0o4755)
    expect_verdict(rep, "a setuid copy of curl", check(ctx, suid), 1, "setuid")


def minimal_path(ctx):
    """A PATH with only what debian:12-slim has (no readelf, file, getcap)."""
    d = ctx.path("slim-bin", "x")
    d = os.path.dirname(d)
    for tool in ("sh", "ldd", "dd", "sed", "grep", "head", "find", "readlink", "dirname",
                 "basename", "cat", "tr", "sort", "curl", "ls", "bash"):
        real = shutil.which(tool)
        if real and not os.path.exists(os.path.join(d, tool)):
            os.symlink(real, os.path.join(d, tool))
    return d


def test_check_slim_image_tools(rep, ctx):
    path = minimal_path(ctx)
    expect_verdict(rep, "curl with only slim-image tools (ldd fallback)",
                   check(ctx, "curl", path=path), 0, "libssl.so.3")
    static = os.path.join(ctx.tmp, "cbin", "static")
    if os.path.exists(static):
        expect_verdict(rep, "a static binary with only slim-image tools",
                       check(ctx, static, path=path), 1, "static")
    go = os.path.join(ctx.tmp, "cbin", "gofake")
    if os.path.exists(go):
        expect_verdict(rep, "a Go binary with only slim-image tools (grep fallback)",
                       check(ctx, go, path=path), 1, "Go")


def test_check_scripts_and_bundled(rep, ctx):
    script = ctx.path("scripts", "tool")
    with open(script, "w", encoding="ascii") as f:
        f.write("#!/usr/bin/env python3\nprint('hi')\n")
    os.chmod(script, 0o755)
    expect_verdict(rep, "a #!/usr/bin/env python3 script", check(ctx, script), 0, "_ssl")
    shell = ctx.path("scripts", "wrapper.sh")
    with open(shell, "w", encoding="ascii") as f:
        f.write("#!/bin/sh\nexec curl \"$@\"\n")
    os.chmod(shell, 0o755)
    expect_verdict(rep, "a shell script", check(ctx, shell), 1, "check the programs it starts")
    # A venv with a wheel-style bundled OpenSSL (auditwheel's *.libs/ layout).
    venv = ctx.path("venv", "x")
    venv = os.path.dirname(venv)
    proc = run([sys.executable, "-m", "venv", "--without-pip", venv + "/env"])
    if proc.returncode != 0:
        rep.skip("--check a venv with a bundled libssl", "cannot create a venv: " + proc.stderr)
        return
    site = run([venv + "/env/bin/python3", "-c",
                "import site; print(site.getsitepackages()[0])"]).stdout.strip()
    libs = os.path.join(site, "somewheel.libs")
    os.makedirs(libs)
    shutil.copy("/lib/x86_64-linux-gnu/libssl.so.3", os.path.join(libs, "libssl-1a2b3c4d.so.3"))
    expect_verdict(rep, "a venv python3 with a bundled libssl in site-packages/*.libs",
                   check(ctx, venv + "/env/bin/python3"), 0, "bundled OpenSSL copy",
                   "libssl-1a2b3c4d.so.3")


def test_check_is_read_only(rep, ctx):
    """--check never runs the target with the library or changes anything."""
    marker = ctx.path("ro", "ran")
    script = ctx.path("ro", "prog.sh")
    with open(script, "w", encoding="ascii") as f:
        f.write("#!/bin/sh\ntouch %s\n" % marker)
    os.chmod(script, 0o755)
    check(ctx, script)
    rep.check("--check does not run the program it examines", not os.path.exists(marker))
    mode = stat.S_IMODE(os.stat(script).st_mode)
    rep.equal("--check leaves the program's mode alone", mode, 0o755)


TESTS = [test_shellcheck, test_usage_errors, test_preload_prepended, test_found_next_to_script,
         test_missing_library, test_options_set_environment, test_exec_exit_status,
         test_signals, test_check_clients, test_check_static_go_setuid,
         test_check_slim_image_tools, test_check_scripts_and_bundled, test_check_is_read_only]
