"""Python-side measurements for `make bench`, one per process.

    py_ops.py time-default N       median ns of ssl.create_default_context()
    py_ops.py time-bare N          median ns of ssl.SSLContext(PROTOCOL_TLS_CLIENT)
    py_ops.py rss-default N        KiB of RSS retained per create_default_context()
    py_ops.py rss-bare N           KiB of RSS retained per bare SSLContext
    py_ops.py requests URL CAFILE N   requests.get(URL, verify=CAFILE) per second

Prints one JSON line whose "value" is the measurement; the driver runs each
in fresh processes, with and without the shim, and takes medians.
"""

import gc
import json
import ssl
import sys
import time


def rss_kib():
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def make_default():
    return ssl.create_default_context()


def make_bare():
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


def time_ctx(factory, n):
    """Median time to build one context (each dropped right away)."""
    times = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        factory()
        times.append(time.perf_counter_ns() - t0)
    return {"value": median(times), "first": times[0], "ops": n}


def rss_per_ctx(factory, n):
    """RSS retained per context while N of them stay alive.

    One context is built first and kept out of the count, so one-time costs
    (OpenSSL's lazy initialisation, a cache being filled) do not look like
    per-context memory.  gc stays off so nothing is reclaimed mid-run."""
    gc.disable()
    warm = factory()
    before = rss_kib()
    keep = [factory() for _ in range(n)]
    after = rss_kib()
    out = {"value": (after - before) / n, "rss_before_kib": before, "rss_after_kib": after,
           "objects": keep[-1].cert_store_stats()["x509"], "ops": n}
    del keep, warm
    return out


def requests_rate(url, cafile, n):
    """Throughput of requests.get without a Session (new connection and
    context per call), over the whole loop."""
    import requests
    t0 = time.perf_counter()
    for _ in range(n):
        r = requests.get(url, verify=cafile, timeout=10)
        if r.status_code != 200:
            raise SystemExit("unexpected HTTP status %d" % r.status_code)
    return {"value": n / (time.perf_counter() - t0), "ops": n}


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "time-default":
        out = time_ctx(make_default, int(argv[2]))
    elif cmd == "time-bare":
        out = time_ctx(make_bare, int(argv[2]))
    elif cmd == "rss-default":
        out = rss_per_ctx(make_default, int(argv[2]))
    elif cmd == "rss-bare":
        out = rss_per_ctx(make_bare, int(argv[2]))
    elif cmd == "requests" and len(argv) == 5:
        out = requests_rate(argv[2], argv[3], int(argv[4]))
    else:
        sys.stderr.write(__doc__)
        return 2
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
