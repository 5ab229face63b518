#!/usr/bin/env python3
"""Start-up cost of the shim in programs that never use OpenSSL.

usage: bench_startup.py --shim SO [--runs N] [--warmup N] [--own-loop]

Times /bin/true and `sh -c :` without and with the shim preloaded and prints
one side-by-side table of medians (the target: the shim adds at most 100 us
of wall time).  hyperfine (-N: no intermediate shell) does the timing when
installed; otherwise, or with --own-loop, a posix_spawn loop here does,
alternating with and without the shim in rounds so that drift affects both
columns alike.  A measurement only: nothing here passes or fails.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = (["/bin/true"], ["sh", "-c", ":"])


def env_with(preload):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("TRUSTCACHE_") and k != "LD_PRELOAD"}
    if preload:
        env["LD_PRELOAD"] = preload
    return env


def hyperfine_medians(cmd, preload, runs, warmup):
    """Median and spread (seconds) of `cmd` as measured by hyperfine."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "h.json")
        # Its outlier warnings are noise next to the table; a failure is shown.
        done = subprocess.run(["hyperfine", "-N", "--style", "none", "--warmup", str(warmup), "--runs",
                               str(runs), "--export-json", out, " ".join(cmd)],
                              env=env_with(preload), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            sys.exit(f"hyperfine failed: {done.stderr}")
        with open(out, encoding="utf-8") as f:
            times = json.load(f)["results"][0]["times"]
    return times


def spawn_once(path, argv, env):
    start = time.perf_counter_ns()
    pid = os.posix_spawn(path, argv, env)
    os.waitpid(pid, 0)
    return (time.perf_counter_ns() - start) / 1e9


def own_loop(cmd, shim, runs, warmup):
    """Times without and with the shim, alternating in rounds of 50."""
    path = shutil.which(cmd[0])
    envs = {"without": env_with(None), "with": env_with(shim)}
    times = {"without": [], "with": []}
    for _ in range(warmup):
        for env in envs.values():
            spawn_once(path, cmd, env)
    while len(times["with"]) < runs:
        for key, env in envs.items():
            times[key] += [spawn_once(path, cmd, env) for _ in range(50)]
    return times["without"][:runs], times["with"][:runs]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shim", required=True)
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--own-loop", action="store_true")
    args = ap.parse_args()
    shim = os.path.realpath(args.shim)
    tool = "own posix_spawn loop" if args.own_loop or not shutil.which("hyperfine") else "hyperfine -N"

    rows = []
    for cmd in COMMANDS:
        if tool.startswith("hyperfine"):
            without = hyperfine_medians(cmd, None, args.runs, args.warmup)
            with_shim = hyperfine_medians(cmd, shim, args.runs, args.warmup)
        else:
            without, with_shim = own_loop(cmd, shim, args.runs, args.warmup)
        rows.append((" ".join(cmd), without, with_shim))

    print(f"start-up wall time, median of {args.runs} runs each ({tool}); target: the shim adds <= 100 us")
    print(f"{'command':<14} {'without shim':>14} {'with shim':>14} {'added':>10} {'p90 without':>12} {'p90 with':>10}")
    for name, without, with_shim in rows:
        m0, m1 = statistics.median(without) * 1e6, statistics.median(with_shim) * 1e6
        q0 = statistics.quantiles(without, n=10)[-1] * 1e6
        q1 = statistics.quantiles(with_shim, n=10)[-1] * 1e6
        print(f"{name:<14} {m0:>11.0f} us {m1:>11.0f} us {m1 - m0:>+7.0f} us {q0:>9.0f} us {q1:>7.0f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
