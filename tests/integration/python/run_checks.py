"""Python clients with and without the shim: same outcomes, fewer CA parses.

For every interpreter given (the machine's python3 and Debian's
/usr/bin/python3, whose urllib3 is the 1.26 line) and every scenario in
scenarios.py, run the scenario in a subprocess twice: plainly, and with
LD_PRELOAD=<shim> TRUSTCACHE_STATS=<file>.  Then check:

  - the plain run behaves as the scenario expects (so the fixture is sound);
  - the shim run reports exactly the same outcomes (success, exception type,
    verify code/message, store contents) and exit status, and writes no
    extra stderr;
  - the local server saw the same handshakes (each request reconnected);
  - the shim's counters are consistent and show the CA loads it avoided.

Timings are never asserted here; `make bench` measures them.
"""

import argparse
import json
import os
import re
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))

import https_server  # noqa: E402
import interpreters  # noqa: E402
import pki  # noqa: E402
from report import Report  # noqa: E402,F401

SCENARIO_SCRIPT = os.path.join(HERE, "scenarios.py")
# (name, loop count); the count is the number of new connections/contexts.
SCENARIOS = [
    ("verify_locations", 5),
    ("default_untrusted", 3),
    ("urllib3_pool", 6),
    ("requests_loop", 6),
    ("requests_wrong_ca", 0),
    ("requests_threads", 6),
    ("cadata", 4),
    ("ssl_cert_file_env", 0),
    ("store_stats", 0),
    ("file_changes", 0),
    ("bad_files", 0),
]
STATS_KEYS = ("ca_loads_requested", "ca_loads_performed", "ca_loads_avoided",
              "ca_loads_passthrough", "passthrough_reasons", "contexts_created",
              "contexts_freed", "contexts_live", "bytes_avoided_estimate",
              "parse_ns_avoided_estimate", "cache_invalidations", "bundles", "shim")
UNTRUSTED_VERIFY_CODE = 20  # X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
TIMEOUT = 120
DEFAULT_CAFILE = ssl.get_default_verify_paths().openssl_cafile


# ---------------------------------------------------------------- running

def clean_env():
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("TRUSTCACHE_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    # The default-path checks need a default CA file.  Debian 11 has none
    # (OPENSSLDIR/cert.pem is Debian 12's): there the system bundle is named
    # through SSL_CERT_FILE, as an administrator of such a system would.
    if "SSL_CERT_FILE" not in env and not os.path.exists(DEFAULT_CAFILE):
        env["SSL_CERT_FILE"] = pki.SYSTEM_BUNDLE
    return env


def run_scenario(exe, name, count, fix, server, workdir, preload=None, stats_path=None):
    env = clean_env()
    if preload:
        env["LD_PRELOAD"] = preload
        env["TRUSTCACHE_STATS"] = stats_path
    os.makedirs(workdir, exist_ok=True)
    argv = [exe, SCENARIO_SCRIPT, name, "--port", str(server.port),
            "--ca", fix.ca.cert, "--wrong-ca", fix.wrong_ca.cert, "--bundle", fix.bundle,
            "--system-bundle", pki.SYSTEM_BUNDLE, "--workdir", workdir]
    if count:
        argv += ["--count", str(count)]
    before = server.stats()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=env)
        rc, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as e:
        rc, stdout, stderr = "timeout", e.stdout or "", "timed out after %ds" % TIMEOUT
    after = settled_stats(server)
    try:
        result = json.loads(stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = None
    return {"rc": rc, "result": result, "stderr": stderr,
            "handshakes": {"ok": after["handshakes_ok"] - before["handshakes_ok"],
                           "failed": after["handshakes_failed"] - before["handshakes_failed"]}}


def settled_stats(server, quiet=0.15, limit=5.0):
    """The server's counts once they stop changing: a refused handshake is
    counted by the server's own thread, possibly after the client has exited."""
    deadline = time.monotonic() + limit
    last = server.stats()
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.03)
        now = server.stats()
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= quiet:
            break
    return last


# ---------------------------------------------------------------- checks

def step_meets_expectation(step):
    exp = step["expect"]
    if exp == "ok":
        return step["ok"]
    if exp == "verify_fail":
        return not step["ok"] and step.get("verify_code") == UNTRUSTED_VERIFY_CODE
    if exp == "error":
        return not step["ok"]
    if isinstance(exp, dict):
        got = step.get("result", {}).get("cert_store_stats", {})
        return step["ok"] and all(got.get(k) == v for k, v in exp.items())
    return False


def first_mismatch(steps):
    for s in steps:
        if not step_meets_expectation(s):
            return s
    return None


