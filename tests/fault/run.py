#!/usr/bin/env python3
"""Fault-injection suite: every failure point of the shim, one at a time.

For each parity scenario below, the harness runs once without the shim (the
reference transcript), once with the fault-injection shim and no fault (to
count the failure points the scenario reaches, and to list them), then once
for every N from 1 to that count with TC_FAULT_AT=N, so the Nth allocation,
file-system call or OpenSSL call the shim makes on its own behalf fails.

Each of those runs must print exactly the reference transcript (stdout), the
same stderr apart from "trustcache:" lines, exit as the reference did, finish
before the timeout, and leave stats that satisfy
    requested == performed + avoided + passthrough
if it wrote any: the shim falls back to OpenSSL and never fails a call that
OpenSSL alone would have completed.

A failing run is reported with its N, the failing site (function and source
line), the shim's backtrace at that point (which fault.c writes into the
report file; symbolized with addr2line) and the transcript diff.  Failures
are grouped by site, caller and what went wrong, and each group is shown in
full once.

usage: run.py --harness BIN --shim FAULT_SO [--jobs N] [--timeout S] [--keep]
              [SCENARIO...]
"""
import argparse
import concurrent.futures
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "parity", "make-fixtures.sh")

# Every route, templates and copy-on-write (STORE() hands the store out),
# rotation, the error queue, CRLs, trust settings and fork.  The thread
# scenarios are left out: their points come in no fixed order, so N would
# not name one site.  env-unset is left out: the system bundle multiplies the
# points without reaching a new site.
SCENARIOS = [
    "route-ctx-default-verify-paths",
    "route-ctx-load-verify-locations-file",
    "route-ctx-load-verify-locations-dir",
    "route-ctx-load-verify-locations-both",
    "route-ctx-load-verify-locations-null",
    "route-ctx-load-verify-file",
    "route-ctx-set-default-verify-file",
    "route-store-set-default-paths",
    "route-store-load-locations",
    "route-store-load-file",
    "route-lookup-ctrl-file-load",
    "route-lookup-filetype-default",
    "route-load-cert-crl-file",
    "route-load-cert-file-pem",
    "route-load-cert-file-der",
    "route-hash-dir-lookup",
    "route-ex-libctx",
    "env-file-and-dir-set",
    "env-file-changed",
    "env-dir-changed",
    "bundle-corrupt",
    "bundle-crl",
    "bundle-trusted-certificate",
    "preexisting-error",
    "dup-identical-bytes-two-paths",
    "rotate-ca-removed",
    "rotate-same-size-same-second",
    "rotate-atomic-rename",
    "rotate-symlink-retarget",
    "rotate-default-file",
    "isolation-add-cert",
    "isolation-add-before-load",
    "isolation-store-flags",
    "isolation-add-crl",
    "fork-after-load",
    "share-python-cadata",
    "share-every-template",
    "share-set-default-verify-dir",
    "share-verify-cb-adds-cert",
    "share-rotation-outlives",
]

# Files written less than this long ago are "racy" for the shim (re-hashed on
# use), which changes how many points a load passes: wait it out once.
RACY_WINDOW_S = 2.2
DIFF_LINES = 40


class Run:
    """The outcome of one harness process."""

    def __init__(self, rc, out, err, timed_out=False):
        self.rc, self.out, self.err, self.timed_out = rc, out, err, timed_out


def how(rc):
    if rc is None:
        return "hung"
    if rc == -14:
        return "timed out (SIGALRM)"
    if rc < 0:
        return f"died from signal {-rc}"
    return f"exited {rc}"


def category(problems):
    """A short name for what went wrong, to group runs by cause."""
    if problems[0].startswith("hung"):
        return "hang"
    parts = []
    m = re.match(r"the harness (died from signal \d+|exited \d+|timed out \S+)", problems[0])
    if m:
        parts.append(("crash: " if "signal" in m.group(1) else "") + m.group(1))
    parts += [p.split(":")[0] for p in problems if not p.startswith("the harness")]
    return ", ".join(parts)


