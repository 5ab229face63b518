"""python-recorder: the OOM case.

An API recorder opens a new connection per interaction (Connection: close)
and keeps every response until it writes its cassette.  Since urllib3 2.3,
each urllib3 HTTPResponse keeps a reference to its socket's shutdown method
(HTTPResponse._sock_shutdown), so every kept response pins the closed
SSLSocket, its SSLContext and the whole CA store parsed into it: about
850 KiB per interaction with a 145-certificate bundle.  With the shim the
store holds the same certificates by reference.

The recorder runs twice, without and with the shim, under the same memory
budget; RSS is printed every 100 interactions.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import example  # noqa: E402

RECORDER = os.path.join(HERE, "recorder.py")


def run_recorder(runner, python, url, bundle, args, shim):
    argv = [python, RECORDER, "--url", url, "--bundle", bundle, "--count", str(args.count),
            "--every", str(args.every), "--budget-mib", str(args.budget_mib)]
    proc = runner.run(argv, shim, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit("recorder failed (rc=%d):\n%s" % (proc.returncode, proc.stderr))
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    samples = [(x["n"], x["rss_kib"]) for x in lines if "rss_kib" in x]
    end = lines[-1]
    return {"samples": samples, "over_budget": end.get("over_budget"),
            "seconds": end.get("seconds"), "versions": lines[0],
            "stats": proc.stats}


def per_interaction_kib(samples):
    """Slope between the first sample after warm-up and the last one."""
    pts = [s for s in samples if s[0] > 0]
    if len(pts) < 2:
        return None
    (n0, r0), (n1, r1) = pts[0], pts[-1]
    return (r1 - r0) / float(n1 - n0) if n1 > n0 else None


def print_side_by_side(plain, shim, budget_mib):
    rows = dict(plain["samples"])
    rows_s = dict(shim["samples"])
    print("  %12s %16s %16s" % ("interactions", "RSS without", "RSS with shim"))
    for n in sorted(set(rows) | set(rows_s)):
        a = example.mib(rows[n]) if n in rows else ""
        b = example.mib(rows_s[n]) if n in rows_s else ""
        print("  %12d %16s %16s" % (n, a, b))
    for label, r in (("without shim", plain), ("with shim", shim)):
        if r["over_budget"]:
            print("  %s: over the %.0f MiB budget after %d interactions: a container "
                  "with that memory limit is OOM-killed here" % (label, budget_mib,
                                                                 r["over_budget"]))
        else:
            print("  %s: all interactions recorded within %.0f MiB (%.1f s)" % (
                label, budget_mib, r["seconds"]))


def main():
    p = example.arg_parser(__doc__, count=1000)
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--budget-mib", type=float, default=384)
    p.add_argument("--python", action="append", default=None,
                   help="interpreter for the recorder (first with requests wins)")
    args = p.parse_args()
    info = example.interpreters.first_with(args.python or ["python3", "/usr/bin/python3"],
                                           ("requests", "urllib3"))
    if info is None:
        raise SystemExit("python-recorder: no interpreter can import requests")
    python = info["exe"]
    results = {"example": "python-recorder", "count": args.count,
               "budget_mib": args.budget_mib, "python": python}
    with example.tempfile_dir("tc-recorder-") as tmp:
        fix = example.pki.make_test_pki(tmp)
        runner = example.Runner(args, tmp)
        with example.https_server.HTTPSServer(fix.server.cert, fix.server.key) as srv:
            print("python-recorder: %d interactions, a new connection each, every response kept"
                  % args.count)
            print("  client: %s (Python %s, requests %s, urllib3 %s, %s)" % (
                python, info["version"], info["modules"]["requests"],
                info["modules"]["urllib3"], info["openssl"]))
            print("  server: %s; bundle: %d CA certificates; memory budget %.0f MiB" % (
                srv.url, example.pki.count_certs(fix.bundle), args.budget_mib))
            print()
            plain = run_recorder(runner, python, srv.url, fix.bundle, args, False)
            shim = run_recorder(runner, python, srv.url, fix.bundle, args, True)
    print_side_by_side(plain, shim, args.budget_mib)
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
