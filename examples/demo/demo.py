"""trustcache demo: the same requests loop without and with the shim.

Everything is local: a throwaway CA, a server certificate for 127.0.0.1,
an HTTPS server on a loopback port, and a bundle made of the system roots
plus the throwaway CA (the way private-CA bundles are usually built).  The
client loop runs in two separate processes, the second one with
LD_PRELOAD=libtrustcache.so, and the shim's own counters are printed last.

    python3 examples/demo/demo.py --shim build/libtrustcache.so
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))

import https_server  # noqa: E402
import interpreters  # noqa: E402
import pki  # noqa: E402

LOOP = os.path.join(HERE, "requests_loop.py")


def pick_python(candidates):
    """The first interpreter that can import requests."""
    info = interpreters.first_with(candidates, ("requests", "urllib3"))
    if info is None:
        raise SystemExit("demo: none of %s can import requests" % ", ".join(candidates))
    return info["exe"], "Python %s, requests %s, urllib3 %s, %s" % (
        info["version"], info["modules"]["requests"], info["modules"]["urllib3"], info["openssl"])


def run_loop(python, url, bundle, count, max_seconds, preload=None, stats=None):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("TRUSTCACHE_")}
    if preload:
        env["LD_PRELOAD"] = preload
        env["TRUSTCACHE_STATS"] = stats
    proc = subprocess.run([python, LOOP, "--url", url, "--bundle", bundle,
                           "--count", str(count), "--max-seconds", str(max_seconds)],
                          capture_output=True, text=True, env=env, timeout=max_seconds + 60)
    if proc.returncode != 0:
        raise SystemExit("demo: client loop failed (rc=%d):\n%s" % (proc.returncode, proc.stderr))
    if proc.stderr:
        sys.stderr.write(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def mib(kib):
    return "%.1f MiB" % (kib / 1024.0)


def row(label, r):
    rate = r["requests"] / r["seconds"]
    growth = r["rss_after_kib"] - r["rss_before_kib"]
    per_req = growth / max(r["requests"], 1)
    print("  %-13s %8d %9.2f %9.1f %12s %11s %11s %10.0f KiB" % (
        label, r["requests"], r["seconds"], rate, mib(r["rss_before_kib"]),
        mib(r["rss_after_kib"]), "+" + mib(growth), per_req))
    return rate, growth


def print_stats(path):
    print()
    print("trustcache's own counters for the run with the shim (TRUSTCACHE_STATS=%s):"
          % os.path.basename(path))
    try:
        with open(path, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        print("  (no statistics: %s)" % e)
        return
    print(json.dumps(stats, indent=2, sort_keys=False))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shim", required=True)
    p.add_argument("--python", action="append", default=None,
                   help="interpreter for the client (first one with requests wins)")
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--max-seconds", type=float, default=20.0)
    args = p.parse_args()
    shim = os.path.abspath(args.shim)
    python, version = pick_python(args.python or ["python3", "/usr/bin/python3"])

    with tempfile.TemporaryDirectory(prefix="tc-demo-") as tmp:
        fix = pki.make_test_pki(tmp)
        n_roots = pki.count_certs(fix.bundle)
        with https_server.HTTPSServer(fix.server.cert, fix.server.key) as server:
            print("trustcache demo: requests.get(url, verify=bundle) in a loop, no Session")
            print("  server : %s (local, throwaway CA)" % server.url)
            print("  bundle : %d CA certificates (system roots + the throwaway CA)" % n_roots)
            print("  client : %s (%s)" % (python, version))
            print("  every request opens a new connection and loads the bundle into a new")
            print("  SSLContext; gc is disabled in the client, so whatever a request leaves")
            print("  behind stays visible in RSS.")
            print("  up to %d requests or %.0f s per run" % (args.count, args.max_seconds))
            print()
            stats_path = os.path.join(tmp, "trustcache-stats.json")
            plain = run_loop(python, server.url, fix.bundle, args.count, args.max_seconds)
            shimmed = run_loop(python, server.url, fix.bundle, args.count, args.max_seconds,
                               preload=shim, stats=stats_path)
            print("  %-13s %8s %9s %9s %12s %11s %11s %14s" % (
                "", "requests", "seconds", "req/s", "RSS before", "RSS after", "growth",
                "per request"))
            rate0, growth0 = row("without shim", plain)
            rate1, growth1 = row("with shim", shimmed)
            print()
            print("  speed-up with the shim: %.2fx (%.1f -> %.1f req/s)" % (rate1 / rate0, rate0, rate1))
            per0 = growth0 / max(plain["requests"], 1)
            per1 = growth1 / max(shimmed["requests"], 1)
            if per1 > 0:
                print("  retained memory per request: %.0f KiB -> %.0f KiB (%.1fx less)"
                      % (per0, per1, per0 / per1))
            else:
                print("  retained memory per request: %.0f KiB -> %.0f KiB" % (per0, per1))
            print("  server handshakes: %(handshakes_ok)d ok, %(handshakes_failed)d failed"
                  % server.stats())
            print_stats(stats_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
