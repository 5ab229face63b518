"""`make bench`, client rows: P3 (requests, RSS under gc.disable()) and P4
(pgbench -C with sslmode=verify-full).

Like bench.py: every cell is the median over fresh processes, the variants
(without the shim, with it, and a floor that does no CA work) take turns so
that other load on the machine spreads over all of them, and the "shim
served" column comes from the shim's own counters in the last run with it.
A process may report several metrics; each metric is a row.  Targets are
printed as met or not met, never turned into a pass or a failure.

    python3 tests/bench/bench_clients.py --shim build/libtrustcache.so [--quick] [--rows P3,P4]
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))
sys.path.insert(0, os.path.join(TOP, "examples", "libpq"))

import https_server  # noqa: E402
import interpreters  # noqa: E402
import pki  # noqa: E402

REQUESTS_RSS = os.path.join(HERE, "requests_rss.py")
VARIANTS = ("without", "with", "floor")


@dataclass
class Metric:
    key: str          # in the process's JSON output
    title: str
    unit: str
    higher_is_better: bool
    target: tuple = None   # ("speedup", x): without/with cost ratio >= x;
                           # ("share", f): with <= f * without


@dataclass
class Group:
    """Processes run for several variants; each reports several metrics."""
    name: str
    metrics: list
    argv: dict            # variant -> argv
    env: dict             # variant -> extra environment
    reps: int
    note: str
    values: dict = field(default_factory=dict)   # (variant, key) -> [values]
    stats: list = field(default_factory=list)


def clean_env(extra):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("TRUSTCACHE_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra)
    return env


def run_group(group, shim, tmp, parse):
    for rep in range(group.reps):
        for v in VARIANTS:
            env = clean_env(group.env.get(v, {}))
            stats = None
            if v == "with":
                stats = os.path.join(tmp, "stats-%s-%d.json" % (group.name, rep))
                env["LD_PRELOAD"] = shim
                env["TRUSTCACHE_STATS"] = stats
            proc = subprocess.run(group.argv[v], capture_output=True, text=True, env=env,
                                  timeout=1800)
            if proc.returncode != 0:
                raise SystemExit("bench: %s (%s) failed, rc=%d:\n%s%s" % (
                    group.name, v, proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:]))
            out = parse(proc.stdout)
            for m in group.metrics:
                group.values.setdefault((v, m.key), []).append(out[m.key])
            if stats:
                group.stats.append(read_json(stats))


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def last_json_line(stdout):
    return json.loads(stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- P3

def group_p3(env, quick):
    n = 300 if quick else 3000
    py = [env["python"], REQUESTS_RSS, env["url"]]
    return Group(
        "P3", [Metric("rate", "requests.get() loop, gc disabled, %d requests" % n, "req/s",
                      True, ("speedup", 5.0)),
               Metric("rss_growth_kib", "  RSS growth over the same %d requests" % n, "KiB",
                      False, ("share", 0.05))],
        {"without": py + [env["bundle"], str(n)], "with": py + [env["bundle"], str(n)],
         "floor": py + [env["ca"], str(n)]}, {}, reps=3,
        note="%d requests per process, no Session, new connection each, gc.disable(); "
             "RSS from before the first request to after the last; "
             "floor = verify=<the test CA alone>.  Reference counting frees each "
             "response, connection and SSLContext even with gc disabled (no cycle holds "
             "them with requests 2.34 / urllib3 2.7 or 1.26), so the growth without the "
             "shim is one-time warm-up, not per request; the RSS target is meaningful "
             "where contexts are retained: row P3k" % n)


def group_p3k(env, quick):
    n = 100 if quick else 300
    py = [env["python"], REQUESTS_RSS, env["url"]]
    return Group(
        "P3k", [Metric("rss_growth_kib", "requests.get() loop keeping every response, "
                       "RSS growth", "KiB", False, ("share", 0.05)),
                Metric("rate", "  the same loop, throughput", "req/s", True)],
        {"without": py + [env["bundle"], str(n), "--keep"],
         "with": py + [env["bundle"], str(n), "--keep"],
         "floor": py + [env["ca"], str(n), "--keep"]}, {}, reps=3,
        note="%d requests per process, every Response kept (urllib3 2.3+ responses pin "
             "their SSLContext); floor = verify=<the test CA alone>" % n)


# ---------------------------------------------------------------- P4

def parse_pgbench(stdout):
    tps = re.search(r"^tps = ([0-9.]+)", stdout, re.M)
    conn = re.search(r"^average connection time = ([0-9.]+) ms", stdout, re.M)
    if not tps:
        raise SystemExit("bench: no tps in pgbench output:\n" + stdout[-2000:])
    return {"tps": float(tps.group(1)), "connect_ms": float(conn.group(1)) if conn else 0.0}


def group_p4(pg, bundle, quick):
    secs = 3 if quick else 10
    argv = [pg.bin("pgbench"), "-C", "-S", "-n", "-T", str(secs), "-c", "1", "-j", "1"]
    return Group(
        "P4", [Metric("tps", "pgbench -C -S, sslmode=verify-full, bundle rootcert", "TPS",
                      True, ("speedup", 3.0)),
               Metric("connect_ms", "  average connection time", "ms", False)],
        {v: argv for v in VARIANTS},
        {"without": pg.tls_env(bundle), "with": pg.tls_env(bundle),
         # libpq verifies whenever the root certificate file exists, even
         # with sslmode=require: the floor names one that does not.
         "floor": pg.tls_env("/nonexistent/root.crt", "require")},
        reps=3,
        note="-T %d per process, 1 client, a new TLS connection per transaction, local "
             "PostgreSQL %s; sslrootcert = system roots + test CA; floor = sslmode=require "
             "with no root certificate (no CA load, no verification)" % (
                 secs, os.path.basename(os.path.dirname(pg.bindir))))


def init_pgbench(pg):
    proc = subprocess.run([pg.bin("pgbench"), "-i", "-s", "1", "-q"], capture_output=True,
                          text=True, env=clean_env(pg.admin_env()), timeout=300)
    if proc.returncode != 0:
        raise SystemExit("bench: pgbench -i failed:\n" + proc.stderr)


# ---------------------------------------------------------------- report

def fmt(x):
    if x >= 1000:
        return "%.0f" % x
    if x >= 100:
        return "%.1f" % x
    return "%.2f" % x


def cost(m, x):
    return 1.0 / x if m.higher_is_better else x


def ratio(m, a, b):
    ca, cb = cost(m, a), cost(m, b)
    return ca / cb if cb > 0 else float("inf")


def target_text(m, med):
    if not m.target:
        return ""
    kind, x = m.target
    if kind == "speedup":
        got = ratio(m, med["without"], med["with"])
        return "%s >= %.0fx" % ("met" if got >= x else "NOT MET", x)
    share = med["with"] / med["without"] if med["without"] > 0 else float("inf")
    return "%s <= %.0f%% (%.0f%%)" % ("met" if share <= x else "NOT MET", 100 * x, 100 * share)


def served(group):
    st = group.stats[-1] if group.stats else None
    if not st:
        return "no stats"
    return "%s/%s" % (st.get("ca_loads_avoided", "?"), st.get("ca_loads_requested", "?"))


def print_table(groups):
    head = "%-5s %-58s %-6s %9s %9s %9s %12s %10s %12s  %s" % (
        "", "operation", "unit", "without", "with", "floor", "without/with", "with/floor",
        "shim served", "target")
    print(head)
    print("-" * len(head))
    for g in groups:
        for i, m in enumerate(g.metrics):
            med = {v: statistics.median(g.values[(v, m.key)]) for v in VARIANTS}
            wf = ratio(m, med["with"], med["floor"]) if med["floor"] > 0 else float("nan")
            print("%-5s %-58s %-6s %9s %9s %9s %12s %10s %12s  %s" % (
                "(%s)" % g.name if i == 0 else "", m.title, m.unit, fmt(med["without"]),
                fmt(med["with"]), fmt(med["floor"]),
                "%.2fx" % ratio(m, med["without"], med["with"]),
                "%.2fx" % wf, served(g) if i == 0 else "", target_text(m, med)))
    print()
    for g in groups:
        print("(%s) %s" % (g.name, g.note))
        for m in g.metrics:
            for v in VARIANTS:
                print("      %-15s %-8s runs: %s" % (m.key, v, " ".join(
                    fmt(x) for x in g.values[(v, m.key)])))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shim", required=True)
    p.add_argument("--python", default="python3")
    p.add_argument("--rows", default="", help="comma-separated: P3,P3k,P4 (default: all)")
    p.add_argument("--quick", action="store_true", help="fewer requests, shorter pgbench runs")
    args = p.parse_args()
    wanted = set(filter(None, args.rows.split(","))) or {"P3", "P3k", "P4"}
    shim = os.path.abspath(args.shim)
    start = time.monotonic()
    info = interpreters.first_with([args.python, "/usr/bin/python3"], ("requests", "urllib3"))
    if info is None:
        raise SystemExit("bench: no interpreter with requests (install python3-requests)")
    groups = []
    print("trustcache bench, client rows: median of several fresh processes per cell "
          "(without / with LD_PRELOAD=%s / floor)" % os.path.relpath(shim))
    print("%d CPUs, load average %s; python %s (Python %s, requests %s, urllib3 %s)" % (
        os.cpu_count() or 0, " ".join("%.2f" % x for x in os.getloadavg()), info["exe"],
        info["version"], info["modules"].get("requests"), info["modules"].get("urllib3")))
    print()
    with tempfile.TemporaryDirectory(prefix="tc-bench-clients-") as tmp:
        fix = pki.make_test_pki(tmp)
        if wanted & {"P3", "P3k"}:
            with https_server.HTTPSServer(fix.server.cert, fix.server.key) as srv:
                env = {"python": info["exe"], "url": srv.url, "bundle": fix.bundle,
                       "ca": fix.ca.cert}
                for build in (group_p3, group_p3k):
                    g = build(env, args.quick)
                    if g.name in wanted:
                        run_group(g, shim, tmp, last_json_line)
                        groups.append(g)
        if "P4" in wanted:
            import pg_cluster
            with pg_cluster.PgCluster(fix.server.cert, fix.server.key) as pg:
                init_pgbench(pg)
                g = group_p4(pg, fix.bundle, args.quick)
                run_group(g, shim, tmp, parse_pgbench)
                groups.append(g)
    print_table(groups)
    print()
    print("bench-clients took %.0f s" % (time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
