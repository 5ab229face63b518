"""One client scenario per process: run it, print what happened as JSON.

The driver (run_checks.py) runs every scenario twice, once plainly and once
with the shim preloaded, and compares the two JSON documents.  So this file
records only what must be identical in both runs (success, exception type,
verify code and message, store contents) and never timings, addresses or
object ids.

Each step also carries the outcome it must have ("expect"); the driver checks
that on the plain run, so a broken fixture cannot pass by failing the same way
twice.

Output: {"skip": REASON} or
        {"steps": [...], "stats": {...what the shim's counters must show...},
         "handshakes": {"ok": n, "failed": m}}

This file must run on every interpreter under test, with nothing but the
standard library (plus requests/urllib3 in the scenarios about them).
"""

import argparse
import hashlib
import json
import os
import socket
import ssl
import sys
import tempfile


class Skip(Exception):
    """The interpreter lacks a module this scenario is about."""


def import_or_skip(name):
    try:
        return __import__(name)
    except ImportError as e:
        raise Skip("%s: cannot import %s (%s)" % (sys.executable, name, e))


def import_time_loads(requests):
    """CA files requests itself loaded when imported.

    requests 2.32.0 to 2.32.4 build one module-level context at import and
    load their default bundle into it; those loads show in the shim's
    counters as one more distinct bundle."""
    if getattr(requests.adapters, "_preloaded_ssl_context", None) is not None:
        return [requests.adapters.DEFAULT_CA_BUNDLE_PATH]
    return []


def qualname(cls):
    return "%s.%s" % (cls.__module__, cls.__qualname__)


