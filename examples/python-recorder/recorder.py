"""An API recorder: one new HTTPS connection per interaction, every
response kept until the cassette is written.

    recorder.py --url URL --bundle CAFILE --count N [--every 100] [--budget-mib M]
                [--progress]

Each interaction is requests.get(url, verify=CAFILE, headers={"Connection":
"close"}): a new connection, a new SSLContext, the bundle loaded into it.
The recorder keeps each interaction (the request and its requests.Response)
in a list, as recorders do until they write the cassette.  The garbage
collector stays on: nothing here is a reference cycle.

Prints one JSON line every EVERY interactions ({"n", "rss_kib"}).  RSS is
read after every interaction: the first time it passes BUDGET_MIB (where a
container with that memory limit would be OOM-killed) the recorder prints
that sample and {"over_budget": n} and stops; otherwise it ends with
{"done": n, "seconds"}.  --progress also prints each interaction's number
on a line of its own as soon as it is recorded, so a recorder the kernel
kills still tells how far it got.
"""

import argparse
import json
import sys
import time

import requests
import urllib3


def rss_kib():
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def emit(obj):
    print(json.dumps(obj), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--count", type=int, default=1000)
    p.add_argument("--every", type=int, default=100)
    p.add_argument("--budget-mib", type=float, default=0, help="0: no budget")
    p.add_argument("--progress", action="store_true")
    args = p.parse_args()

    cassette = []
    emit({"urllib3": urllib3.__version__, "requests": requests.__version__,
          "n": 0, "rss_kib": rss_kib()})
    start = time.perf_counter()
    for n in range(1, args.count + 1):
        url = "%sinteraction/%d" % (args.url, n)
        r = requests.get(url, verify=args.bundle, timeout=10, headers={"Connection": "close"})
        if r.status_code != 200:
            raise SystemExit("unexpected HTTP status %d" % r.status_code)
        cassette.append({"method": "GET", "url": url, "response": r})
        if args.progress:
            print(n, flush=True)
        rss = rss_kib()
        if n % args.every == 0 or n == args.count:
            emit({"n": n, "rss_kib": rss})
        if args.budget_mib and rss > args.budget_mib * 1024:
            emit({"n": n, "rss_kib": rss})
            emit({"over_budget": n, "seconds": time.perf_counter() - start})
            return 0
    emit({"done": args.count, "seconds": time.perf_counter() - start})
    return 0


if __name__ == "__main__":
    sys.exit(main())