def run_harness(args, scenario, workdir, env_extra, shim=None):
    """Runs the harness on one scenario in a fresh scratch directory."""
    scratch = os.path.join(workdir, "scratch")
    os.makedirs(scratch, exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("TRUSTCACHE_", "TC_FAULT_", "SSL_CERT_"))}
    env["LD_PRELOAD"] = " ".join(filter(None, (args.preload_first, shim))) if shim else ""
    env.update(env_extra)
    cmd = [args.harness, "--fixtures", args.fixtures, "--scratch", scratch,
           "--threads", "2", "--timeout", str(args.timeout), scenario]
    try:
        p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=args.timeout * 3 + 10, check=False)
    except subprocess.TimeoutExpired as e:
        return Run(None, e.stdout or b"", e.stderr or b"", timed_out=True)
    return Run(p.returncode, p.stdout, p.stderr)


def fault_env(workdir, at=None, extra=None):
    env = {
        "TC_FAULT_COUNT_FILE": os.path.join(workdir, "count"),
        "TC_FAULT_REPORT": os.path.join(workdir, "report"),
        "TRUSTCACHE_STATS": os.path.join(workdir, "stats.%p.json"),
    }
    if at is not None:
        env["TC_FAULT_AT"] = str(at)
    env.update(extra or {})
    return env


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


def max_points(workdir):
    counts = [int(line.split()[1]) for line in read_text(os.path.join(workdir, "count")).splitlines()
              if len(line.split()) == 2]
    return max(counts) if counts else 0


def without_shim_lines(err):
    return [line for line in err.decode(errors="replace").splitlines()
            if not line.startswith("trustcache:")]


def stats_problems(workdir):
    """Stats files the run wrote must parse and keep the counting invariant."""
    problems = []
    for name in sorted(os.listdir(workdir)):
        if not (name.startswith("stats.") and name.endswith(".json")):
            continue
        try:
            with open(os.path.join(workdir, name), encoding="utf-8") as f:
                s = json.load(f)
            parts = s["ca_loads_performed"] + s["ca_loads_avoided"] + s["ca_loads_passthrough"]
            if s["ca_loads_requested"] != parts:
                problems.append(f"stats invariant broken: {name}: requested "
                                f"{s['ca_loads_requested']} != performed + avoided + passthrough {parts}")
        except (OSError, ValueError, KeyError, TypeError) as e:
            problems.append(f"stats unreadable: {name}: {e}")
    return problems


def compare(ref, got, workdir):
    """Returns a list of problems of one fault run against the reference."""
    if got.timed_out:
        return ["hung: still running after the timeout"]
    problems = []
    if got.rc != ref.rc:
        problems.append(f"the harness {how(got.rc)} (without the shim it {how(ref.rc)})")
    if got.out != ref.out:
        diff = list(difflib.unified_diff(
            ref.out.decode(errors="replace").splitlines(),
            got.out.decode(errors="replace").splitlines(),
            "without shim", "fault run", lineterm="", n=1))
        more = len(diff) - DIFF_LINES
        problems.append("transcripts differ:\n" + "\n".join(diff[:DIFF_LINES]) +
                        (f"\n... {more} more diff lines" if more > 0 else ""))
    if without_shim_lines(got.err) != without_shim_lines(ref.err):
        problems.append("stderr differs:\n" + got.err.decode(errors="replace")[-2000:])
    problems += stats_problems(workdir)
    return problems


# ---- naming failure points ----------------------------------------------

OFFSET = re.compile(r"libtrustcache\.so\+0x([0-9a-f]+)")
FRAME = re.compile(r"libtrustcache\.so\(([A-Za-z0-9_]*)\+0x([0-9a-f]+)\)")


