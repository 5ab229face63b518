#!/usr/bin/env python3
"""Checks the shim's stats JSON for one parity run.

usage: check_stats.py MIN_AVOIDED MAIN_JSON [OTHER_JSON...]

MAIN_JSON is the stats file of the harness process itself: it must exist,
hold the documented counters, satisfy
    ca_loads_requested == ca_loads_performed + ca_loads_avoided + ca_loads_passthrough
and report at least MIN_AVOIDED avoided loads, so a shim that silently did
nothing fails. OTHER_JSON files (from forked children) must satisfy the
invariant too. Prints one line per problem, or a summary; exits 1 on problems.
"""
import json
import sys

COUNTERS = ("ca_loads_requested", "ca_loads_performed", "ca_loads_avoided", "ca_loads_passthrough")


def problems_in(path):
    """Returns (stats or None, list of problems) for one stats file."""
    try:
        with open(path, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        return None, [f"{path}: unreadable stats: {e}"]
    if not isinstance(stats, dict):
        return None, [f"{path}: stats are not a JSON object"]
    missing = [k for k in COUNTERS if not isinstance(stats.get(k), int)]
    if missing:
        return None, [f"{path}: missing or non-integer counters: {', '.join(missing)}"]
    req, perf, avoided, passed = (stats[k] for k in COUNTERS)
    if req != perf + avoided + passed:
        return stats, [f"{path}: requested {req} != performed {perf} + avoided {avoided}"
                       f" + passthrough {passed}"]
    return stats, []


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    want = int(argv[1])
    stats, problems = problems_in(argv[2])
    for other in argv[3:]:
        problems += problems_in(other)[1]
    if stats is not None and stats["ca_loads_avoided"] < want:
        problems.append(f"ca_loads_avoided is {stats['ca_loads_avoided']}, expected at least {want}"
                        f" (requested {stats['ca_loads_requested']},"
                        f" performed {stats['ca_loads_performed']},"
                        f" passthrough {stats['ca_loads_passthrough']},"
                        f" reasons {stats.get('passthrough_reasons')})")
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"avoided {stats['ca_loads_avoided']} >= {want}, requested {stats['ca_loads_requested']}"
          f" = performed {stats['ca_loads_performed']} + avoided {stats['ca_loads_avoided']}"
          f" + passthrough {stats['ca_loads_passthrough']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
