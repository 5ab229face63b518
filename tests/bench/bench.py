"""Side-by-side benchmark: without the shim, with it, and the bare floor.

Every cell is the median over several fresh processes; a process reports
one number (a median time per operation inside it, a rate, or retained
memory).  The variants of a row run interleaved (without, with, floor,
without, ...) so that noise from other load on the machine spreads over all
three columns instead of landing on one.

Ratios are cost ratios, whatever the unit: without/with is how many times
more the operation costs without the shim (the speed-up, or the memory
saved), with/floor how far the shim is from doing no CA work at all.

Rows are built by the functions listed in ROWS; each returns Row objects,
so a parameterised row (thread counts, bundle sizes) is a function that
returns several.

    python3 tests/bench/bench.py --shim build/libtrustcache.so --ctx-loop build/bench/ctx_loop \
        [--ctx-threads build/bench/ctx_threads] [--gen-bundle build/bench/gen_bundle]

Rows carry the targets they are held to (P1, P2 in the table; P7 thread
scaling and P8 flatness over bundle sizes below it), printed as met or not
met: a benchmark reports, it never passes or fails.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))

import https_server  # noqa: E402
import interpreters  # noqa: E402
import pki  # noqa: E402

PY_OPS = os.path.join(HERE, "py_ops.py")
VARIANTS = ("without", "with", "floor")


@dataclass
class Row:
    key: str
    title: str
    unit: str             # shown in the table
    scale: float          # reported value * scale = shown value
    higher_is_better: bool
    argv: dict            # variant -> argv; "with" runs under LD_PRELOAD
    reps: int
    note: str = ""
    # Printed as met or not met, never a pass or a failure:
    #   ("floor_ratio", x): with <= x * floor;  ("floor_plus", d): with <= floor + d
    target: tuple = None
    results: dict = field(default_factory=dict)   # variant -> [values]
    objects: dict = field(default_factory=dict)   # variant -> {store sizes seen}
    shim_stats: list = field(default_factory=list)


@dataclass
class Env:
    """What row builders need to know about the machine and the fixtures."""
    shim: str
    ctx_loop: str
    python: str       # runs the ssl-only rows
    python_requests: str  # has requests (may be Debian's python3)
    bundle: str       # system roots + test CA
    ca: str           # the test CA alone
    url: str
    system_bundle: str
    quick: bool
    ctx_threads: str = ""  # tests/bench/ctx_threads.c, built
    gen_bundle: str = ""   # tests/bench/gen_bundle.c, built
    tmp: str = ""          # scratch directory for generated bundles


# ---------------------------------------------------------------- rows

def rows_c_ctx(env):
    n = 40 if env.quick else 150
    loop = env.ctx_loop
    return [
        Row("a", "C SSL_CTX_new + set_default_verify_paths + free", "us/op", 1e-3, False,
            {"without": [loop, "default", str(n)], "with": [loop, "default", str(n)],
             "floor": [loop, "bare", str(n)]}, reps=5,
            note="%d ops per process; floor = SSL_CTX_new + SSL_CTX_free" % n),
        Row("b", "C SSL_CTX_new + load_verify_locations(system bundle)", "us/op", 1e-3, False,
            {"without": [loop, "file", str(n), env.system_bundle],
             "with": [loop, "file", str(n), env.system_bundle],
             "floor": [loop, "bare", str(n)]}, reps=5,
            note="%d ops per process; floor = SSL_CTX_new + SSL_CTX_free" % n),
    ]


def rows_c_rss(env):
    n = 40 if env.quick else 100
    loop = env.ctx_loop
    return [
        Row("g", "C retained RSS per context (set_default_verify_paths)", "KiB/ctx", 1.0, False,
            {"without": [loop, "rss-default", str(n)], "with": [loop, "rss-default", str(n)],
             "floor": [loop, "rss-bare", str(n)]}, reps=3,
            note="%d contexts kept alive: (RSS after - RSS before) / %d; "
                 "floor = bare SSL_CTX_new" % (n, n),
            target=("floor_plus", 2.0)),
    ]


def rows_c_store(env):
    n = 40 if env.quick else 150
    loop = env.ctx_loop
    return [
        Row("f", "C SSL_CTX_get_cert_store + X509_STORE_load_file", "us/op", 1e-3, False,
            {"without": [loop, "store-file", str(n), env.system_bundle],
             "with": [loop, "store-file", str(n), env.system_bundle],
             "floor": [loop, "bare", str(n)]}, reps=5,
            note="%d ops per process, curl's pattern: the caller holds the store, so the "
                 "shim cannot hand it a shared one; floor = SSL_CTX_new + SSL_CTX_free" % n),
    ]


def rows_py_ctx(env):
    n = 40 if env.quick else 150
    py = [env.python, PY_OPS]
    return [
        Row("c", "P1 Python ssl.create_default_context()", "us/op", 1e-3, False,
            {"without": py + ["time-default", str(n)], "with": py + ["time-default", str(n)],
             "floor": py + ["time-bare", str(n)]}, reps=5,
            note="%d ops per process; floor = ssl.SSLContext(PROTOCOL_TLS_CLIENT)" % n,
            target=("floor_ratio", 1.25)),
    ]


def rows_requests(env):
    n = 40 if env.quick else 100
    py = [env.python_requests, PY_OPS, "requests", env.url]
    return [
        Row("d", "Python requests.get(verify=bundle) loop, no Session", "req/s", 1.0, True,
            {"without": py + [env.bundle, str(n)], "with": py + [env.bundle, str(n)],
             "floor": py + [env.ca, str(n)]}, reps=5,
            note="%d requests per process, local server, one new connection each; "
                 "floor = verify=<the test CA alone>, a 1-certificate load" % n),
    ]


def rows_py_rss(env):
    n = 40 if env.quick else 100
    py = [env.python, PY_OPS]
    return [
        Row("e", "P2 Python retained RSS per context, gc disabled", "KiB/ctx", 1.0, False,
            {"without": py + ["rss-default", str(n)], "with": py + ["rss-default", str(n)],
             "floor": py + ["rss-bare", str(n)]}, reps=3,
            note="%d create_default_context() kept alive: (RSS after - RSS before) / %d; "
                 "floor = bare SSLContext(PROTOCOL_TLS_CLIENT)" % (n, n),
            target=("floor_plus", 2.0)),
    ]


P7_THREADS = (1, 2, 16)
P7L_THREADS = (1, 16)


def rows_p7_threads(env):
    """P7: context set-up throughput from 1, 2 and 16 threads, and the load
    step alone from 1 and 16 (scaling: see print_scaling).  2 threads is
    the core count here, no oversubscription; the target is 16 / 1."""
    secs = "0.3" if env.quick else "1.0"
    reps = 5 if env.quick else 9
    rows = []
    for n in P7_THREADS:
        argv = [env.ctx_threads, "default", str(n), secs]
        rows.append(Row(
            "P7.%d" % n, "P7 C %d thread%s: SSL_CTX_new + default paths + free"
            % (n, "" if n == 1 else "s"), "ctx/s", 1.0, True,
            {"without": argv, "with": argv, "floor": [env.ctx_threads, "bare", str(n), secs]},
            reps=reps,
            note="%s s per process, operations per second over all %d thread(s); "
                 "floor = SSL_CTX_new + SSL_CTX_free on as many threads" % (secs, n)))
    for n in P7L_THREADS:
        argv = [env.ctx_threads, "load", str(n), secs]
        rows.append(Row(
            "P7L.%d" % n, "P7 C %d thread%s: the load step alone" % (n, "" if n == 1 else "s"),
            "loads/s", 1.0, True,
            {"without": argv + ["4"], "with": argv + ["256"],
             "floor": [env.ctx_threads, "share", str(n), secs, "256"]},
            reps=5,
            note="SSL_CTX_set_default_verify_paths timed alone on contexts created untimed, "
                 "all threads in lock-step rounds of 4 (without) or 256 (with) contexts each; "
                 "floor = SSL_CTX_set1_cert_store of one store loaded once, curl's and "
                 "Node's hand-made sharing"))
    return rows


P8_SIZES = ((1, "1"), (100, "100"), (1000, "1k"), (10000, "10k"))


def p8_ops(certs, quick):
    """Operations per process without the shim, where each one parses the
    whole bundle (OpenSSL 3.0 takes seconds for 10,000 certificates)."""
    return max(3, min(40 if quick else 150, 2000 // certs))


def rows_p8_bundles(env):
    """P8: per-context cost for synthetic bundles of 1 to 10,000 roots,
    generated now (flatness: see print_scaling)."""
    n = 40 if env.quick else 150
    loop = env.ctx_loop
    rows = []
    for certs, name in P8_SIZES:
        bundle = os.path.join(env.tmp, "bench-%s.pem" % name)
        if not os.path.exists(bundle):
            subprocess.run([env.gen_bundle, str(certs), bundle], check=True)
        k = p8_ops(certs, env.quick)
        rows.append(Row(
            "P8.%s" % name, "P8 C SSL_CTX_new + load_verify_locations(%s root%s)"
            % (name, "" if certs == 1 else "s"),
            "us/op", 1e-3, False,
            {"without": [loop, "file", str(k), bundle], "with": [loop, "file", str(n), bundle],
             "floor": [loop, "bare", str(n)]},
            reps=3 if certs >= 1000 else 5,
            note="self-signed P-256 roots from gen_bundle; median of %d ops per process "
                 "without the shim (each parses the bundle), %d with it and for the floor "
                 "(SSL_CTX_new + SSL_CTX_free)" % (k, n)))
    return rows


# Later rows (RSS over a long requests run, process start-up) go here as
# further builders.
ROWS = [rows_c_ctx, rows_c_rss, rows_py_ctx, rows_requests, rows_py_rss, rows_c_store,
        rows_p7_threads,
        rows_p8_bundles]


PYTHON_ROWS = (rows_py_ctx, rows_requests, rows_py_rss)


# ---------------------------------------------------------------- running

def base_env():
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("TRUSTCACHE_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if "SSL_CERT_FILE" not in env and default_cafile_missing():
        env["SSL_CERT_FILE"] = pki.SYSTEM_BUNDLE
    return env


def default_cafile_missing():
    """Debian 11 has no OPENSSLDIR/cert.pem, only the hash directory: the
    default-path rows then name the system bundle through SSL_CERT_FILE
    (said above the table), or they would measure a load of nothing."""
    import ssl
    return not os.path.exists(ssl.get_default_verify_paths().openssl_cafile)


def run_once(row, variant, env, tmp, rep):
    proc_env = base_env()
    stats_path = None
    if variant == "with":
        stats_path = os.path.join(tmp, "stats-%s-%d.json" % (row.key, rep))
        proc_env["LD_PRELOAD"] = env.shim
        proc_env["TRUSTCACHE_STATS"] = stats_path
    proc = subprocess.run(row.argv[variant], capture_output=True, text=True, env=proc_env,
                          timeout=300)
    if proc.returncode != 0:
        raise SystemExit("bench: row %s (%s) failed, rc=%d:\n%s" %
                         (row.key, variant, proc.returncode, proc.stderr))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if "objects" in out:
        row.objects.setdefault(variant, set()).add(out["objects"])
    if stats_path:
        row.shim_stats.append(read_stats(stats_path))
    return out["value"]


def read_stats(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def run_row(row, env, tmp):
    for v in VARIANTS:
        row.results[v] = []
    for rep in range(row.reps):
        for v in VARIANTS:
            row.results[v].append(run_once(row, v, env, tmp, rep) * row.scale)
    check_same_store(row)


def check_same_store(row):
    """A fast 'with' column is only worth printing if its contexts held the
    same CAs as the 'without' ones."""
    a, b = row.objects.get("without"), row.objects.get("with")
    if a is not None and (a != b or len(a) != 1 or 0 in a):
        raise SystemExit("bench: row %s: store sizes differ or are empty "
                         "(without %s, with %s)" % (row.key, sorted(a), sorted(b or ())))


# ---------------------------------------------------------------- report

def fmt(x):
    if x >= 1000:
        return "%.0f" % x
    if x >= 100:
        return "%.1f" % x
    return "%.2f" % x


def cost(row, x):
    """Make every unit 'lower is better' so ratios read the same way."""
    return 1.0 / x if row.higher_is_better else x


def ratio(row, a, b):
    ca, cb = cost(row, a), cost(row, b)
    return "%.2fx" % (ca / cb) if cb > 0 else "n/a"


def cache_column(row):
    """'avoided/requested' from the shim's own counters, last run; shows
    that the 'with' column really ran through the cache."""
    st = row.shim_stats[-1] if row.shim_stats else None
    if not st:
        return "no stats"
    return "%s/%s" % (st.get("ca_loads_avoided", "?"), st.get("ca_loads_requested", "?"))


def target_column(row, med):
    if not row.target:
        return ""
    kind, x = row.target
    if kind == "floor_ratio":
        ok = cost(row, med["with"]) <= x * cost(row, med["floor"])
        return "with<=%.2fx floor: %s" % (x, "met" if ok else "NOT met")
    ok = med["with"] <= med["floor"] + x
    return "with<=floor+%s: %s" % (fmt(x), "met" if ok else "NOT met")


def medians(row):
    return {v: statistics.median(row.results[v]) for v in VARIANTS}


def print_table(rows):
    head = "%-8s %-52s %-7s %9s %9s %9s %13s %11s %12s  %s" % (
        "", "operation", "unit", "without", "with", "floor", "without/with", "with/floor",
        "shim served", "target")
    print(head)
    print("-" * len(head))
    for r in rows:
        med = medians(r)
        print("%-8s %-52s %-7s %9s %9s %9s %13s %11s %12s  %s" % (
            "(%s)" % r.key, r.title, r.unit, fmt(med["without"]), fmt(med["with"]),
            fmt(med["floor"]), ratio(r, med["without"], med["with"]),
            ratio(r, med["with"], med["floor"]), cache_column(r), target_column(r, med)))
    print()
    for r in rows:
        print("(%s) %s" % (r.key, r.note))
        for v in VARIANTS:
            print("      %-8s runs: %s" % (v, " ".join(fmt(x) for x in r.results[v])))


def print_thread_ratios(by_key, prefix, counts, unit):
    one = "%s.%d" % (prefix, counts[0])
    for v in VARIANTS:
        vals = [by_key["%s.%d" % (prefix, n)][v] for n in counts]
        print("      %-8s %s %s   %s" % (v, " -> ".join(fmt(x) for x in vals), unit, "  ".join(
            "%d/%d: %.2fx" % (n, counts[0], by_key["%s.%d" % (prefix, n)][v] / by_key[one][v])
            for n in counts[1:])))


def print_p7(by_key):
    """P7's target is 16 threads / 1 with the shim; the floor's own ratio
    is printed beside it because no shim can scale better than the bare
    SSL_CTX_new + SSL_CTX_free it adds to."""
    keys = ["P7.%d" % n for n in P7_THREADS]
    if not all(k in by_key for k in keys):
        return
    print()
    print("P7 scaling (%d CPUs), context set-up, threads %s:" % (
        os.cpu_count() or 0, ", ".join(str(n) for n in P7_THREADS)))
    print_thread_ratios(by_key, "P7", P7_THREADS, "ctx/s")
    one, many = keys[0], keys[-1]
    x = by_key[many]["with"] / by_key[one]["with"]
    floor = by_key[many]["floor"] / by_key[one]["floor"]
    print("      target: with the shim %d/1 >= 1.60x: %s (%.2fx); the floor itself: %.2fx, "
          "so the shim keeps %.0f%% of the floor's scaling" % (
              P7_THREADS[-1], "met" if x >= 1.6 else "NOT met", x, floor, 100 * x / floor))
    if all("P7L.%d" % n in by_key for n in P7L_THREADS):
        print("P7 the load step alone, threads %s:" % ", ".join(str(n) for n in P7L_THREADS))
        print_thread_ratios(by_key, "P7L", P7L_THREADS, "loads/s")


def print_scaling(rows):
    """Targets that compare rows: P7 thread scaling, P8 flatness over
    bundle sizes.  Printed as met or not met, never a pass or a failure."""
    by_key = {r.key: medians(r) for r in rows}
    print_p7(by_key)
    sizes = [("P8.%s" % name, certs) for certs, name in P8_SIZES if "P8.%s" % name in by_key]
    if len(sizes) > 1:
        print()
        print("P8 per-context cost by bundle size (us/op):")
        for v in VARIANTS:
            vals = [by_key[k][v] for k, _ in sizes]
            print("      %-8s %s   largest/smallest = %.2fx" % (
                v, "  ".join("%s: %s" % (c, fmt(x)) for (_, c), x in zip(sizes, vals)),
                max(vals) / min(vals)))
        vals = [by_key[k]["with"] for k, _ in sizes]
        flat = max(vals) <= 1.5 * min(vals)
        print("      target: flat with the shim (largest <= 1.50x smallest): %s"
              % ("met" if flat else "NOT met"))


def describe_python(label, info):
    mods = ", ".join("%s %s" % kv for kv in sorted(info["modules"].items()) if kv[1])
    print("%s: %s (Python %s, %s%s)" % (label, info["exe"], info["version"], info["openssl"],
                                        ", " + mods if mods else ""))


def pick_pythons(python):
    """The interpreter for the ssl rows, and one that has requests."""
    info, err = interpreters.describe(python)
    if info is None:
        raise SystemExit("bench: cannot run %s: %s" % (python, err))
    req = interpreters.first_with([python, "/usr/bin/python3"], ("requests",))
    if req is None:
        raise SystemExit("bench: no interpreter with requests (install python3-requests)")
    return info, req


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shim", required=True)
    p.add_argument("--ctx-loop", required=True)
    p.add_argument("--ctx-threads", default="", help="built tests/bench/ctx_threads.c (P7 rows)")
    p.add_argument("--gen-bundle", default="", help="built tests/bench/gen_bundle.c (P8 rows)")
    p.add_argument("--python", default="python3")
    p.add_argument("--rows", default="", help="comma-separated row keys to run (default: all)")
    p.add_argument("--quick", action="store_true", help="fewer operations per process")
    p.add_argument("--no-python", action="store_true",
                   help="C rows only (the system's Python links another OpenSSL)")
    args = p.parse_args()
    wanted = set(filter(None, args.rows.split(",")))

    start = time.monotonic()
    py_info, req_info = pick_pythons(args.python)
    with tempfile.TemporaryDirectory(prefix="tc-bench-") as tmp:
        fix = pki.make_test_pki(tmp)
        with https_server.HTTPSServer(fix.server.cert, fix.server.key) as server:
            env = Env(shim=os.path.abspath(args.shim), ctx_loop=os.path.abspath(args.ctx_loop),
                      python=py_info["exe"], python_requests=req_info["exe"], bundle=fix.bundle, ca=fix.ca.cert, url=server.url,
                      system_bundle=pki.SYSTEM_BUNDLE, quick=args.quick)
            env.ctx_threads = os.path.abspath(args.ctx_threads) if args.ctx_threads else ""
            env.gen_bundle = os.path.abspath(args.gen_bundle) if args.gen_bundle else ""
            env.tmp = tmp
            builders = [b for b in ROWS if (b is not rows_p7_threads or env.ctx_threads)
                        and (b is not rows_p8_bundles or env.gen_bundle)
                        and not (args.no_python and b in PYTHON_ROWS)]
            rows = [r for build in builders for r in build(env) if not wanted or r.key in wanted]
            print("trustcache bench: median of several fresh processes per cell "
                  "(without / with LD_PRELOAD=%s / floor)" % os.path.relpath(env.shim))
            print("%d CPUs, load average %s" % (os.cpu_count() or 0,
                                                " ".join("%.2f" % x for x in os.getloadavg())))
            if default_cafile_missing():
                print("no default CA file here: every variant runs with SSL_CERT_FILE=%s"
                      % pki.SYSTEM_BUNDLE)
            describe_python("python", py_info)
            if req_info["exe"] != py_info["exe"]:
                describe_python("python for requests", req_info)
            print()
            for r in rows:
                run_row(r, env, tmp)
    print_table(rows)
    print_scaling(rows)
    print()
    print("bench took %.0f s" % (time.monotonic() - start))
    return 0


if __name__ == "__main__":
    sys.exit(main())
