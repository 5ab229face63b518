"""The demo's client: requests.get(url, verify=bundle) in a loop.

No Session is kept, so every call builds a new connection pool, a new TLS
connection and a new SSLContext that loads the whole bundle again: the
common pattern in scripts and SDKs.  The garbage collector is disabled so
the memory each request leaves behind in reference cycles stays visible as
RSS growth, as it does between collections in a real process.

--keep keeps every Response, as recorders and response caches do.  Since
urllib3 2.3 a response holds its socket's shutdown method, so each kept
response also keeps its SSLContext and the CA store parsed into it.

Prints one JSON line: requests done, seconds, RSS before/after (KiB), and
with --sample-every K, [requests, RSS KiB] every K requests.
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
    p.add_argument("--keep", action="store_true", help="keep every Response")
    p.add_argument("--sample-every", type=int, default=0, help="RSS every K requests")
    args = p.parse_args()

    gc.disable()
    kept = []
    rss_before = rss_kib()
    samples = [[0, rss_before]]
    start = time.perf_counter()
    done = 0
    while done < args.count and time.perf_counter() - start < args.max_seconds:
        r = requests.get(args.url, verify=args.bundle, timeout=10)
        if r.status_code != 200:
            raise SystemExit("unexpected HTTP status %d" % r.status_code)
        if args.keep:
            kept.append(r)
        done += 1
        if args.sample_every and done % args.sample_every == 0:
            samples.append([done, rss_kib()])
    seconds = time.perf_counter() - start
    rss_after = rss_kib()
    out = {"requests": done, "seconds": seconds, "rss_before_kib": rss_before,
           "rss_after_kib": rss_after, "kept": len(kept)}
    if args.sample_every:
        out["samples"] = samples
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
