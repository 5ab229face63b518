#!/usr/bin/env python3
"""Prints a shim stats JSON file as flat KEY=VALUE lines, for shell checks.

usage: stats_flat.py FILE

Lines: every top-level counter; passthrough.REASON; shim.FIELD; one
"bundle.N=BASENAME performed=P avoided=A certs=C" per bundle entry (N counts
from 0); one "sum.BASENAME=entries=E performed=P avoided=A" per file name
(the entries of all OpenSSL copies together); bundles=COUNT; and invariant=ok when
requested == performed + avoided + passthrough, else invariant=broken.
Exits 1 if the file is not a readable stats object.
"""
import json
import os
import sys


def main(path):
    try:
        with open(path, encoding="utf-8") as f:
            stats = json.load(f)
    except (OSError, ValueError) as e:
        print(f"error={e}")
        return 1
    if not isinstance(stats, dict):
        print("error=not an object")
        return 1
    for key, value in stats.items():
        if isinstance(value, (int, str)):
            print(f"{key}={value}")
    for reason, count in (stats.get("passthrough_reasons") or {}).items():
        print(f"passthrough.{reason}={count}")
    for key, value in (stats.get("shim") or {}).items():
        print(f"shim.{key}={value}")
    bundles = stats.get("bundles") or []
    for i, b in enumerate(bundles):
        print(f"bundle.{i}={os.path.basename(b.get('path', ''))} performed={b.get('loads_performed')}"
              f" avoided={b.get('loads_avoided')} certs={b.get('certs')}")
    sums = {}
    for b in bundles:
        s = sums.setdefault(os.path.basename(b.get("path", "")), [0, 0, 0])
        s[0] += 1
        s[1] += b.get("loads_performed") or 0
        s[2] += b.get("loads_avoided") or 0
    for name, (entries, performed, avoided) in sorted(sums.items()):
        print(f"sum.{name}=entries={entries} performed={performed} avoided={avoided}")
    print(f"bundles={len(bundles)}")
    counters = [stats.get(k) for k in ("ca_loads_requested", "ca_loads_performed",
                                       "ca_loads_avoided", "ca_loads_passthrough")]
    ok = all(isinstance(c, int) for c in counters) and counters[0] == sum(counters[1:])
    print(f"invariant={'ok' if ok else 'broken'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