def find_verify_error(exc):
    """The ssl.SSLCertVerificationError somewhere inside a wrapped exception.

    requests wraps urllib3's MaxRetryError, which wraps urllib3's SSLError,
    which wraps the ssl module's exception; the chain differs between
    versions, so walk every link."""
    seen, todo = set(), [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen or not isinstance(e, BaseException):
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return e
        todo.extend([e.__cause__, e.__context__, getattr(e, "reason", None)])
        todo.extend(a for a in e.args if isinstance(a, BaseException))
    return None


def describe_exception(exc):
    out = {"ok": False, "exc": qualname(type(exc))}
    verr = find_verify_error(exc)
    if verr is not None:
        out["verify_code"] = verr.verify_code
        out["verify_message"] = verr.verify_message
    if isinstance(exc, (ssl.SSLError, OSError)) and verr is None:
        # Load errors: the library/reason/errno pair is the observable
        # contract, and str() carries the OpenSSL reason text.
        out["errno"] = exc.errno
        out["library"] = getattr(exc, "library", None)
        out["reason"] = getattr(exc, "reason", None)
        out["str"] = str(exc)
    return out


def attempt(step, expect, fn):
    """Run FN; record its outcome (or its exception) under STEP."""
    try:
        result = fn()
        out = {"ok": True}
        if result is not None:
            out["result"] = result
    except Exception as e:  # the exception itself is the observation
        out = describe_exception(e)
    out["step"] = step
    out["expect"] = expect
    return out


# ---------------------------------------------------------------- clients

def raw_get(ctx, cfg):
    """One HTTPS GET over a fresh socket with the ssl module alone."""
    with socket.create_connection(("127.0.0.1", cfg.port), timeout=10) as sock:
        with ctx.wrap_socket(sock, server_hostname="localhost") as tls:
            tls.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = tls.recv(4096)
                if not chunk:
                    break
                data += chunk
    return {"status": int(data.split(b" ", 2)[1])}


def url(cfg):
    return "https://127.0.0.1:%d/" % cfg.port


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- scenarios

def sc_verify_locations(cfg):
    """create_default_context() + load_verify_locations(test CA), looped;
    then a fresh default context must still reject the server."""
    steps = []
    for i in range(cfg.count):
        def run():
            ctx = ssl.create_default_context()
            ctx.load_verify_locations(cafile=cfg.ca)
            return raw_get(ctx, cfg)
        steps.append(attempt("default+cafile #%d" % i, "ok", run))
    steps.append(attempt("default only, after", "verify_fail",
                         lambda: raw_get(ssl.create_default_context(), cfg)))
    return {"steps": steps, "stats": {"distinct_bundles": 2},
            "handshakes": {"ok": cfg.count, "failed": 1}}


def sc_default_untrusted(cfg):
    """The system roots alone must not validate the test server."""
    steps = [attempt("default #%d" % i, "verify_fail",
                     lambda: raw_get(ssl.create_default_context(), cfg))
             for i in range(cfg.count)]
    return {"steps": steps, "stats": {"distinct_bundles": 1},
            "handshakes": {"ok": 0, "failed": cfg.count}}


def sc_urllib3_pool(cfg):
    """One PoolManager(ca_certs=bundle); the server closes every connection,
    so each request reconnects and urllib3 builds a new context."""
    urllib3 = import_or_skip("urllib3")
    pm = urllib3.PoolManager(cert_reqs="CERT_REQUIRED", ca_certs=cfg.bundle)

    def get():
        r = pm.request("GET", url(cfg), retries=False, timeout=10)
        return {"status": r.status}
    steps = [attempt("pool request #%d" % i, "ok", get) for i in range(cfg.count)]
    pm.clear()
    return {"steps": steps, "stats": {"distinct_bundles": 1},
            "handshakes": {"ok": cfg.count, "failed": 0}}


def sc_requests_loop(cfg):
    """requests.get(verify=bundle) without a Session: a new pool, connection
    and context per call."""
    requests = import_or_skip("requests")

    def get():
        return {"status": requests.get(url(cfg), verify=cfg.bundle, timeout=10).status_code}
    steps = [attempt("requests.get #%d" % i, "ok", get) for i in range(cfg.count)]
    return {"steps": steps, "stats": {"distinct_bundles": 1 + len(import_time_loads(requests))},
            "handshakes": {"ok": cfg.count, "failed": 0}}


def sc_requests_wrong_ca(cfg):
    """verify=<unrelated CA> must fail with SSLError every time, interleaved
    with successful calls using the right bundle (a cache keyed wrongly
    would let one answer leak into the other)."""
    requests = import_or_skip("requests")
    plan = ["wrong", "bundle", "wrong", "bundle", "wrong"]
    steps = []
    for i, which in enumerate(plan):
        cafile = cfg.wrong_ca if which == "wrong" else cfg.bundle

        def get(cafile=cafile):
            return {"status": requests.get(url(cfg), verify=cafile, timeout=10).status_code}
        steps.append(attempt("requests.get verify=%s #%d" % (which, i),
                             "verify_fail" if which == "wrong" else "ok", get))
    return {"steps": steps, "stats": {"distinct_bundles": 2 + len(import_time_loads(requests))},
            "handshakes": {"ok": plan.count("bundle"), "failed": plan.count("wrong")}}


def sc_requests_threads(cfg):
    """Several threads calling requests.get at once, each alternating the
    right bundle and the unrelated CA: every call's outcome depends only on
    its own verify= file, however the loads interleave."""
    import threading
    requests = import_or_skip("requests")
    threads, per_thread = 4, cfg.count
    results = {}

    def worker(t):
        for i in range(per_thread):
            wrong = (t + i) % 2 == 1
            cafile = cfg.wrong_ca if wrong else cfg.bundle

            def get(cafile=cafile):
                return {"status": requests.get(url(cfg), verify=cafile, timeout=10).status_code}
            results[(t, i)] = attempt("thread %d call %d verify=%s" % (t, i, "wrong" if wrong else "bundle"),
                                      "verify_fail" if wrong else "ok", get)
    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    steps = [results[k] for k in sorted(results)]
    n_fail = sum(1 for s in steps if s["expect"] == "verify_fail")
    distinct = 2 + len(import_time_loads(requests))
    # Concurrent first loads of one file may each parse it, so allow one
    # parse per thread and bundle; every later load must be served.
    return {"steps": steps,
            "stats": {"min_avoided": threads * per_thread - threads * distinct},
            "handshakes": {"ok": len(steps) - n_fail, "failed": n_fail}}


def sc_cadata(cfg):
    """cadata= adds the test CA with X509_STORE_add_cert on top of the
    (cached) default roots; the CA must stay in that one context."""
    pem = read(cfg.ca).decode("ascii")
    der = ssl.PEM_cert_to_DER_cert(pem)
    steps = []
    for i in range(cfg.count):
        data = pem if i % 2 == 0 else der

        def run(data=data):
            ctx = ssl.create_default_context()
            ctx.load_verify_locations(cadata=data)
            return raw_get(ctx, cfg)
        steps.append(attempt("default+cadata(%s) #%d" % ("pem" if i % 2 == 0 else "der", i),
                             "ok", run))

    def cadata_only():
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cadata=pem)
        return raw_get(ctx, cfg)
    steps.append(attempt("bare+cadata", "ok", cadata_only))
    steps.append(attempt("default only, after", "verify_fail",
                         lambda: raw_get(ssl.create_default_context(), cfg)))
    return {"steps": steps, "stats": {"distinct_bundles": 1},
            "handshakes": {"ok": cfg.count + 1, "failed": 1}}


