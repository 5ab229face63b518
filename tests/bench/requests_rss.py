"""One process of bench row P3: a requests.get() loop under gc.disable().

    requests_rss.py URL CAFILE N [--keep]

requests.get(URL, verify=CAFILE) N times, no Session (a new connection and
a new SSLContext each), with the cyclic garbage collector disabled.  With
--keep every Response is kept (what recorders and response caches do).

Prints one JSON line: {"rate": requests per second over the loop,
"rss_growth_kib": RSS after the loop minus RSS before the first request,
"requests": N}.  RSS is measured from before the first request so that the
one-time costs (the first parse, which the shim also pays) count.
"""

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


def main(argv):
    if len(argv) not in (4, 5) or (len(argv) == 5 and argv[4] != "--keep"):
        sys.stderr.write(__doc__)
        return 2
    url, cafile, n = argv[1], argv[2], int(argv[3])
    keep = len(argv) == 5
    kept = []
    gc.disable()
    before = rss_kib()
    t0 = time.perf_counter()
    for _ in range(n):
        r = requests.get(url, verify=cafile, timeout=10)
        if r.status_code != 200:
            raise SystemExit("unexpected HTTP status %d" % r.status_code)
        if keep:
            kept.append(r)
    seconds = time.perf_counter() - t0
    print(json.dumps({"rate": n / seconds, "rss_growth_kib": rss_kib() - before,
                      "requests": n, "kept": len(kept)}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
