"""A service that runs with gc.disable() and leaks its clients.

    service.py --url URL --cafile CAFILE --count N [--every 50]

Each request the service handles builds an upstream client: an SSLContext
with the CA bundle loaded (ssl.create_default_context(cafile=...)) and one
HTTPS call through http.client.  The client registers a close callback on
itself, a reference cycle that only the cyclic garbage collector can free,
and the service turned that collector off (a common latency tweak), so
every client and its SSLContext stay in memory.

After the loop the service runs gc.collect() once, then exits.

Prints JSON lines: {"n", "rss_kib"} at the start and every EVERY requests,
then {"done", "seconds", "uncollected", "rss_after_collect_kib"}.

When the shim writes its stats periodically (TRUSTCACHE_STATS names a file
and TRUSTCACHE_STATS_INTERVAL is set), the service also keeps two snapshots
of that file, FILE.leaking (after the loop) and FILE.collected (after
gc.collect()): the counters at exit cannot show the leak, because Python
collects every cycle while shutting down, gc.disable() or not.
"""

import argparse
import gc
import http.client
import json
import os
import shutil
import ssl
import sys
import time
import urllib.parse


def rss_kib():
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def emit(obj):
    print(json.dumps(obj), flush=True)


class UpstreamClient:
    def __init__(self, url, cafile):
        self.url = urllib.parse.urlsplit(url)
        self.context = ssl.create_default_context(cafile=cafile)
        self.callbacks = [self.close]  # the cycle: self -> list -> bound method -> self

    def fetch(self):
        conn = http.client.HTTPSConnection(self.url.hostname, self.url.port,
                                           context=self.context, timeout=10)
        try:
            conn.request("GET", self.url.path or "/")
            resp = conn.getresponse()
            resp.read()
            return resp.status
        finally:
            conn.close()

    def close(self):
        pass


def snapshot_stats(suffix, ready):
    """Copy the shim's periodically rewritten stats file once its counters
    satisfy READY, waiting for at most two intervals."""
    path = os.environ.get("TRUSTCACHE_STATS", "")
    interval = os.environ.get("TRUSTCACHE_STATS_INTERVAL", "")
    if not path.startswith("/") or "%" in path or not interval.isdigit():
        return
    deadline = time.monotonic() + 2 * int(interval) + 1
    while time.monotonic() < deadline:
        try:
            with open(path, encoding="utf-8") as f:
                st = json.load(f)
            if ready(st):
                shutil.copyfile(path, path + suffix)
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--cafile", required=True)
    p.add_argument("--count", type=int, default=300)
    p.add_argument("--every", type=int, default=50)
    args = p.parse_args()

    gc.disable()
    emit({"n": 0, "rss_kib": rss_kib()})
    start = time.perf_counter()
    for n in range(1, args.count + 1):
        client = UpstreamClient(args.url, args.cafile)
        if client.fetch() != 200:
            raise SystemExit("unexpected HTTP status")
        del client  # unreachable now, but the cycle keeps it alive
        if n % args.every == 0 or n == args.count:
            emit({"n": n, "rss_kib": rss_kib()})
    seconds = time.perf_counter() - start
    uncollected = sum(1 for o in gc.get_objects() if isinstance(o, UpstreamClient))
    snapshot_stats(".leaking", lambda st: st.get("contexts_created", 0) >= args.count)
    gc.collect()
    snapshot_stats(".collected", lambda st: st.get("contexts_freed", 0) >= args.count)
    emit({"done": args.count, "seconds": seconds, "uncollected": uncollected,
          "rss_after_collect_kib": rss_kib()})
    return 0


if __name__ == "__main__":
    sys.exit(main())