def sc_ssl_cert_file_env(cfg):
    """SSL_CERT_FILE is read by OpenSSL on every default-paths load, so
    changing it between contexts must change what the next one trusts."""
    plan = [(cfg.bundle, "ok"), (cfg.bundle, "ok"),
            (cfg.system_bundle, "verify_fail"), (cfg.system_bundle, "verify_fail"),
            (cfg.bundle, "ok"), (None, "verify_fail")]
    steps = []
    for i, (path, expect) in enumerate(plan):
        if path is None:
            os.environ.pop("SSL_CERT_FILE", None)
        else:
            os.environ["SSL_CERT_FILE"] = path
        label = "unset" if path is None else ("bundle" if path == cfg.bundle else "system")
        steps.append(attempt("SSL_CERT_FILE=%s #%d" % (label, i), expect,
                             lambda: raw_get(ssl.create_default_context(), cfg)))
    n_ok = sum(1 for _, e in plan if e == "ok")
    # bundle, the system file, and OpenSSL's default cert.pem (which may or
    # may not count as the same bundle as the system file it links to).
    return {"steps": steps, "stats": {"min_avoided": len(plan) - 3},
            "handshakes": {"ok": n_ok, "failed": len(plan) - n_ok}}


def store_view(ctx):
    """What Python exposes of a context's store."""
    binary = ctx.get_ca_certs(binary_form=True)
    digest = hashlib.sha256(b"".join(hashlib.sha256(c).digest() for c in binary)).hexdigest()
    decoded = json.dumps(ctx.get_ca_certs(), sort_keys=True, default=str)
    return {"cert_store_stats": ctx.cert_store_stats(),
            "ca_certs_count": len(binary),
            "ca_certs_sha256_ordered": digest,
            "ca_certs_sha256_sorted": hashlib.sha256(b"".join(sorted(binary))).hexdigest(),
            "ca_certs_decoded_sha256": hashlib.sha256(decoded.encode()).hexdigest()}


def count_pem_certs(path):
    return read(path).count(b"-----BEGIN CERTIFICATE-----")


def sc_store_stats(cfg):
    """get_ca_certs()/cert_store_stats() for default, bundle and
    default+CA contexts; the store must hold exactly the file's CAs."""
    paths = ssl.get_default_verify_paths()
    n_default = count_pem_certs(paths.cafile or paths.openssl_cafile)  # cafile: SSL_CERT_FILE
    n_bundle = count_pem_certs(cfg.bundle)
    steps = []
    for i in range(3):
        steps.append(attempt("default #%d" % i, {"x509_ca": n_default},
                             lambda: store_view(ssl.create_default_context())))
    for i in range(2):
        def bundle_ctx():
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cafile=cfg.bundle)
            return store_view(ctx)
        steps.append(attempt("bare+bundle #%d" % i, {"x509_ca": n_bundle}, bundle_ctx))

    def default_plus_ca():
        ctx = ssl.create_default_context()
        ctx.load_verify_locations(cafile=cfg.ca)
        return store_view(ctx)
    steps.append(attempt("default+cafile", {"x509_ca": n_default + 1}, default_plus_ca))
    return {"steps": steps, "stats": {"distinct_bundles": 3},
            "handshakes": {"ok": 0, "failed": 0}}


def write_file(path, data, in_place=True):
    """Replace PATH's content, in place (same inode) or by rename."""
    if in_place:
        with open(path, "wb") as f:
            f.write(data)
    else:
        tmp = path + ".new"
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, path)


