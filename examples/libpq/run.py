"""libpq: pgbench -C (a new connection per transaction) with sslmode=verify-full.

A throwaway PostgreSQL cluster (initdb in a temporary directory, TLS with a
certificate from a throwaway CA, loopback only) serves pgbench's select-only
transactions.  pgbench -C opens a new connection for every transaction, and
libpq builds a new SSL_CTX for every connection and loads sslrootcert into
it: here a bundle of the system roots plus the throwaway CA, as cloud
providers ship theirs.

Verification first (psql with the right bundle and with a wrong CA, without
and with the shim: same outcome), then pgbench's TPS three ways:
  without   verify-full, the bundle parsed on every connection
  with      the same, through trustcache-run
  floor     sslmode=require and no root certificate file: TLS without any CA
            load or verification (what no CA work at all would cost)
"""

import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
sys.path.insert(0, HERE)
import example  # noqa: E402
import pg_cluster  # noqa: E402


def parse_pgbench(out):
    """tps and average connection time (ms) from pgbench's report."""
    tps = re.search(r"^tps = ([0-9.]+)", out, re.M)
    conn = re.search(r"^average connection time = ([0-9.]+) ms", out, re.M)
    txs = re.search(r"^number of transactions actually processed: (\d+)", out, re.M)
    return {"tps": float(tps.group(1)) if tps else None,
            "connect_ms": float(conn.group(1)) if conn else None,
            "transactions": int(txs.group(1)) if txs else None}


def pgbench_argv(pg, seconds, clients):
    return [pg.bin("pgbench"), "-C", "-S", "-n", "-T", str(seconds),
            "-c", str(clients), "-j", str(clients)]


def run_pgbench(runner, pg, rootcert, sslmode, seconds, clients, shim):
    proc = runner.run(pgbench_argv(pg, seconds, clients), shim,
                      env=pg.tls_env(rootcert, sslmode), timeout=seconds + 120)
    if proc.returncode != 0:
        raise SystemExit("pgbench failed (rc=%d):\n%s%s" % (proc.returncode, proc.stdout,
                                                            proc.stderr))
    out = parse_pgbench(proc.stdout)
    out["stats"] = proc.stats
    return out


def verification(runner, pg, fix):
    """psql 'select 1' with the right bundle and a wrong CA, both ways."""
    results = {}
    for case, rootcert in (("bundle", fix.bundle), ("wrong_ca", fix.wrong_ca.cert)):
        row = {}
        for shim in (False, True):
            proc = runner.run([pg.bin("psql"), "-X", "-A", "-t", "-c", "select 1"], shim,
                              env=pg.tls_env(rootcert))
            row["with" if shim else "without"] = {
                "rc": proc.returncode, "stdout": proc.stdout.strip(),
                "stderr": proc.stderr.strip(), "stats": example.stats_brief(proc.stats)}
        a, b = row["without"], row["with"]
        row["same_outcome"] = (a["rc"], a["stdout"], a["stderr"]) == (b["rc"], b["stdout"],
                                                                       b["stderr"])
        results[case] = row
        print("  psql, sslrootcert=%s: without shim exit %d%s; with shim exit %d; same: %s" % (
            os.path.basename(rootcert), a["rc"],
            (" (" + a["stderr"].splitlines()[-1][:90] + ")") if a["stderr"] else "",
            b["rc"], "yes" if row["same_outcome"] else "NO"))
    return results


# libpq treats sslmode=require like verify-ca whenever the root certificate
# file exists, so the floor names a file that does not.
NO_ROOT_CERT = "/nonexistent/root.crt"
VARIANTS = (("without", "verify-full", False),
            ("with", "verify-full", True),
            ("floor", "require", False))


