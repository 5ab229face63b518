"""python-recorder: the OOM case, under a real memory limit.

An API recorder opens a new connection per interaction (Connection: close)
and keeps every response until it writes its cassette.  Since urllib3 2.3,
each urllib3 HTTPResponse keeps a reference to its socket's shutdown method
(HTTPResponse._sock_shutdown), so every kept response pins the closed
SSLSocket, its SSLContext and the whole CA store parsed into it: about
850 KiB per interaction with a 145-certificate bundle.  With the shim the
store holds the same certificates by reference.

The recorder runs twice, without and with the shim, each in a memory cgroup
of its own limited to --limit-mib (default 256 MiB), made and removed here:
the kernel enforces the limit as it does a container's.  The verdict is the
kernel's: killed by SIGKILL (with the cgroup's OOM-kill count), or all
interactions completed, with the peak memory the cgroup itself counted.
Where no memory cgroup can be made (no controller, not root), the recorder
stops itself when its RSS passes the same number, and the output says so.
RSS is printed every 100 interactions.
"""

import json
import os
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import example  # noqa: E402
import memcg  # noqa: E402

RECORDER = os.path.join(HERE, "recorder.py")


def run_recorder(runner, python, url, bundle, args, shim):
    """One recorder run, in a memory cgroup if one can be made."""
    label = "with" if shim else "without"
    cg = memcg.MemoryCgroup("trustcache-recorder-%s" % label, int(args.limit_mib * 1048576))
    try:
        cg.create()
        why_not = None
    except memcg.CgroupUnavailable as e:
        cg, why_not = None, str(e)
    budget = 0 if cg else args.limit_mib  # the RSS budget only without a cgroup
    argv = [python, RECORDER, "--url", url, "--bundle", bundle, "--count", str(args.count),
            "--every", str(args.every), "--budget-mib", str(budget), "--progress"]
    try:
        kw = {"preexec_fn": cg.enter_in_child} if cg else {}
        proc = runner.run(argv, shim, timeout=1800, **kw)
        kernel = cg.verdict() if cg else None
        where = cg.describe() if cg else None
    finally:
        if cg:
            cg.remove()
    out = proc.stdout.splitlines()
    lines = [json.loads(x) for x in out if x.startswith("{")]
    progress = [int(x) for x in out if x.strip().isdigit()]
    recorded = progress[-1] if progress else 0
    samples = [(x["n"], x["rss_kib"]) for x in lines if "rss_kib" in x]
    end = lines[-1] if lines else {}
    killed = -proc.returncode if proc.returncode < 0 else None
    if killed is None and proc.returncode != 0:
        raise SystemExit("recorder failed (rc=%d):\n%s" % (proc.returncode, proc.stderr))
    if kernel:
        verdict = "killed" if killed else "completed"
        method = "cgroup-" + kernel["cgroup"]
    else:
        verdict = "over_budget" if end.get("over_budget") else (
            "killed" if killed else "completed")
        method = "rss-budget"
    return {"label": label, "verdict": verdict, "method": method, "cgroup": where,
            "no_cgroup_reason": why_not, "signal": killed, "returncode": proc.returncode,
            "interactions": recorded, "kernel": kernel, "samples": samples,
            "over_budget": end.get("over_budget"), "seconds": end.get("seconds"),
            "versions": lines[0] if lines else None, "stats": proc.stats}


def per_interaction_kib(samples):
    """Slope between the first sample after warm-up and the last one."""
    pts = [s for s in samples if s[0] > 0]
    if len(pts) < 2:
        return None
    (n0, r0), (n1, r1) = pts[0], pts[-1]
    return (r1 - r0) / float(n1 - n0) if n1 > n0 else None