def first_difference(a_steps, b_steps):
    if len(a_steps) != len(b_steps):
        return "%d steps without the shim, %d with it" % (len(a_steps), len(b_steps))
    for a, b in zip(a_steps, b_steps):
        if a != b:
            return "step %r: without %s | with %s" % (a["step"], json.dumps(a, sort_keys=True),
                                                      json.dumps(b, sort_keys=True))
    return None


def check_baseline(rep, tag, base):
    res = base["result"]
    if not rep.check("%s without shim: exit 0 and JSON result" % tag,
                     base["rc"] == 0 and res is not None,
                     "rc=%s stderr=%s" % (base["rc"], base["stderr"][-2000:])):
        return False
    bad = first_mismatch(res["steps"])
    rep.check("%s without shim: %d steps as expected" % (tag, len(res["steps"])), bad is None,
              json.dumps(bad, sort_keys=True))
    want = res["handshakes"]
    rep.check("%s without shim: server saw %d ok / %d failed handshakes" %
              (tag, want["ok"], want["failed"]), base["handshakes"] == want,
              "saw %s" % base["handshakes"])
    return True


def check_parity(rep, tag, base, shim):
    res = shim["result"]
    if not rep.check("%s with shim: exit 0 and JSON result" % tag,
                     shim["rc"] == 0 and res is not None,
                     "rc=%s stderr=%s" % (shim["rc"], shim["stderr"][-2000:])):
        return False
    diff = first_difference(base["result"]["steps"], res["steps"])
    rep.check("%s with shim: outcomes identical to without" % tag, diff is None, diff or "")
    rep.check("%s with shim: same stderr as without" % tag, shim["stderr"] == base["stderr"],
              "with shim: %r" % shim["stderr"][-2000:])
    rep.check("%s with shim: same handshakes at the server" % tag,
              shim["handshakes"] == base["handshakes"],
              "without %s, with %s" % (base["handshakes"], shim["handshakes"]))
    return True


def load_stats(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f), None
    except (OSError, ValueError) as e:
        return None, str(e)


def check_stats(rep, tag, stats_path, expect):
    st, err = load_stats(stats_path)
    if not rep.check("%s stats: %s is valid JSON" % (tag, os.path.basename(stats_path)),
                     st is not None, err or ""):
        return
    missing = [k for k in STATS_KEYS if k not in st]
    rep.check("%s stats: all keys present" % tag, not missing, "missing %s" % missing)
    req = st.get("ca_loads_requested", -1)
    perf = st.get("ca_loads_performed", -1)
    avoided = st.get("ca_loads_avoided", -1)
    passthrough = st.get("ca_loads_passthrough", -1)
    summary = "requested=%s performed=%s avoided=%s passthrough=%s" % (req, perf, avoided, passthrough)
    rep.check("%s stats: requested == performed + avoided + passthrough (%s)" % (tag, summary),
              req == perf + avoided + passthrough)
    if "distinct_bundles" in expect:
        k = expect["distinct_bundles"]
        rep.check("%s stats: avoided == requested - %d distinct bundles, no passthrough" % (tag, k),
                  avoided == req - k and passthrough == 0, summary)
        rep.check("%s stats: avoided > 0" % tag, avoided > 0, summary)
        rep.check("%s stats: %d bundles listed" % (tag, k), len(st.get("bundles", [])) == k,
                  json.dumps([b.get("path") for b in st.get("bundles", [])]))
    if "min_avoided" in expect:
        rep.check("%s stats: avoided >= %d" % (tag, expect["min_avoided"]),
                  avoided >= expect["min_avoided"], summary)
    if expect.get("all_passthrough"):
        rep.check("%s stats: every load passed through, none cached" % tag,
                  req > 0 and passthrough == req and avoided == 0 and perf == 0, summary)


# The heap a load keeps, measured by glibc in a plain process (no other
# allocator, one thread: the only place mallinfo is safe), against the
# shim's bytes_avoided_estimate per avoided load of the same bundle.
HEAP_PROBE = r"""
import ctypes, gc, json, ssl, sys
gc.disable()
fields = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd",
          "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
class Info(ctypes.Structure):
    _fields_ = fields
libc = ctypes.CDLL(None)
if hasattr(libc, "mallinfo2"):
    probe = libc.mallinfo2
else:  # glibc < 2.33: int fields, enough for one bundle
    class Info(ctypes.Structure):  # noqa: F811
        _fields_ = [(n, ctypes.c_int) for n, _ in fields]
    probe = libc.mallinfo
probe.restype = Info
def heap():
    m = probe()
    return m.uordblks + m.hblkhd
keep, deltas = [], []
for _ in range(int(sys.argv[2])):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    h0 = heap()
    ctx.load_verify_locations(sys.argv[1])
    deltas.append(heap() - h0)
    keep.append(ctx)
print(json.dumps(sorted(deltas)[len(deltas) // 2]))
"""
HEAP_LOADS = 7
HEAP_TOLERANCE = (0.75, 1.33)


