"""Rehearse the container images here, without Docker.

The images install the Debian package (`make deb`, then apt-get install of
the .deb) and start the program with ENTRYPOINT ["trustcache-run", "--"].
This builds the same package (`make deb`, reused while it is up to date),
unpacks it into a temporary root directory (dpkg-deb -x: the files apt-get
would install, where it would install them) and runs ROOT/usr/bin/
trustcache-run from there, against a local HTTPS server:

  1. `trustcache-run --check python3`, as the Dockerfiles' RUN line does;
  2. app.py under the entrypoint with the pod's settings (Prometheus text
     into a textfile directory, rewritten every 15 s and at exit);
  3. `docker stop`: SIGTERM to the entrypoint's pid reaches the program,
     and its exit status is the container's.
"""

import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import example  # noqa: E402

APP = os.path.join(HERE, "app.py")
SLEEPER = ("import signal, sys, time\n"
           "signal.signal(signal.SIGTERM, lambda s, f: sys.exit(143))\n"
           "print('ready', flush=True)\n"
           "time.sleep(120)\n")


def install(root, build):
    """make deb, then the package's files under ROOT; the entrypoint's path."""
    proc = subprocess.run(["make", "--no-print-directory", "-C", example.TOP, "BUILD=%s" % build,
                           "deb"], capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit("make deb failed:\n" + proc.stdout + proc.stderr)
    name = subprocess.run(["make", "--no-print-directory", "-s", "-C", example.TOP,
                           "BUILD=%s" % build, "print-deb"], capture_output=True, text=True)
    deb = name.stdout.strip()
    deb = deb if os.path.isabs(deb) else os.path.join(example.TOP, deb)
    proc = subprocess.run(["dpkg-deb", "-x", deb, root], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit("dpkg-deb -x %s failed:\n%s" % (deb, proc.stderr))
    return deb, os.path.join(root, "usr", "bin", "trustcache-run")


def entrypoint_env(extra):
    """The image's environment: nothing of ours but what it sets."""
    env = example.clean_env(extra)
    env.pop("TRUSTCACHE_LIBRARY", None)
    return env


def step_check(runner, python):
    proc = subprocess.run([runner, "--check", python], capture_output=True, text=True,
                          env=entrypoint_env({}), timeout=60)
    print("1. RUN trustcache-run --check %s  (exit %d)" % (python, proc.returncode))
    for line in proc.stdout.splitlines():
        print("   " + line)
    return {"rc": proc.returncode, "stdout": proc.stdout}


def step_app(runner, python, urls, bundle, textfile):
    stats = os.path.join(textfile, "trustcache-api-client-%p.prom")
    env = entrypoint_env({"TRUSTCACHE_STATS": stats, "TRUSTCACHE_STATS_FORMAT": "prom",
                          "TRUSTCACHE_STATS_INTERVAL": "15",
                          # app.py uses requests' default bundle: point it at ours
                          "REQUESTS_CA_BUNDLE": bundle})
    p = subprocess.Popen([runner, "--", python, APP] + urls, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    out, err = p.communicate(timeout=120)
    path = os.path.join(textfile, "trustcache-api-client-%d.prom" % p.pid)
    text = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
    print()
    print("2. ENTRYPOINT [\"trustcache-run\", \"--\"] CMD [\"python3\", \"app.py\", ...] "
          "with the pod's TRUSTCACHE_* settings  (exit %d)" % p.returncode)
    for line in out.splitlines():
        print("   app: " + line)
    print("   stats file: %s" % (os.path.basename(path) if text else "(none)"))
    for line in text.splitlines():
        if line.startswith(("trustcache_ca_loads_requested", "trustcache_ca_loads_performed",
                            "trustcache_ca_loads_avoided", "trustcache_contexts_created")):
            print("     " + line)
    return {"rc": p.returncode, "stdout": out, "stderr": err, "pid": p.pid,
            "stats_file": os.path.basename(path) if text else None, "prom": text}


def step_stop(runner, python):
    p = subprocess.Popen([runner, "--", python, "-c", SLEEPER], stdout=subprocess.PIPE,
                         text=True, env=entrypoint_env({}))
    ready = p.stdout.readline().strip()
    time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=30)
    print()
    print("3. docker stop: SIGTERM to the entrypoint's pid %d -> the program's handler ran, "
          "exit status %d" % (p.pid, rc))
    return {"ready": ready, "rc": rc}


def main():
    args = example.arg_parser(__doc__, count=3).parse_args()
    build = os.path.dirname(os.path.abspath(args.shim))  # the top Makefile's BUILD
    info = example.interpreters.first_with(["python3", "/usr/bin/python3"], ("requests",))
    if info is None:
        raise SystemExit("docker: no interpreter can import requests")
    python = info["exe"]
    with example.tempfile_dir("tc-docker-") as tmp:
        fix = example.pki.make_test_pki(tmp)
        root = os.path.join(tmp, "root")
        deb, runner = install(root, build)
        textfile = os.path.join(tmp, "textfile")
        os.makedirs(textfile)
        print("image root: %s (dpkg-deb -x %s); entrypoint /%s" % (
            root, os.path.relpath(deb, example.TOP), os.path.relpath(runner, root)))
        print()
        with example.https_server.HTTPSServer(fix.server.cert, fix.server.key) as srv:
            urls = ["%s?i=%d" % (srv.url, i) for i in range(1, args.count + 1)]
            results = {"example": "docker", "count": args.count,
                       "deb": os.path.basename(deb),
                       "library": sorted(os.path.relpath(os.path.join(d, f), root)
                                         for d, _, fs in os.walk(root) for f in fs
                                         if f == "libtrustcache.so"),
                       "check": step_check(runner, python),
                       "app": step_app(runner, python, urls, fix.bundle, textfile),
                       "stop": step_stop(runner, python)}
    example.write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
