"""Driver shared by the ruby, php and perl examples.

Each example has a small client in its own language that opens COUNT
connections to a local HTTPS server, one after another, verifying the
server with a CA source, and prints one JSON line: {"ok": n, "errors":
{message: count}}.  The client is run for three CA sources, each without
and with the shim:

  bundle     the system roots + the server's throwaway CA, given as a file
  wrong CA   an unrelated CA: every connection must fail verification
  default    no CA option at all, SSL_CERT_FILE=bundle in the environment:
             the runtime's default-path code decides when to load

Verification must come out the same both ways (same successes, same error
messages, same exit status); the shim's stats show what the runtime loads.
"""

import json
import os
import time

import example

CASES = (
    ("bundle", "a CA file option"),
    ("wrong_ca", "a CA file option naming an unrelated CA"),
    ("default", "no CA option; SSL_CERT_FILE points at the bundle"),
)


def parse_client_output(proc):
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"unparsed_stdout": proc.stdout[-500:]}


def run_case(runner, argv, env, shim):
    t0 = time.perf_counter()
    proc = runner.run(argv, shim, env=env)
    secs = time.perf_counter() - t0
    return {"rc": proc.returncode, "result": parse_client_output(proc),
            "stderr": proc.stderr, "seconds": secs,
            "stats": example.stats_brief(proc.stats)}, proc.stats


def describe(outcome, count):
    res = outcome["result"]
    if "ok" not in res:
        return "exit %d, unreadable output %r" % (outcome["rc"], res)
    errs = res.get("errors") or {}
    text = "%d/%d verified and fetched" % (res["ok"], count)
    if errs:
        msg, n = sorted(errs.items(), key=lambda kv: -kv[1])[0]
        text += "; %d failed: %s" % (sum(errs.values()), " ".join(msg.split())[:110])
    return text + " (%.2f s)" % outcome["seconds"]


def main(name, doc, client_argv, version_argv=None, count=20):
    """client_argv(url, host, port, cafile_or_'default', count) -> argv."""
    args = example.arg_parser(doc, count=count).parse_args()
    n = args.count
    results = {"example": name, "count": n, "cases": {}}
    with example.tempfile_dir("tc-%s-" % name) as tmp:
        fix = example.pki.make_test_pki(tmp)
        runner = example.Runner(args, tmp)
        with example.https_server.HTTPSServer(fix.server.cert, fix.server.key) as srv:
            print("%s example: %d connections, one after another, to %s" % (name, n, srv.url))
            if version_argv:
                print("  runtime: %s" % example.first_output_line(version_argv))
            print()
            sources = {"bundle": fix.bundle, "wrong_ca": fix.wrong_ca.cert, "default": "default"}
            for case, what in CASES:
                env = {"SSL_CERT_FILE": fix.bundle} if case == "default" else {}
                argv = client_argv(srv.url, "127.0.0.1", srv.port, sources[case], n)
                plain, _ = run_case(runner, argv, env, False)
                shim, stats = run_case(runner, argv, env, True)
                same = (plain["rc"] == shim["rc"] and plain["result"] == shim["result"])
                print("%s: %s" % (case, what))
                print("  without shim: %s" % describe(plain, n))
                print("  with shim:    %s" % describe(shim, n))
                print("  same verification outcome both ways: %s" % ("yes" if same else "NO"))
                example.print_stats(stats, indent="  ")
                print()
                results["cases"][case] = {"without": plain, "with": shim, "same_outcome": same}
    example.write_json(args.json, results)
    return 0
