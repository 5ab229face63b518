"""A real client, in C, with and without the shim: same verify results, fewer parses.

This suite needs no Python ssl module of any particular OpenSSL: Python only
drives processes.  So it also runs where the system's Python links another
OpenSSL than the one under test (Debian sid with experimental's 4.0).

  - `openssl s_client -verify_return_error` against a local `openssl s_server`
    with a throwaway CA: -CAfile with the right CA and with an unrelated one,
    -CApath (a hashed directory, looked up lazily during the handshake), and
    the default paths (SSL_CERT_FILE).  The verify result and exit status with
    the shim must be those without it, and the shim must have been active.
  - handshake_loop.c: N contexts loading the default paths, one handshake
    each, naming the host with SSL_set1_dnsname / SSL_set1_ipaddr on 4.0 (the
    older calls before): every connection verifies, with the shim exactly as
    without, the shim parses once and avoids N-1 loads, and the per-host stats
    know the host from that call.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))

import pki  # noqa: E402
from report import Report  # noqa: E402

LOOPS = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """openssl s_server on 127.0.0.1, until the context ends."""

    def __init__(self, openssl, cert, key):
        self.proc = None
        for _ in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [openssl, "s_server", "-accept", "127.0.0.1:%d" % self.port, "-cert", cert,
                 "-key", key, "-quiet"], stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=plain_env())
            if self.wait_ready():
                return
            self.stop()
        raise SystemExit("check-cli: openssl s_server did not start")

    def wait_ready(self):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def plain_env():
    return {k: v for k, v in os.environ.items()
            if k not in ("LD_PRELOAD", "SSL_CERT_FILE", "SSL_CERT_DIR")
            and not k.startswith("TRUSTCACHE_")}


def run(argv, shim=None, stats=None, extra_env=None):
    env = plain_env()
    env.update(extra_env or {})
    if shim:
        env["LD_PRELOAD"] = shim
        env["TRUSTCACHE_STATS"] = stats
    proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          env=env, timeout=120)
    return proc


def read_stats(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"error": str(e)}


def verify_line(out):
    m = re.findall(r"Verify return code: (\d+) \(([^)]*)\)", out)
    return m[-1] if m else None


def s_client_cases(report, args, fix, port, tmp):
    hashed = os.path.join(tmp, "hashed")
    os.mkdir(hashed)
    with open(fix.ca.cert, encoding="ascii") as src, \
            open(os.path.join(hashed, "ca.pem"), "w", encoding="ascii") as dst:
        dst.write(src.read())
    subprocess.run([args.openssl, "rehash", hashed], check=True, env=plain_env())
    base = [args.openssl, "s_client", "-connect", "127.0.0.1:%d" % port,
            "-verify_return_error", "-verify_hostname", "localhost"]
    # The last field: CA loads the shim must see.  A hashed directory alone is
    # looked up lazily, and whether the CLI also asks for the default file
    # then differs between releases.
    cases = [
        ("s_client -CAfile <the server's CA>", ["-CAfile", fix.ca.cert], {}, "0", 1),
        ("s_client -CAfile <an unrelated CA>", ["-CAfile", fix.wrong_ca.cert], {}, None, 1),
        ("s_client -CApath <hashed dir>", ["-CApath", hashed], {}, "0", 0),
        ("s_client default paths (SSL_CERT_FILE)", [], {"SSL_CERT_FILE": fix.ca.cert}, "0", 1),
    ]
    for i, (label, extra, env, want, loads) in enumerate(cases):
        plain = run(base + extra, extra_env=env)
        stats_path = os.path.join(tmp, "s_client-%d.json" % i)
        shim = run(base + extra, shim=args.shim, stats=stats_path, extra_env=env)
        got = (verify_line(plain.stdout), plain.returncode)
        report.check("%s: without the shim: verify %s" % (label, got[0]),
                     (want is None and got[1] != 0) or (got[0] and got[0][0] == want and got[1] == 0),
                     plain.stdout[-1500:] + plain.stderr[-1500:])
        report.equal("%s: same verify result and exit status with the shim" % label,
                     (verify_line(shim.stdout), shim.returncode), got)
        st = read_stats(stats_path)
        shim_info = st.get("shim", {})
        report.check("%s: shim active (%s, mode %s, loads %s requested, %s passed through)" % (
            label, shim_info.get("openssl_version"), shim_info.get("mode"),
            st.get("ca_loads_requested"), st.get("ca_loads_passthrough")),
            shim_info.get("mode") == "on" and st.get("ca_loads_requested", 0) >= loads
            and st.get("ca_loads_passthrough") == 0, st)


def loop_cases(report, args, fix, port, tmp):
    for how, host in (("dns", "localhost"), ("ip", "127.0.0.1")):
        argv = [args.loop, str(port), str(LOOPS), how]
        env = {"SSL_CERT_FILE": fix.ca.cert}
        plain = run(argv, extra_env=env)
        stats_path = os.path.join(tmp, "loop-%s.json" % how)
        shim = run(argv, shim=args.shim, stats=stats_path, extra_env=env)
        label = "handshake_loop %d contexts, host by %s" % (LOOPS, how)
        report.check("%s: every handshake verifies without the shim" % label,
                     plain.returncode == 0 and plain.stdout.count(": ok") == LOOPS,
                     plain.stdout[-1500:] + plain.stderr[-1500:])
        report.equal("%s: same results with the shim" % label,
                     (shim.stdout, shim.returncode), (plain.stdout, plain.returncode))
        st = read_stats(stats_path)
        report.equal("%s: loads requested / performed / avoided" % label,
                     (st.get("ca_loads_requested"), st.get("ca_loads_performed"),
                      st.get("ca_loads_avoided")), (LOOPS, 1, LOOPS - 1))
        hosts = {h.get("host"): h for h in st.get("hosts", [])}
        report.equal("%s: per-host stats: connections for %s" % (label, host),
                     hosts.get(host, {}).get("connections"), LOOPS)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shim", required=True)
    p.add_argument("--loop", required=True, help="built tests/integration/cli/handshake_loop.c")
    p.add_argument("--openssl", default="openssl")
    args = p.parse_args()
    args.shim = os.path.abspath(args.shim)
    args.loop = os.path.abspath(args.loop)
    version = subprocess.run([args.openssl, "version"], capture_output=True, text=True,
                             env=plain_env()).stdout.strip()
    print("check-cli: %s" % version)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="tc-cli-") as tmp:
        fix = pki.make_test_pki(tmp)
        with Server(args.openssl, fix.server.cert, fix.server.key) as server:
            s_client_cases(report, args, fix, server.port, tmp)
            loop_cases(report, args, fix, server.port, tmp)
    print("%d passed, %d failed" % (report.passed, report.failed))
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