def symbolize(shim, offsets):
    """{offset: ["function (file:line)", ...]} for return addresses in the shim,
    innermost inlined function first."""
    offsets = sorted(set(offsets))
    if not offsets or not shutil.which("addr2line"):
        return {}
    # A return address points after the call: look up the byte before it.
    cmd = ["addr2line", "-a", "-f", "-i", "-e", shim] + [hex(int(o, 16) - 1) for o in offsets]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {}
    chains, current = [], None
    for i, line in enumerate(out):
        if line.startswith("0x"):
            current = []
            chains.append(current)
        elif current is not None and i + 1 < len(out) and not out[i + 1].startswith("0x") \
                and ":" in out[i + 1] and ":" not in line:
            current.append(f"{line} ({os.path.basename(out[i + 1].split(' ')[0])})")
    return dict(zip(offsets, chains))


def site_of(line, names):
    """'kind where' of a trace/report line, OpenSSL call sites symbolized."""
    parts = line.split(" ", 1)
    text = parts[1] if len(parts) == 2 else line
    m = OFFSET.search(text)
    if m and names.get(m.group(1)):
        text = text[:m.start()].replace("called from ", "from ") + names[m.group(1)][0]
    return text.strip()


def backtrace(shim, report):
    """The shim's frames at the failing point (innermost first), from the
    backtrace fault.c appends to the report."""
    found = FRAME.findall(report)
    names = symbolize(shim, [off for sym, off in found if not sym])
    frames = []
    for sym, off in found:
        frames += [f"{sym} (a hook)"] if sym else names.get(off, ["+0x" + off])
    # The injection's own frames (fault.c) say nothing about the shim.
    return [f for f in frames if "(fault.c:" not in f]


# ---- the suite -----------------------------------------------------------

def prepare(args, tmp):
    args.fixtures = os.path.join(tmp, "fx")
    log = os.path.join(tmp, "fixtures.log")
    with open(log, "w") as f:
        if subprocess.run(["bash", FIXTURES, args.fixtures], stdout=f, stderr=f,
                          check=False).returncode:
            print(read_text(log))
            sys.exit("fault: cannot generate fixtures")
    newest = max(max(st.st_mtime, st.st_ctime)
                 for st in (os.stat(os.path.join(d, n))
                            for d, _, files in os.walk(args.fixtures) for n in files))
    time.sleep(max(0.0, newest + RACY_WINDOW_S - time.time()))


def scenario_setup(args, tmp, scenario):
    """Reference run and counting run. Returns (ref, points, trace, problems)."""
    base = os.path.join(tmp, "runs", scenario)
    ref = run_harness(args, scenario, os.path.join(base, "ref"), {})
    if ref.timed_out or ref.rc != 0:
        return ref, 0, [], [f"the run without the shim {how(ref.rc)}"]
    count_dir = os.path.join(base, "count")
    os.makedirs(count_dir, exist_ok=True)
    trace_file = os.path.join(count_dir, "trace")
    got = run_harness(args, scenario, count_dir,
                      fault_env(count_dir, extra={"TC_FAULT_TRACE": trace_file}), args.shim)
    problems = [f"without a fault: {p}" for p in compare(ref, got, count_dir)]
    return ref, max_points(count_dir), read_text(trace_file).splitlines(), problems


