"""gc-disabled: a service with gc.disable() whose SSLContexts leak through
reference cycles.

The service leaks one upstream client, and its SSLContext, per request
(see service.py).  The shim does not fix the leak, and its stats say so:
contexts_live counts the contexts still alive.  What it changes is the
price of each leaked context: the certificates in its store are shared
with the cache, not parsed anew.

The service runs without and with the shim.  With it, the stats file is
rewritten every second (TRUSTCACHE_STATS_INTERVAL=1) and the service keeps
a copy taken while the clients are leaking and one after gc.collect().
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import example  # noqa: E402

SERVICE = os.path.join(HERE, "service.py")


def run_service(runner, python, url, cafile, args, shim):
    argv = [python, SERVICE, "--url", url, "--cafile", cafile, "--count", str(args.count),
            "--every", str(args.every)]
    proc = runner.run(argv, shim, env={"TRUSTCACHE_STATS_INTERVAL": "1"}, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit("service failed (rc=%d):\n%s" % (proc.returncode, proc.stderr))
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    samples = [(x["n"], x["rss_kib"]) for x in lines if "n" in x]
    end = lines[-1]
    # The slope after the first sample, so the one-time costs of the first
    # request (imports, the shim's one real parse) are not spread over the rest.
    (n0, r0), (n1, r1) = samples[1], samples[-1]
    per_context = (r1 - r0) / float(n1 - n0) if n1 > n0 else float(r1 - samples[0][1]) / n1
    out = {"samples": samples, "seconds": end["seconds"], "uncollected": end["uncollected"],
           "rss_after_collect_kib": end["rss_after_collect_kib"],
           "growth_kib": r1 - samples[0][1], "kib_per_leaked_context": per_context,
           "stderr": proc.stderr, "stats_at_exit": proc.stats}
    if shim:
        out["stats_leaking"] = example.read_stats(proc.stats_path + ".leaking")
        out["stats_collected"] = example.read_stats(proc.stats_path + ".collected")
    return out


def main():
    p = example.arg_parser(__doc__, count=300)
    p.add_argument("--every", type=int, default=50)
    p.add_argument("--python", default="python3", help="interpreter for the service")
    args = p.parse_args()
    results = {"example": "gc-disabled", "count": args.count}
    with example.tempfile_dir("tc-gcoff-") as tmp:
        fix = example.pki.make_test_pki(tmp)
        runner = example.Runner(args, tmp)
        with example.https_server.HTTPSServer(fix.server.cert, fix.server.key) as srv:
            print("gc-disabled: %d requests, each leaking one client and its SSLContext "
                  "(gc.disable(), a reference cycle)" % args.count)
            print("  service: %s" % example.first_output_line(
                [args.python, "-c", "import ssl, sys; print('Python', sys.version.split()[0],"
                 " ssl.OPENSSL_VERSION)"]))
            print("  cafile: %d CA certificates (system roots + a throwaway CA)" %
                  example.pki.count_certs(fix.bundle))
            print()
            runs = {"without": run_service(runner, args.python, srv.url, fix.bundle, args, False),
                    "with": run_service(runner, args.python, srv.url, fix.bundle, args, True)}
    report(runs)
    for r in runs.values():
        for k in ("stats_at_exit", "stats_leaking", "stats_collected"):
            if k in r:
                r[k] = example.stats_brief(r[k])
    results["runs"] = runs
    example.write_json(args.json, results)
    return 0


def live_line(label, st):
    if not st:
        return "  %-28s not available (this shim does not rewrite its stats periodically)" % label
    text = "  %-28s contexts_live %d (created %d, freed %d)" % (
        label, st["contexts_live"], st["contexts_created"], st["contexts_freed"])
    if "contexts_live_peak" in st:
        text += ", peak %d" % st["contexts_live_peak"]
    if st.get("contexts_leak_suspected"):
        text += ", leak suspected"
    return text


def report(runs):
    a, b = runs["without"], runs["with"]
    print("  %10s %16s %16s" % ("requests", "RSS without", "RSS with shim"))
    for (n, r0), (_, r1) in zip(a["samples"], b["samples"]):
        print("  %10d %16s %16s" % (n, example.mib(r0), example.mib(r1)))
    print()
    print("  RSS growth per leaked context (after the first %d): %.0f KiB without the shim, "
          "%.0f KiB with it" % (a["samples"][1][0], a["kib_per_leaked_context"],
                                b["kib_per_leaked_context"]))
    print("  time for %d requests: %.2f s without, %.2f s with" % (
        a["samples"][-1][0], a["seconds"], b["seconds"]))
    print("  clients left for the collector when the loop ended: %d" % b["uncollected"])
    print()
    print("shim stats, with the shim:")
    print(live_line("while leaking:", b.get("stats_leaking")))
    print(live_line("after gc.collect():", b.get("stats_collected")))
    print(live_line("at exit:", b.get("stats_at_exit")))
    example.print_stats(b.get("stats_at_exit"))
    print()
    print("The leak is still there with the shim; each leaked context costs %.0f KiB"
          % b["kib_per_leaked_context"])
    print("instead of %.0f KiB.  At exit contexts_live is back to 0 either way: Python"
          % a["kib_per_leaked_context"])
    print("collects every cycle while shutting down, gc.disable() or not; the peak")
    print("(contexts_live_peak) still shows how many were alive at once.")


if __name__ == "__main__":
    sys.exit(main())
