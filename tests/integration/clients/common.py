"""Shared by the client tests: the report, paths, fixtures, running."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

import https_server  # noqa: E402,F401
import pki  # noqa: E402,F401
from report import Report  # noqa: E402,F401

RUNNER = os.path.join(TOP, "tools", "trustcache-run")
STATS_INVARIANT = ("ca_loads_requested", "ca_loads_performed", "ca_loads_avoided",
                   "ca_loads_passthrough")


class Context:
    """Paths and lazily made fixtures, shared by the tests of one run."""

    def __init__(self, build):
        self.build = build
        build_dir = build if os.path.isabs(build) else os.path.join(TOP, build)
        self.shim = os.path.join(build_dir, "libtrustcache.so")
        self.tmp = tempfile.mkdtemp(prefix="tc-clients-")
        self._pki = None
        self._server = None

    @property
    def pki(self):
        if self._pki is None:
            d = os.path.join(self.tmp, "pki")
            os.makedirs(d)
            self._pki = pki.make_test_pki(d)
        return self._pki

    @property
    def server(self):
        """A local HTTPS server for the whole run (stopped by close())."""
        if self._server is None:
            self._server = https_server.HTTPSServer(self.pki.server.cert,
                                                    self.pki.server.key).start()
        return self._server

    def path(self, *parts):
        p = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def close(self):
        if self._server is not None:
            self._server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("TRUSTCACHE_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


def run(argv, env=None, timeout=120, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env=clean_env(env), **kw)


def make(ctx, *targets, timeout=900, **variables):
    argv = ["make", "--no-print-directory", "-C", TOP, "BUILD=%s" % ctx.build]
    argv += ["%s=%s" % kv for kv in variables.items()] + list(targets)
    return run(argv, timeout=timeout)


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def check_invariant(rep, label, st):
    """requested == performed + avoided + passthrough."""
    if not st:
        return rep.check("%s: stats written" % label, False, "no stats")
    req, perf, avoided, passthrough = (st.get(k) for k in STATS_INVARIANT)
    return rep.check("%s: requested %s == performed %s + avoided %s + passthrough %s"
                     % (label, req, perf, avoided, passthrough),
                     None not in (req, perf, avoided, passthrough)
                     and req == perf + avoided + passthrough)
