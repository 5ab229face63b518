"""trustcache demo: the same requests loop without and with the shim.

Everything is local: a throwaway CA, a server certificate for 127.0.0.1,
an HTTPS server on a loopback port, and a bundle made of the system roots
plus the throwaway CA (the way private-CA bundles are usually built).  The
client loop runs in separate processes, without and with
LD_PRELOAD=libtrustcache.so, twice: dropping each response, then keeping
every response (as recorders and response caches do).  A before/after
table sums it up, the RSS of the four runs is plotted against connections
(with --plot-dir), and the shim's own counters are printed last.

    python3 examples/demo/demo.py --shim build/libtrustcache.so --plot-dir build/demo
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "lib"))

import https_server  # noqa: E402
import interpreters  # noqa: E402
import pki  # noqa: E402
import plot  # noqa: E402

LOOP = os.path.join(HERE, "requests_loop.py")


def pick_python(candidates):
    """The first interpreter that can import requests."""
    info = interpreters.first_with(candidates, ("requests", "urllib3"))
    if info is None:
        raise SystemExit("demo: none of %s can import requests" % ", ".join(candidates))
    return info["exe"], "Python %s, requests %s, urllib3 %s, %s" % (
        info["version"], info["modules"]["requests"], info["modules"]["urllib3"], info["openssl"])


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_loop(python, url, bundle, count, max_seconds, preload=None, stats=None, keep=False,
             sample_every=0):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("TRUSTCACHE_")}
    if preload:
        env["LD_PRELOAD"] = preload
        env["TRUSTCACHE_STATS"] = stats
    argv = [python, LOOP, "--url", url, "--bundle", bundle, "--count", str(count),
            "--max-seconds", str(max_seconds), "--sample-every", str(sample_every)]
    if keep:
        argv.append("--keep")
    cpu0 = children_cpu()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                          timeout=max_seconds + 60)
    if proc.returncode != 0:
        raise SystemExit("demo: client loop failed (rc=%d):\n%s" % (proc.returncode, proc.stderr))
    if proc.stderr:
        sys.stderr.write(proc.stderr)
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["cpu_seconds"] = children_cpu() - cpu0
    return out


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


def read_stats(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def before_after(plain, shimmed, kept0, kept1, stats):
    """One table: each line a quantity, before (no shim) and after (shim)."""
    n0, n1 = plain["requests"], shimmed["requests"]
    rate0, rate1 = n0 / plain["seconds"], n1 / shimmed["seconds"]
    cpu0, cpu1 = 1000.0 * plain["cpu_seconds"] / n0, 1000.0 * shimmed["cpu_seconds"] / n1
    g0 = plain["rss_after_kib"] - plain["rss_before_kib"]
    g1 = shimmed["rss_after_kib"] - shimmed["rss_before_kib"]
    k0 = kept0["rss_after_kib"] - kept0["rss_before_kib"]
    k1 = kept1["rss_after_kib"] - kept1["rss_before_kib"]
    rows = [
        ("requests per second", "%.1f" % rate0, "%.1f" % rate1, "%.1fx" % (rate1 / rate0)),
        ("CPU per request (client process)", "%.1f ms" % cpu0, "%.2f ms" % cpu1,
         "%.1fx less" % (cpu0 / cpu1) if cpu1 > 0 else ""),
    ]
    if stats:
        rows.append(("CA bundle parses", "%d (every request)" % stats["ca_loads_requested"],
                     "%d" % stats["ca_loads_performed"],
                     "%d served from cache" % stats["ca_loads_avoided"]))
    rows += [
        ("RSS growth, %d requests, responses dropped" % n0, "+" + mib(g0), "+" + mib(g1), ""),
        ("RSS growth, %d requests, responses kept" % kept0["requests"], "+" + mib(k0),
         "+" + mib(k1), "%.0fx less" % (k0 / k1) if k1 > 0 else ""),
        ("retained per kept response", "%.0f KiB" % (k0 / max(kept0["requests"], 1)),
         "%.0f KiB" % (k1 / max(kept1["requests"], 1)), ""),
    ]
    print("before/after: the same client, without the shim (before) and with it (after)")
    print("  %-44s %20s %14s  %s" % ("", "before (no shim)", "after (shim)", "change"))
    for label, a, b, c in rows:
        print("  %-44s %20s %14s  %s" % (label, a, b, c))


def make_plot(directory, runs, count, bundle_certs):
    title = ("RSS against connections: requests.get(verify=%d-cert bundle), "
             "without and with trustcache" % bundle_certs)
    try:
        png = plot.write(directory, {k: r["samples"] for k, r in runs.items()}, title)
    except (OSError, RuntimeError) as e:
        print("  plot: not written (%s)" % e)
        return
    print("  plot: %s (data: %s)" % (png, os.path.join(directory, "rss-vs-connections.dat")))


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
    p.add_argument("--max-seconds", type=float, default=45.0)
    p.add_argument("--plot-dir", help="write the RSS plot (gnuplot PNG) and its data here")
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
            print("  behind stays visible in RSS.  Runs 'kept' keep every response, as")
            print("  recorders and response caches do (urllib3 2.3+ responses hold their")
            print("  socket, hence its SSLContext and parsed CA store).")
            print("  up to %d requests or %.0f s per run" % (args.count, args.max_seconds))
            print()
            stats_path = os.path.join(tmp, "trustcache-stats.json")
            every = max(1, args.count // 30)
            loop = dict(url=server.url, bundle=fix.bundle, count=args.count,
                        max_seconds=args.max_seconds, sample_every=every)
            plain = run_loop(python, **loop)
            shimmed = run_loop(python, preload=shim, stats=stats_path, **loop)
            kept0 = run_loop(python, keep=True, **loop)
            kept1 = run_loop(python, preload=shim, stats=os.path.join(tmp, "kept-stats.json"),
                             keep=True, **loop)
            print("  %-13s %8s %9s %9s %12s %11s %11s %14s" % (
                "", "requests", "seconds", "req/s", "RSS before", "RSS after", "growth",
                "per request"))
            rate0, growth0 = row("without shim", plain)
            rate1, growth1 = row("with shim", shimmed)
            row("kept, without", kept0)
            row("kept, with", kept1)
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
            print()
            before_after(plain, shimmed, kept0, kept1, read_stats(stats_path))
            if args.plot_dir:
                make_plot(args.plot_dir, {"drop_without": plain, "drop_with": shimmed,
                                          "keep_without": kept0, "keep_with": kept1},
                          args.count, n_roots)
            print_stats(stats_path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
