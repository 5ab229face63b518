"""Client scenarios for run.py, each run in its own process under the shim.

usage: client.py SCENARIO --port N --bundle PEM [--keepalive-port N] [--count N]
                 [--stats-template PATH_WITH_%p]

Every scenario ends by printing one JSON object on its last stdout line: what
it observed (thread counts, dumps it read while running, handler calls).
The shim's own exit dump is read by run.py.
"""

import argparse
import gc
import json
import os
import signal
import ssl
import sys
import time

WAIT = 10.0  # seconds a scenario waits for a dump written while it runs


def threads():
    return len(os.listdir("/proc/self/task"))


def caught_signals():
    """The SigCgt mask of this process: signals with a handler installed."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("SigCgt:"):
                return int(line.split()[1], 16)
    return 0


def catches(sig):
    return bool(caught_signals() & (1 << (sig - 1)))


def stats_path(args):
    return args.stats_template.replace("%p", str(os.getpid()))


def wait_for_text(path, ready=lambda text: True):
    """The file at PATH once it exists and READY(text) holds, else None.
    Dumps are written atomically, so a file that exists is complete."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if ready(text):
                return text
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return None


def wait_for_dump(path, ready=lambda doc: True):
    """The JSON dump at PATH once READY(doc) holds, else None."""
    def parsed_ready(text):
        try:
            return ready(json.loads(text))
        except ValueError:
            return False
    text = wait_for_text(path, parsed_ready)
    return json.loads(text) if text is not None else None


def host_connections(doc, host):
    for h in doc.get("hosts", []):
        if h["host"] == host:
            return h["connections"]
    return 0


def get(url, bundle, **kw):
    import requests
    r = requests.get(url, verify=bundle, timeout=20, **kw)
    r.raise_for_status()
    r.close()


# ---------------------------------------------------------------- scenarios

def requests_loop(args):
    """A new requests call per URL: every connection builds its own context."""
    for host in ("localhost", "127.0.0.1"):
        for _ in range(args.count):
            get("https://%s:%d/" % (host, args.port), args.bundle)
    gc.collect()
    return {"threads": threads()}


def pooled_session(args):
    """One Session over a keep-alive server: one connection, one context."""
    import requests
    with requests.Session() as s:
        for _ in range(args.count):
            r = s.get("https://localhost:%d/" % args.keepalive_port, verify=args.bundle,
                      timeout=20)
            r.raise_for_status()
    gc.collect()
    return {}


def shared_context(args):
    """A Session whose pool is given one SSLContext: a connection per request
    (the server closes each), all from that one context."""
    import requests
    from requests.adapters import HTTPAdapter

    ctx = ssl.create_default_context(cafile=args.bundle)

    class OneContext(HTTPAdapter):
        def init_poolmanager(self, *a, **kw):
            kw["ssl_context"] = ctx
            return super().init_poolmanager(*a, **kw)

    with requests.Session() as s:
        s.mount("https://", OneContext())
        for _ in range(args.count):
            r = s.get("https://localhost:%d/" % args.port, timeout=20)
            r.raise_for_status()
    gc.collect()
    return {}


def make_cycles(bundle, n):
    """N contexts each kept alive only by a reference cycle."""
    for _ in range(n):
        holder = {"ctx": ssl.create_default_context(cafile=bundle)}
        holder["self"] = holder


def leak(args):
    """Contexts lost in reference cycles with the collector off, then a dump
    on the signal while they are still alive (in whatever format is set)."""
    gc.disable()
    make_cycles(args.bundle, args.count)
    os.kill(os.getpid(), signal.SIGUSR2)
    return {"dump_text": wait_for_text(stats_path(args))}


def no_leak(args):
    """The same contexts, collected before the dump."""
    gc.disable()
    make_cycles(args.bundle, args.count)
    gc.collect()
    os.kill(os.getpid(), signal.SIGUSR2)
    return {"dump_text": wait_for_text(stats_path(args))}


def periodic(args):
    """The writer starts on first TLS use, then rewrites the file each interval."""
    out = {"threads_before": threads()}
    time.sleep(1.5)  # longer than the interval: nothing may be written yet
    out["file_before_tls"] = os.path.exists(stats_path(args))
    for _ in range(args.count):
        get("https://localhost:%d/" % args.port, args.bundle)
    out["threads_after"] = threads()
    out["dump"] = wait_for_dump(stats_path(args),
                                lambda d: host_connections(d, "localhost") == args.count)
    return out


def fork_child(args):
    """Runs in the child: its own writer, counters and file."""
    out = {"pid": os.getpid(), "threads_before": threads()}
    for _ in range(args.count + 2):
        get("https://localhost:%d/" % args.port, args.bundle)
    out["threads_after"] = threads()
    out["dump"] = wait_for_dump(stats_path(args),
                                lambda d: host_connections(d, "localhost") == args.count + 2)
    return out


def fork(args):
    """Parent makes COUNT connections, forks; the child makes COUNT+2."""
    for _ in range(args.count):
        get("https://localhost:%d/" % args.port, args.bundle)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            data = json.dumps(fork_child(args)).encode()
        except Exception as e:  # report, never fall back into the parent's code
            data = json.dumps({"error": repr(e)}).encode()
        os.write(w, data)
        os._exit(0)
    os.close(w)
    chunks = []
    while True:
        chunk = os.read(r, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    out = {"child": json.loads(b"".join(chunks) or b"{}"), "child_status": status,
           "pid": os.getpid()}
    out["dump"] = wait_for_dump(stats_path(args), lambda d: d.get("contexts_created", 0) > 0)
    return out


def signal_dump(args, before=None):
    """USR2 is left alone until the first TLS use; then it asks for a dump."""
    calls = []
    if before == "python":
        signal.signal(signal.SIGUSR2, lambda *a: calls.append(1))
    elif before == "ignore":
        signal.signal(signal.SIGUSR2, signal.SIG_IGN)
    out = {"caught_before": catches(signal.SIGUSR2)}
    for _ in range(args.count):
        get("https://localhost:%d/" % args.port, args.bundle)
    out["caught_after"] = catches(signal.SIGUSR2)
    os.kill(os.getpid(), signal.SIGUSR2)
    out["dump"] = wait_for_dump(stats_path(args),
                                lambda d: host_connections(d, "localhost") == args.count)
    time.sleep(0.1)  # Python runs its handler between bytecodes
    out["python_handler_calls"] = len(calls)
    out["alive"] = True
    return out


def weird_bundle(args):
    """A bundle whose path holds a quote, a backslash, a newline and a byte
    that is not UTF-8: every stats format must still be valid."""
    for _ in range(2):
        ssl.create_default_context(cafile=os.fsencode(args.bundle))
    return {}


SCENARIOS = {
    "requests_loop": requests_loop,
    "pooled_session": pooled_session,
    "shared_context": shared_context,
    "leak": leak,
    "no_leak": no_leak,
    "periodic": periodic,
    "fork": fork,
    "signal_default": lambda a: signal_dump(a),
    "signal_python_handler": lambda a: signal_dump(a, "python"),
    "signal_ignored": lambda a: signal_dump(a, "ignore"),
    "weird_bundle": weird_bundle,
}


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--keepalive-port", type=int, default=0)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--stats-template", default="")
    args = ap.parse_args(argv)
    out = SCENARIOS[args.scenario](args)
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