def check_heap_estimate(rep, tag, exe, preload, tmp):
    bundle = pki.SYSTEM_BUNDLE
    argv = [exe, "-c", HEAP_PROBE, bundle, str(HEAP_LOADS)]
    plain = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=clean_env())
    if not rep.check("%s heap probe without shim runs" % tag, plain.returncode == 0,
                     plain.stderr[-2000:]):
        return
    measured = json.loads(plain.stdout)
    env = clean_env()
    env["LD_PRELOAD"] = preload
    env["TRUSTCACHE_STATS"] = os.path.join(tmp, "heap-%s.json" % re.sub(r"\W+", "_", tag))
    shim = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    st, err = load_stats(env["TRUSTCACHE_STATS"])
    if not rep.check("%s heap probe with shim runs and writes stats" % tag,
                     shim.returncode == 0 and st is not None, err or shim.stderr[-2000:]):
        return
    avoided = st.get("ca_loads_avoided", 0)
    if not rep.check("%s heap probe: %d loads avoided" % (tag, HEAP_LOADS - 1),
                     avoided == HEAP_LOADS - 1, "avoided=%s" % avoided):
        return
    estimate = st["bytes_avoided_estimate"] / avoided
    ratio = estimate / measured if measured > 0 else float("inf")
    lo, hi = HEAP_TOLERANCE
    rep.check("%s heap estimate per load %.0f KiB vs %.0f KiB measured (%.2fx, within %.2f-%.2f)"
              % (tag, estimate / 1024, measured / 1024, ratio, lo, hi), lo <= ratio <= hi)


def run_interpreter(rep, interp, preload, fix, server, tmp):
    info, err = interpreters.describe(interp, env=clean_env())
    if info is None:
        rep.skip(interp, "cannot run it (%s)" % err)
        return None
    print("# %s -> %s: Python %s, %s, urllib3 %s, requests %s" %
          (interp, info["exe"], info["version"], info["openssl"],
           info["modules"]["urllib3"], info["modules"]["requests"]))
    for name, count in SCENARIOS:
        tag = "[%s %s] %s" % (os.path.basename(info["exe"]), info["version"], name)
        work = os.path.join(tmp, "%s-%s" % (info["version"], name))
        base = run_scenario(info["exe"], name, count, fix, server, os.path.join(work, "plain"))
        if base["result"] is not None and "skip" in base["result"]:
            rep.skip(tag, base["result"]["skip"])
            continue
        if not check_baseline(rep, tag, base):
            continue
        stats_path = os.path.join(work, "stats.json")
        shim_run = run_scenario(info["exe"], name, count, fix, server, os.path.join(work, "shim"),
                                preload=preload, stats_path=stats_path)
        if check_parity(rep, tag, base, shim_run):
            check_stats(rep, tag, stats_path, base["result"]["stats"])
    tag = "[%s %s]" % (os.path.basename(info["exe"]), info["version"])
    check_heap_estimate(rep, tag, info["exe"], preload, tmp)
    return os.path.realpath(info["exe"])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shim", required=True, help="path to libtrustcache.so")
    p.add_argument("--python", action="append", required=True,
                   help="interpreter to test (repeatable)")
    p.add_argument("--preload", default=None,
                   help="full LD_PRELOAD value for the shim runs (default: the shim), "
                        "e.g. to put a sanitizer runtime first")
    args = p.parse_args()
    shim = os.path.abspath(args.shim)
    preload = args.preload or shim
    rep = Report()
    if not rep.check("shim library exists: %s" % shim, os.path.isfile(shim)):
        print("%d passed, %d failed" % (rep.passed, rep.failed))
        return 1
    with tempfile.TemporaryDirectory(prefix="tc-python-") as tmp:
        fix = pki.make_test_pki(tmp)
        with https_server.HTTPSServer(fix.server.cert, fix.server.key) as server:
            done = set()
            for interp in args.python:
                info, _ = interpreters.describe(interp, env=clean_env())
                if info is not None and os.path.realpath(info["exe"]) in done:
                    print("# %s is %s, already tested" % (interp, info["exe"]))
                    continue
                exe = run_interpreter(rep, interp, preload, fix, server, tmp)
                if exe:
                    done.add(exe)
    print("%d passed, %d failed" % (rep.passed, rep.failed))
    return 0 if rep.failed == 0 and rep.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
