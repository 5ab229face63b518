#!/usr/bin/env python3
"""Checks the shim's stats JSON for one parity run.

usage: check_stats.py [--min-avoided N] [--min-shared N] [--warnings N]
                      [--share 0|1] MAIN_JSON [OTHER_JSON...]

MAIN_JSON is the stats file of the harness process itself: it must exist,
hold the documented counters, satisfy
    ca_loads_requested == ca_loads_performed + ca_loads_avoided + ca_loads_passthrough
and report at least --min-avoided avoided loads, so a shim that silently did
nothing fails.

With sharing on (--share 1, the default) it must also report at least
--min-shared contexts_shared, so a shim that silently stopped sharing fails,
and template_mutations must be at least --warnings (the template warnings the
scenario provokes), or exactly 0 when the scenario provokes none. With
--share 0 (TRUSTCACHE_SHARE=0) nothing may be shared, built or mutated.

OTHER_JSON files (from forked children) must satisfy the invariant too.
Prints one line per problem, or a summary; exits 1 on problems.
"""
import argparse
import json
import sys

COUNTERS = ("ca_loads_requested", "ca_loads_performed", "ca_loads_avoided", "ca_loads_passthrough")
SHARING = ("templates_built", "contexts_shared", "stores_privatized", "template_mutations")


def problems_in(path):
    """Returns (stats or None, list of problems) for one stats file."""
    try:
        with open(path, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        return None, [f"{path}: unreadable stats: {e}"]
    if not isinstance(stats, dict):
        return None, [f"{path}: stats are not a JSON object"]
    missing = [k for k in COUNTERS + SHARING if not isinstance(stats.get(k), int)]
    if missing:
        return None, [f"{path}: missing or non-integer counters: {', '.join(missing)}"]
    req, perf, avoided, passed = (stats[k] for k in COUNTERS)
    if req != perf + avoided + passed:
        return stats, [f"{path}: requested {req} != performed {perf} + avoided {avoided}"
                       f" + passthrough {passed}"]
    return stats, []


def loads_problems(stats, want):
    if stats["ca_loads_avoided"] >= want:
        return []
    return [f"ca_loads_avoided is {stats['ca_loads_avoided']}, expected at least {want}"
            f" (requested {stats['ca_loads_requested']},"
            f" performed {stats['ca_loads_performed']},"
            f" passthrough {stats['ca_loads_passthrough']},"
            f" reasons {stats.get('passthrough_reasons')})"]


def sharing_problems(stats, args):
    shared, mutations = stats["contexts_shared"], stats["template_mutations"]
    if not args.share:
        return [f"{k} is {stats[k]} with TRUSTCACHE_SHARE=0, expected 0"
                for k in ("templates_built", "contexts_shared", "template_mutations") if stats[k]]
    problems = []
    if shared < args.min_shared:
        problems.append(f"contexts_shared is {shared}, expected at least {args.min_shared}"
                        f" (templates_built {stats['templates_built']},"
                        f" stores_privatized {stats['stores_privatized']})")
    if args.warnings and mutations < args.warnings:
        problems.append(f"template_mutations is {mutations}, expected at least {args.warnings}")
    if not args.warnings and mutations:
        problems.append(f"template_mutations is {mutations}, expected 0: a template was"
                        " tainted where the scenario changes no shared store")
    return problems


def summary(stats, args):
    line = (f"avoided {stats['ca_loads_avoided']} >= {args.min_avoided},"
            f" requested {stats['ca_loads_requested']} = performed {stats['ca_loads_performed']}"
            f" + avoided {stats['ca_loads_avoided']} + passthrough {stats['ca_loads_passthrough']}")
    if args.share:
        line += f"; shared {stats['contexts_shared']} >= {args.min_shared}"
        if args.warnings:
            line += f", template mutations {stats['template_mutations']}"
    else:
        line += "; sharing off, nothing shared"
    return line


def main(argv):
    p = argparse.ArgumentParser(usage=__doc__.strip().splitlines()[2])
    p.add_argument("--min-avoided", type=int, default=0)
    p.add_argument("--min-shared", type=int, default=0)
    p.add_argument("--warnings", type=int, default=0)
    p.add_argument("--share", type=int, choices=(0, 1), default=1)
    p.add_argument("main")
    p.add_argument("others", nargs="*")
    args = p.parse_args(argv[1:])

    stats, problems = problems_in(args.main)
    for other in args.others:
        problems += problems_in(other)[1]
    if stats is not None:
        problems += loads_problems(stats, args.min_avoided) + sharing_problems(stats, args)
    for line in problems:
        print(line)
    if problems:
        return 1
    print(summary(stats, args))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