def one_fault(args, tmp, scenario, ref, n):
    workdir = os.path.join(tmp, "runs", scenario, str(n))
    got = run_harness(args, scenario, workdir, fault_env(workdir, n), args.shim)
    problems = compare(ref, got, workdir)
    text = read_text(os.path.join(workdir, "report"))
    report = text.split("\n", 1)[0].strip()
    reached = bool(report)
    detail = None
    if problems:
        detail = backtrace(args.shim, text)
    elif not args.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return scenario, n, reached, report, problems, detail


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--harness", required=True)
    ap.add_argument("--shim", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    # Seconds per harness run (SIGALRM); a scenario takes well under one.
    ap.add_argument("--timeout", type=int, default=5)
    ap.add_argument("--keep", action="store_true")
    # A library preloaded before the shim: the ASan runtime, for an
    # ASan-built shim and harness (it must come first in the load order).
    ap.add_argument("--preload-first", default="")
    ap.add_argument("scenarios", nargs="*")
    args = ap.parse_args()
    args.harness = os.path.realpath(args.harness)
    args.shim = os.path.realpath(args.shim)
    chosen = args.scenarios or SCENARIOS
    start = time.time()

    tmp = tempfile.mkdtemp(prefix="trustcache-fault.")
    passed = failed = 0
    try:
        # Private copies: a rebuild of either file while the suite runs
        # cannot change what it tests.
        for attr in ("harness", "shim"):
            copy = os.path.join(tmp, os.path.basename(getattr(args, attr)))
            shutil.copy2(getattr(args, attr), copy)
            setattr(args, attr, copy)
        known = subprocess.run([args.harness, "--list"], capture_output=True, text=True,
                               check=True).stdout.split()
        prepare(args, tmp)
        setups, traces, jobs = {}, {}, []
        for scenario in chosen:
            if scenario not in known:
                print(f"FAIL {scenario}: no such parity scenario")
                failed += 1
                continue
            ref, points, trace, problems = scenario_setup(args, tmp, scenario)
            if problems:
                print(f"FAIL {scenario}: " + "\n  ".join(problems))
                failed += 1
                continue
            setups[scenario] = (ref, points)
            traces[scenario] = trace
            jobs += [(scenario, n) for n in range(1, points + 1)]

        offsets = [m.group(1) for t in traces.values() for line in t
                   for m in [OFFSET.search(line)] if m]
        names = symbolize(args.shim, offsets)
        results = {s: [] for s in setups}
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
            futures = [pool.submit(one_fault, args, tmp, s, setups[s][0], n) for s, n in jobs]
            for f in concurrent.futures.as_completed(futures):
                scenario, n, reached, report, problems, detail = f.result()
                results[scenario].append((n, reached, report, problems, detail))

        sites, defects, unreached, runs = set(), {}, 0, 0
        for scenario in setups:
            points = setups[scenario][1]
            sites.update(site_of(line, names) for line in traces[scenario])
            bad = sorted((r for r in results[scenario] if r[3]), key=lambda r: r[0])
            runs += len(results[scenario])
            unreached += sum(1 for r in results[scenario] if not r[1])
            if not bad:
                print(f"PASS {scenario} ({points} failure points, each failed once: same transcript)")
                passed += 1
                continue
            failed += 1
            print(f"FAIL {scenario}: {len(bad)} of {points} failure points change what the caller sees")
            for n, _, report, problems, detail in bad:
                site = site_of(report, names) if report else "(the point was not reached)"
                # The same site reached from elsewhere may fail differently.
                caller = detail[1].split(" ")[0] if len(detail) > 1 else "?"
                key = (site, category(problems), caller)
                defects.setdefault(key, []).append((scenario, n, problems, detail))
                print(f"  N={n}: {site}: {key[1]}")
        elapsed = time.time() - start
        print(f"fault injection: {len(setups)} scenarios, {len(jobs)} failure points "
              f"({len(sites)} distinct sites), {runs} fault runs"
              f"{f', {unreached} not reached' if unreached else ''}, {elapsed:.0f} s")
        if defects:
            print(f"{len(defects)} distinct failures (site, what the caller saw), "
                  "each shown once:")
        for (site, what, caller), where in sorted(defects.items()):
            scenario, n, problems, detail = where[0]
            others = ", ".join(f"{s}:{k}" for s, k, _, _ in where[1:4])
            print(f"DEFECT {site}, reached from {caller}: {what}")
            print(f"  {len(where)} runs; shown: {scenario} N={n}"
                  f"{f'; also {others}' if others else ''}{' ...' if len(where) > 4 else ''}")
            for p in problems:
                print("  " + p.replace("\n", "\n  "))
            print("  shim backtrace at the failing point:")
            for i, frame in enumerate(detail or ["(none)"]):
                print(f"    #{i} {frame}")
    finally:
        if args.keep:
            print(f"fault: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
