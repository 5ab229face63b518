"""curl: one process, N URLs, one CA-bundle load per connection.

    curl --cacert bundle.pem -o /dev/null URL1 ... -o /dev/null URLn

The local server closes every connection, so curl makes N connections.
Debian's curl is built with a CA path (/etc/ssl/certs) as well as a CA file,
and curl turns its own CA-store cache off in that configuration, so each
connection builds a new store and loads the whole bundle into it.

Runs: the right CA and a wrong one, each without and with the shim.  The
outcome (exit status, stderr) must be the same both ways; the shim's stats
say how many loads curl asked for and how many were served from cache.
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import example  # noqa: E402


def curl_argv(cafile, urls):
    argv = ["curl", "--silent", "--show-error", "--cacert", cafile]
    for u in urls:
        argv += ["--output", "/dev/null", u]
    return argv


def timed(runner, argv, shim):
    t0 = time.perf_counter()
    proc = runner.run(argv, shim)
    return proc, time.perf_counter() - t0


def main():
    args = example.arg_parser(__doc__, count=20).parse_args()
    n = args.count
    results = {"example": "curl", "count": n}
    with tempfile.TemporaryDirectory(prefix="tc-curl-") as tmp:
        fix = example.pki.make_test_pki(tmp)
        runner = example.Runner(args, tmp)
        with example.https_server.HTTPSServer(fix.server.cert, fix.server.key) as srv:
            urls = ["%s?i=%d" % (srv.url, i) for i in range(1, n + 1)]
            print("curl example: one curl process fetching %d URLs from %s" % (n, srv.url))
            print("  bundle: %s (%d CA certificates: system roots + a throwaway CA)"
                  % (os.path.basename(fix.bundle), example.pki.count_certs(fix.bundle)))
            print()
            for label, cafile in (("right CA", fix.bundle), ("wrong CA", fix.wrong_ca.cert)):
                before = srv.stats()
                plain, t_plain = timed(runner, curl_argv(cafile, urls), False)
                shim, t_shim = timed(runner, curl_argv(cafile, urls), True)
                after = srv.stats()
                same = (plain.returncode == shim.returncode and plain.stderr == shim.stderr)
                print("%s (%s):" % (label, os.path.basename(cafile)))
                print("  without shim: exit %d in %.3f s%s" % (
                    plain.returncode, t_plain, first_line(plain.stderr)))
                print("  with shim:    exit %d in %.3f s%s" % (
                    shim.returncode, t_shim, first_line(shim.stderr)))
                print("  same outcome both ways: %s" % ("yes" if same else "NO"))
                print("  shim stats:")
                example.print_stats(shim.stats, indent="    ")
                print()
                results[label.replace(" ", "_")] = {
                    "without": {"rc": plain.returncode, "stderr": plain.stderr,
                                "seconds": t_plain},
                    "with": {"rc": shim.returncode, "stderr": shim.stderr, "seconds": t_shim},
                    "same_outcome": same,
                    "handshakes_ok": after["handshakes_ok"] - before["handshakes_ok"],
                    "stats": example.stats_brief(shim.stats)}
            st = results["right_CA"]["stats"]
            if st:
                print("With the right CA, curl asked for %d CA loads (one per connection); "
                      "the shim parsed the bundle %d time(s) and served %d from cache."
                      % (st["ca_loads_requested"], st["ca_loads_performed"],
                         st["ca_loads_avoided"]))
    example.write_json(args.json, results)
    return 0


def first_line(text):
    text = text.strip()
    return (": " + text.splitlines()[0]) if text else ""


if __name__ == "__main__":
    sys.exit(main())
