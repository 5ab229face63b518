"""What every example driver shares: arguments, running a client without
and with the shim, reading the shim's stats, printing them, and writing a
JSON summary that the integration tests check.

Clients run with the shim through tools/trustcache-run, exactly as a
container entrypoint would start them:

    trustcache-run --stats FILE -- client args...
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "lib"))

import https_server  # noqa: E402,F401 (re-exported for the drivers)
import interpreters  # noqa: E402,F401
import pki  # noqa: E402,F401


def arg_parser(doc, count=20):
    p = argparse.ArgumentParser(description=doc.strip().splitlines()[0])
    p.add_argument("--shim", required=True, help="libtrustcache.so")
    p.add_argument("--runner", required=True, help="tools/trustcache-run")
    p.add_argument("--count", type=int, default=count)
    p.add_argument("--json", help="also write the results here (for the tests)")
    return p


def clean_env(extra=None):
    """The caller's environment without any preload or trustcache setting,
    so the 'without' runs really are without."""
    env = {k: v for k, v in os.environ.items()
           if k != "LD_PRELOAD" and not k.startswith("TRUSTCACHE_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(extra or {})
    return env


class Runner:
    """Runs a client command plainly or through trustcache-run."""

    def __init__(self, args, workdir):
        self.shim = os.path.abspath(args.shim)
        self.runner = os.path.abspath(args.runner)
        self.workdir = workdir
        self.n = 0

    def argv(self, cmd, shim, stats_path=None, extra_opts=()):
        if not shim:
            return list(cmd)
        return [self.runner, "--stats", stats_path, *extra_opts, "--", *cmd]

    def run(self, cmd, shim, env=None, timeout=300, extra_opts=(), **kw):
        """CompletedProcess, with .stats (dict or None) and .stats_path."""
        self.n += 1
        stats_path = os.path.join(self.workdir, "stats-%d.json" % self.n) if shim else None
        full_env = clean_env(env)
        if shim:
            full_env["TRUSTCACHE_LIBRARY"] = self.shim
        proc = subprocess.run(self.argv(cmd, shim, stats_path, extra_opts), env=full_env,
                              capture_output=True, text=True, timeout=timeout, **kw)
        proc.stats_path = stats_path
        proc.stats = read_stats(stats_path) if shim else None
        return proc


def read_stats(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError, TypeError):
        return None


def loads_summary(st):
    """One line from the shim's counters."""
    if not st:
        return "no stats written"
    return ("%d CA loads requested: %d parsed, %d served from cache, %d passed through"
            % (st["ca_loads_requested"], st["ca_loads_performed"], st["ca_loads_avoided"],
               st["ca_loads_passthrough"]))


def print_stats(st, indent="  "):
    """The counters that tell the story, then one line per bundle."""
    if not st:
        print(indent + "(the shim wrote no stats)")
        return
    print(indent + loads_summary(st))
    if st.get("passthrough_reasons"):
        print(indent + "passthrough reasons: %s" % ", ".join(
            "%s=%d" % kv for kv in sorted(st["passthrough_reasons"].items())))
    print(indent + "contexts: %d created, %d freed, %d live at exit" % (
        st["contexts_created"], st["contexts_freed"], st["contexts_live"]))
    print(indent + "estimated savings: %.1f MiB of heap, %.0f ms of parsing" % (
        st["bytes_avoided_estimate"] / 1048576.0, st["parse_ns_avoided_estimate"] / 1e6))
    for b in st.get("bundles", []):
        print(indent + "bundle %s: %d certs, %d parsed, %d served" % (
            b["path"], b["certs"], b["loads_performed"], b["loads_avoided"]))


def stats_brief(st):
    """The counters the tests check, or None."""
    if not st:
        return None
    keys = ("ca_loads_requested", "ca_loads_performed", "ca_loads_avoided",
            "ca_loads_passthrough", "passthrough_reasons", "contexts_created",
            "contexts_freed", "contexts_live")
    out = {k: st.get(k) for k in keys}
    for k in ("contexts_live_peak", "contexts_leak_suspected"):  # newer shims only
        if k in st:
            out[k] = st[k]
    out["bundles"] = [{k: b.get(k) for k in ("path", "certs", "loads_performed", "loads_avoided")}
                      for b in st.get("bundles", [])]
    return out


def write_json(path, results):
    if path:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=2, sort_keys=True)
            f.write("\n")


def rss_kib(pid="self"):
    with open("/proc/%s/status" % pid, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def mib(kib):
    return "%.1f MiB" % (kib / 1024.0)


def tempfile_dir(prefix):
    """A temporary directory removed afterwards (fixtures, stats files)."""
    return tempfile.TemporaryDirectory(prefix=prefix)


def first_output_line(argv):
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=clean_env())
    except OSError as e:
        return "(%s)" % e
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else "(no output)"