def verdict_line(r, count, limit_mib):
    k = r["kernel"]
    if r["method"] == "rss-budget":
        if r["verdict"] == "over_budget":
            return ("RSS passed %.0f MiB after %d interactions (no memory cgroup: a container "
                    "with that limit would be OOM-killed here)" % (limit_mib, r["over_budget"]))
        return "all %d interactions recorded within an RSS of %.0f MiB (no memory cgroup), %.1f s" % (
            r["interactions"], limit_mib, r["seconds"] or 0)
    peak = "peak %.1f MiB (cgroup counter)" % (k["peak_bytes"] / 1048576.0) \
        if k["peak_bytes"] is not None else "peak not counted by this kernel"
    if r["verdict"] == "killed":
        return ("killed by %s after %d of %d interactions; cgroup OOM kills: %d; %s" % (
            signal.Signals(r["signal"]).name, r["interactions"], count, k["oom_kills"], peak))
    return "completed all %d interactions in %.1f s; cgroup OOM kills: %d; %s" % (
        r["interactions"], r["seconds"] or 0, k["oom_kills"], peak)


def print_side_by_side(plain, shim, count, limit_mib):
    rows = dict(plain["samples"])
    rows_s = dict(shim["samples"])
    print("  %12s %16s %16s" % ("interactions", "RSS without", "RSS with shim"))
    for n in sorted(set(rows) | set(rows_s)):
        a = example.mib(rows[n]) if n in rows else ""
        b = example.mib(rows_s[n]) if n in rows_s else ""
        print("  %12d %16s %16s" % (n, a, b))
    print()
    for r in (plain, shim):
        print("  %s shim: %s" % (r["label"], verdict_line(r, count, limit_mib)))

def main():
    p = example.arg_parser(__doc__, count=1500)
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--limit-mib", type=float, default=256,
                   help="the memory cgroup's limit (or the RSS budget without one)")
    p.add_argument("--python", action="append", default=None,
                   help="interpreter for the recorder (first with requests wins)")
    args = p.parse_args()
    info = example.interpreters.first_with(args.python or ["python3", "/usr/bin/python3"],
                                           ("requests", "urllib3"))
    if info is None:
        raise SystemExit("python-recorder: no interpreter can import requests")
    python = info["exe"]
    results = {"example": "python-recorder", "count": args.count,
               "limit_mib": args.limit_mib, "python": python}
    with example.tempfile_dir("tc-recorder-") as tmp:
        fix = example.pki.make_test_pki(tmp)
        runner = example.Runner(args, tmp)
        with example.https_server.HTTPSServer(fix.server.cert, fix.server.key) as srv:
            print("python-recorder: %d interactions, a new connection each, every response kept"
                  % args.count)
            print("  client: %s (Python %s, requests %s, urllib3 %s, %s)" % (
                python, info["version"], info["modules"]["requests"],
                info["modules"]["urllib3"], info["openssl"]))
            print("  server: %s; bundle: %d CA certificates; memory limit %.0f MiB" % (
                srv.url, example.pki.count_certs(fix.bundle), args.limit_mib))
            plain = run_recorder(runner, python, srv.url, fix.bundle, args, False)
            shim = run_recorder(runner, python, srv.url, fix.bundle, args, True)
    for r in (plain, shim):
        if r["method"] == "rss-budget":
            print("  %s shim: no memory cgroup could be made (%s): the recorder stops itself "
                  "when its RSS passes %.0f MiB instead" % (r["label"], r["no_cgroup_reason"],
                                                            args.limit_mib))
        else:
            print("  %s shim: %s" % (r["label"], r["cgroup"]))
    print()
    print_side_by_side(plain, shim, args.count, args.limit_mib)
    k0, k1 = per_interaction_kib(plain["samples"]), per_interaction_kib(shim["samples"])
    if k0 is not None and k1 is not None:
        print("  retained per interaction: %.0f KiB without the shim, %.0f KiB with it"
              % (k0, k1))
    print()
    print("shim stats for the run with the shim:")
    example.print_stats(shim["stats"])
    for r in (plain, shim):
        r["stats"] = example.stats_brief(r["stats"])
    results.update({"without": plain, "with": shim, "kib_per_interaction": [k0, k1]})
    example.write_json(args.json, results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
