"""The demo's client: requests.get(url, verify=bundle) in a loop.

No Session is kept, so every call builds a new connection pool, a new TLS
connection and a new SSLContext that loads the whole bundle again: the
common pattern in scripts and SDKs.  The garbage collector is disabled so
the memory each request leaves behind in reference cycles stays visible as
RSS growth, as it does between collections in a real process.

Prints one JSON line: requests done, seconds, RSS before/after (KiB).
"""

import argparse
import gc
import json
import sys
import time

import requests


def rss_kib():
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--max-seconds", type=float, default=25.0)
    args = p.parse_args()

    gc.disable()
    rss_before = rss_kib()
    start = time.perf_counter()
    done = 0
    while done < args.count and time.perf_counter() - start < args.max_seconds:
        r = requests.get(args.url, verify=args.bundle, timeout=10)
        if r.status_code != 200:
            raise SystemExit("unexpected HTTP status %d" % r.status_code)
        done += 1
    seconds = time.perf_counter() - start
    rss_after = rss_kib()
    print(json.dumps({"requests": done, "seconds": seconds,
                      "rss_before_kib": rss_before, "rss_after_kib": rss_after}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