def sc_file_changes(cfg):
    """A bundle rewritten on disk is honoured on the next load: CA added,
    removed (in place), re-added (by rename), and finally removed with the
    file's size, inode and mtime all kept identical."""
    system = read(cfg.system_bundle)
    ca_pem = read(cfg.ca)
    with_ca = system + ca_pem
    # Same length as with_ca, but the CA's bytes are text outside any PEM
    # block, which the PEM reader skips.
    filler = (b"# " + b"x" * (len(ca_pem) - 3) + b"\n")[:len(ca_pem)]
    without_ca_same_size = system + filler
    assert len(without_ca_same_size) == len(with_ca)

    path = os.path.join(cfg.workdir, "changing-bundle.pem")
    versions = [("with CA", with_ca, True, "ok"),
                ("CA removed in place", system, True, "verify_fail"),
                ("CA re-added by rename", with_ca, False, "ok"),
                ("CA removed, same size/inode/mtime", without_ca_same_size, True, "verify_fail")]
    steps = []
    mtime = None
    for label, data, in_place, expect in versions:
        write_file(path, data, in_place)
        st = os.stat(path)
        if label.endswith("mtime"):
            os.utime(path, ns=(mtime, mtime))
        mtime = st.st_mtime_ns
        for j in range(2):
            def run():
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.load_verify_locations(cafile=path)
                return raw_get(ctx, cfg)
            steps.append(attempt("%s, load %d" % (label, j), expect, run))
    n_ok = 2 * sum(1 for v in versions if v[3] == "ok")
    # Each version's second load finds the file unchanged: a cache must
    # serve it, so at least one avoided load per version.
    return {"steps": steps, "stats": {"min_avoided": len(versions)},
            "handshakes": {"ok": n_ok, "failed": 2 * len(versions) - n_ok}}


def sc_bad_files(cfg):
    """Missing, empty, corrupt and DER files fail exactly as without the
    shim (same exception, errno, library, reason), and every one of those
    loads goes to the real OpenSSL function."""
    d = cfg.workdir
    ca_pem = read(cfg.ca)
    files = {
        "missing": os.path.join(d, "does-not-exist.pem"),
        "empty": os.path.join(d, "empty.pem"),
        "corrupt": os.path.join(d, "corrupt.pem"),
        "der": os.path.join(d, "ca.der"),
    }
    write_file(files["empty"], b"")
    body_start = ca_pem.index(b"\n") + 1
    write_file(files["corrupt"], ca_pem[:body_start + 10] + b"!!!!" + ca_pem[body_start + 14:])
    write_file(files["der"], ssl.PEM_cert_to_DER_cert(ca_pem.decode("ascii")))
    steps = []
    for rep in range(2):
        for name, path in sorted(files.items()):
            def run(path=path):
                ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cafile=path)
            steps.append(attempt("%s #%d" % (name, rep), "error", run))
    return {"steps": steps, "stats": {"all_passthrough": True},
            "handshakes": {"ok": 0, "failed": 0}}


SCENARIOS = {
    "verify_locations": sc_verify_locations,
    "default_untrusted": sc_default_untrusted,
    "urllib3_pool": sc_urllib3_pool,
    "requests_loop": sc_requests_loop,
    "requests_wrong_ca": sc_requests_wrong_ca,
    "requests_threads": sc_requests_threads,
    "cadata": sc_cadata,
    "ssl_cert_file_env": sc_ssl_cert_file_env,
    "store_stats": sc_store_stats,
    "file_changes": sc_file_changes,
    "bad_files": sc_bad_files,
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("scenario", choices=sorted(SCENARIOS))
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--ca", required=True)
    p.add_argument("--wrong-ca", required=True)
    p.add_argument("--bundle", required=True)
    p.add_argument("--system-bundle", required=True)
    p.add_argument("--count", type=int, default=5)
    p.add_argument("--workdir", default=None)
    cfg = p.parse_args()
    if cfg.workdir is None:
        cfg.workdir = tempfile.mkdtemp()
    os.makedirs(cfg.workdir, exist_ok=True)
    try:
        out = SCENARIOS[cfg.scenario](cfg)
    except Skip as e:
        out = {"skip": str(e)}
    sys.stdout.write(json.dumps(out, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