def interleaved_runs(runner, pg, fix, args):
    """{variant: median run}; each median run keeps every round's TPS."""
    rounds = {name: [] for name, _, _ in VARIANTS}
    for _ in range(args.rounds):
        for name, mode, shim in VARIANTS:
            rootcert = NO_ROOT_CERT if mode == "require" else fix.bundle
            rounds[name].append(run_pgbench(runner, pg, rootcert, mode, args.seconds,
                                            args.clients, shim))
    out = {}
    for name, runs in rounds.items():
        ordered = sorted(runs, key=lambda r: r["tps"])
        med = dict(ordered[len(ordered) // 2])
        med["tps_rounds"] = [r["tps"] for r in runs]
        out[name] = med
    return out


def main():
    p = example.arg_parser(__doc__)
    p.add_argument("--seconds", type=int, default=5, help="pgbench -T per run")
    p.add_argument("--clients", type=int, default=1, help="pgbench -c (and -j)")
    p.add_argument("--rounds", type=int, default=3,
                   help="runs of each variant, taking turns so that other load on the "
                        "machine spreads over all three")
    args = p.parse_args()
    results = {"example": "libpq", "seconds": args.seconds, "clients": args.clients}
    with example.tempfile_dir("tc-libpq-") as tmp:
        fix = example.pki.make_test_pki(tmp)
        runner = example.Runner(args, tmp)
        with pg_cluster.PgCluster(fix.server.cert, fix.server.key) as pg:
            init = subprocess.run([pg.bin("pgbench"), "-i", "-s", "1", "-q"], capture_output=True,
                                  text=True, env=example.clean_env(pg.admin_env()), timeout=300)
            if init.returncode != 0:
                raise SystemExit("pgbench -i failed:\n" + init.stderr)
            print("libpq example: PostgreSQL %s on %s:%d (TLS, throwaway CA), client %s" % (
                os.path.basename(os.path.dirname(pg.bindir)), pg.host, pg.port,
                example.first_output_line([pg.bin("pgbench"), "--version"])))
            print("  sslrootcert: %d CA certificates (system roots + the throwaway CA)" %
                  example.pki.count_certs(fix.bundle))
            print()
            print("verification (sslmode=verify-full):")
            results["verification"] = verification(runner, pg, fix)
            print()
            print("pgbench -C -S -T %d -c %d: a new TLS connection for every transaction;"
                  % (args.seconds, args.clients))
            print("  the three variants take turns, %d round(s); medians shown" % args.rounds)
            runs = interleaved_runs(runner, pg, fix, args)
            print_table(runs)
            st = runs["with"].pop("stats")
            for r in runs.values():
                r.pop("stats", None)
            results["pgbench"] = runs
            results["pgbench_stats"] = example.stats_brief(st)
            print()
            print("shim stats for the pgbench run with the shim:")
            example.print_stats(st)
            explain(st)
    example.write_json(args.json, results)
    return 0


def print_table(runs):
    print("  %-34s %10s %16s %14s" % ("", "TPS", "connect (avg)", "transactions"))
    labels = {"without": "verify-full, without shim", "with": "verify-full, with shim",
              "floor": "sslmode=require (no CA load)"}
    for name in ("without", "with", "floor"):
        r = runs[name]
        print("  %-34s %10.1f %13.1f ms %14d   rounds: %s" % (
            labels[name], r["tps"], r["connect_ms"], r["transactions"],
            " ".join("%.1f" % x for x in r["tps_rounds"])))
    w, s = runs["without"], runs["with"]
    print("  speed-up with the shim: %.2fx TPS" % (s["tps"] / w["tps"]))


def explain(st):
    """Say in words what the counters show about libpq."""
    if not st:
        return
    reasons = st.get("passthrough_reasons") or {}
    if reasons.get("file_unavailable"):
        print("  libpq also loads ~/.postgresql/root.crl (its default CRL file) on every")
        print("  connection; it does not exist here, so those loads go to OpenSSL unchanged")
        print("  (%d passthroughs, file_unavailable)." % reasons["file_unavailable"])


if __name__ == "__main__":
    sys.exit(main())
