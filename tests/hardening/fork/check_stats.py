#!/usr/bin/env python3
"""Checks the stats files of one forker run with the shim.

usage: check_stats.py DIR PARENT_PID PARENT_LOADS CHILDREN

DIR holds s-PID.json files (TRUSTCACHE_STATS=DIR/s-%p.json).  The parent's
file must count exactly the loads its own threads made (PARENT_LOADS), and
there must be one file per child (CHILDREN), each counting only the child's
own single load: requested 1, served from the inherited cache or parsed,
never passed through.  Prints one PASS/FAIL line per check.  Exits 1 on any
failure.
"""
import glob
import json
import os
import sys

COUNTERS = ("ca_loads_requested", "ca_loads_performed", "ca_loads_avoided", "ca_loads_passthrough")


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def main(directory, parent_pid, parent_loads, children):
    failures = 0

    def report(ok, name, detail):
        nonlocal failures
        print(f"{'PASS' if ok else 'FAIL'} {name} ({detail})")
        failures += not ok

    files = glob.glob(os.path.join(directory, "s-*.json"))
    parent_file = os.path.join(directory, f"s-{parent_pid}.json")
    others = [f for f in files if f != parent_file]
    report(os.path.exists(parent_file), "fork parent stats written", parent_file)
    if os.path.exists(parent_file):
        p = load(parent_file)
        req, perf, avoided, passed = (p[k] for k in COUNTERS)
        report(req == parent_loads and req == perf + avoided + passed,
               "fork parent counts only its own loads",
               f"requested {req} (threads made {parent_loads}) = performed {perf}"
               f" + avoided {avoided} + passthrough {passed}")
    report(len(others) == children, "fork one stats file per child",
           f"{len(others)} files for {children} children")
    bad = []
    served = 0
    for f in others:
        try:
            s = load(f)
            req, perf, avoided, passed = (s[k] for k in COUNTERS)
        except (OSError, ValueError, KeyError) as e:
            bad.append(f"{os.path.basename(f)}: {e}")
            continue
        if (req, passed, perf + avoided) != (1, 0, 1):
            bad.append(f"{os.path.basename(f)}: requested {req} performed {perf}"
                       f" avoided {avoided} passthrough {passed}")
        served += avoided
    report(not bad, "fork each child counts only its own load",
           f"{len(others) - len(bad)} of {len(others)} children: requested 1, not passed through;"
           f" {served} served from the inherited cache" + (f"; first problems: {bad[:3]}" if bad else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])))
