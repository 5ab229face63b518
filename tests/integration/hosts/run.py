"""Per-host connection accounting, pool churn, leaks and the stats formats,
on real clients under the shim.

Python requests (every interpreter given that has it) and curl talk to local
HTTPS servers with a throwaway CA; each client runs in its own process with
LD_PRELOAD=<shim> and TRUSTCACHE_STATS set, and its dumps are checked:

  requests_loop   a requests call per URL over localhost and 127.0.0.1:
                  exact per-host counts, churn flagged (JSON, text, Prometheus)
  pooled_session  one Session on a keep-alive server: no churn
  shared_context  one Session given one SSLContext: many connections, one
                  context, no churn
  curl            one curl process fetching three URLs: its loads and hosts
  leak, no_leak   contexts lost in reference cycles under gc.disable(): live
                  contexts grow and are flagged; collected ones are not
  periodic        TRUSTCACHE_STATS_INTERVAL: no writer before the first TLS
                  use, then the file is rewritten while the process runs
  fork            a forked child gets its own writer, counters and file
  signal_*        TRUSTCACHE_STATS_SIGNAL=USR2: installed on first TLS use,
                  dumps, chains to a Python handler, survives SIG_IGN
  weird_bundle    a bundle path with quotes, backslash, newline, non-UTF-8
  stats_tool      tools/trustcache-stats merges per-pid dumps, reports churn,
                  fails clearly on bad input

Prometheus output is always checked by the parser here, and also by
`promtool check metrics` when promtool is installed (else: SKIP).
Ends with "N passed, M failed".
"""

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "lib"))

import https_server  # noqa: E402
import interpreters  # noqa: E402
import pki  # noqa: E402
from report import Report  # noqa: E402,F401

CLIENT = os.path.join(HERE, "client.py")
TIMEOUT = 180
COUNT = 25          # connections per host in the loops (>= the churn threshold of 20)
LEAKED = 150        # contexts leaked (> the leak threshold of 100)
CHURN_TAIL = " \u2014 each connection creates its own context; reuse one per host"


class KeepAliveHandler(https_server._Handler):  # noqa: SLF001 (test fixture)
    """The fixture server's handler without "Connection: close"."""

    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(https_server.BODY)))
        self.end_headers()
        self.wfile.write(https_server.BODY)


# ---------------------------------------------------------------- running

class Env:
    def __init__(self, args, work, fix, close_srv, keep_srv):
        self.args = args
        self.work = work
        self.fix = fix
        self.close_srv = close_srv
        self.keep_srv = keep_srv
        self.seq = 0

    def stats_template(self, name, ext="json"):
        self.seq += 1
        return os.path.join(self.work, "%s-%d-%%p.%s" % (name, self.seq, ext))

    def env(self, template, fmt=None, **extra):
        env = {k: v for k, v in os.environ.items()
               if k != "LD_PRELOAD" and not k.startswith("TRUSTCACHE_")}
        preload = " ".join(filter(None, [self.args.preload_first, self.args.shim]))
        env.update(LD_PRELOAD=preload, TRUSTCACHE_STATS=template, PYTHONDONTWRITEBYTECODE="1")
        if fmt:
            env["TRUSTCACHE_STATS_FORMAT"] = fmt
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def client(self, py, scenario, template, fmt=None, count=5, bundle=None, **extra):
        """Runs a client scenario; returns (proc, its JSON result or None)."""
        argv = [py, CLIENT, scenario, "--port", str(self.close_srv.port),
                "--keepalive-port", str(self.keep_srv.port),
                "--bundle", bundle or self.fix.bundle, "--count", str(count),
                "--stats-template", template]
        return run(argv, self.env(template, fmt, **extra))


def run(argv, env):
    try:
        proc = subprocess.run(argv, capture_output=True, env=env, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, None
    out = proc.stdout.decode(errors="replace").strip().splitlines()
    try:
        result = json.loads(out[-1]) if out else None
    except ValueError:
        result = None
    return proc, result


def dumps_of(template):
    """The dump files a run wrote (one per process), pid -> path."""
    pattern = template.replace("%p", "*")
    files = {}
    for path in glob.glob(pattern):
        m = re.search(r"(\d+)", path[len(pattern.split("*")[0]):])
        if m:
            files[int(m.group(1))] = path
    return files


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def only_dump(template):
    """The path of the single dump of a single-process run, or None."""
    files = dumps_of(template)
    return next(iter(files.values())) if len(files) == 1 else None


def proc_ok(rep, label, proc):
    if proc is None:
        return rep.check(label + ": client finished", False, "timed out")
    return rep.check(label + ": client exit 0", proc.returncode == 0,
                     proc.stderr.decode(errors="replace")[-2000:])


def hosts_of(doc):
    return {h["host"]: h for h in (doc or {}).get("hosts", [])}


# ---------------------------------------------------------------- Prometheus

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)')


def _unescape(v):
    return re.sub(r'\\([\\"n])', lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def parse_prom(text):
    """(samples {(name, ((label, value), ...)): float}, problems [str])."""
    samples, problems, typed, helped = {}, [], {}, set()
    for n, line in enumerate(text.split("\n"), 1):
        if not line:
            continue
        if line.startswith("# HELP "):
            helped.add(line.split(" ", 3)[2])
            continue
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in ("counter", "gauge"):
                problems.append("line %d: bad TYPE: %r" % (n, line))
            typed[parts[2]] = parts[3] if len(parts) == 4 else None
            continue
        m = _SAMPLE.match(line)
        if not m:
            problems.append("line %d: not a sample: %r" % (n, line))
            continue
        name, labels_text, value = m.groups()
        labels, rest = [], labels_text or ""
        while rest:
            lm = _LABEL.match(rest)
            if not lm:
                problems.append("line %d: bad labels: %r" % (n, labels_text))
                break
            labels.append((lm.group(1), _unescape(lm.group(2))))
            rest = rest[lm.end():]
        if name not in typed or name not in helped:
            problems.append("line %d: %s has no HELP/TYPE before it" % (n, name))
        if typed.get(name) == "counter" and not name.endswith("_total"):
            problems.append("line %d: counter %s does not end in _total" % (n, name))
        # Every sample names the writing process, so per-process files
        # in one textfile directory never collide; the pid is then dropped
        # from the key the checks look samples up by.
        if not labels or labels[0][0] != "pid" or not labels[0][1].isdigit():
            problems.append("line %d: %s has no pid label first" % (n, name))
        else:
            labels = labels[1:]
        key = (name, tuple(labels))
        if key in samples:
            problems.append("line %d: duplicate series %s" % (n, key))
        try:
            samples[key] = float(value)
        except ValueError:
            problems.append("line %d: bad value %r" % (n, value))
    return samples, problems


def check_prom(rep, label, path):
    """Parses (and, if installed, promtool-checks) a Prometheus dump."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        rep.check(label + ": readable UTF-8", False, e)
        return {}
    samples, problems = parse_prom(text)
    rep.check(label + ": exposition format (HELP, TYPE, labels, _total)", not problems,
              "; ".join(problems[:5]))
    promtool = shutil.which("promtool")
    if promtool:
        p = subprocess.run([promtool, "check", "metrics"], input=raw, capture_output=True)
        rep.check(label + ": promtool check metrics", p.returncode == 0,
                  (p.stdout + p.stderr).decode(errors="replace")[-1500:])
    else:
        rep.skip(label + ": promtool check metrics",
                 "promtool not installed (Debian package prometheus)")
    return samples


def prom_value(samples, name, **labels):
    return samples.get((name, tuple(labels.items())))


# ---------------------------------------------------------------- checks

def churn_line(host, n):
    return "%s: %d connections built %d TLS contexts%s" % (host, n, n, CHURN_TAIL)


def bundle_row(doc, path):
    rows = [b for b in (doc or {}).get("bundles", []) if b["path"] == path]
    return rows[0] if len(rows) == 1 else None


def ip_row(tag):
    """Where a connection to 127.0.0.1 is counted.  urllib3 2 hands the IP to
    OpenSSL for verification (X509_VERIFY_PARAM_set1_ip); urllib3 1.26 sends
    neither SNI nor the IP to OpenSSL and checks the name itself, so OpenSSL
    never learns the host: "(none)"."""
    m = re.search(r"urllib3 (\d+)\.", tag)
    return "(none)" if m and int(m.group(1)) < 2 else "127.0.0.1"


def check_requests_loop_json(rep, tag, doc, bundle):
    hosts = hosts_of(doc)
    for host in ("localhost", ip_row(tag)):
        h = hosts.get(host)
        rep.check("%s: %s row" % (tag, host), h is not None, sorted(hosts))
        if h is None:
            continue
        want = {"connections": COUNT, "contexts": COUNT, "contexts_with_ca_load": COUNT,
                "churn": True}
        got = {k: h[k] for k in want}
        rep.check("%s: %s counts exact %s" % (tag, host, want), got == want, got)
    rep.check("%s: no other host rows" % tag, set(hosts) == {"localhost", ip_row(tag)},
              sorted(hosts))
    # Only the test bundle: requests 2.32.0-2.32.4 also load the system
    # bundle once at import, into a context that makes no connection here.
    row = bundle_row(doc, bundle)
    got = row and (row["loads_performed"], row["loads_avoided"])
    rep.check("%s: the bundle parsed once, then served %d times" % (tag, 2 * COUNT - 1),
              got == (1, 2 * COUNT - 1), (got, doc["bundles"]))
    rep.check("%s: loads avoided per host add up to the bundle's" % tag,
              row is not None
              and sum(h["ca_loads_avoided"] for h in hosts.values()) == row["loads_avoided"],
              [(k, h["ca_loads_avoided"]) for k, h in hosts.items()])
    rep.check("%s: contexts_live_peak present, not leaking" % tag,
              isinstance(doc.get("contexts_live_peak"), int)
              and doc["contexts_live_peak"] >= 1 and doc["contexts_leak_suspected"] is False,
              (doc.get("contexts_live_peak"), doc.get("contexts_leak_suspected")))
    rep.check("%s: the bundle reports contexts_live" % tag,
              row is not None and isinstance(row.get("contexts_live"), int), row)


def check_requests_loop(rep, e, py, tag):
    template = e.stats_template("loop")
    proc, res = e.client(py, "requests_loop", template, count=COUNT)
    if not proc_ok(rep, tag + " json", proc):
        return
    rep.check(tag + ": no writer thread without an interval or signal",
              (res or {}).get("threads") == 1, res)
    doc = read_json(only_dump(template) or "")
    if rep.check(tag + ": JSON dump written", doc is not None):
        check_requests_loop_json(rep, tag, doc, e.fix.bundle)

    template = e.stats_template("loop-text", "txt")
    proc, _ = e.client(py, "requests_loop", template, fmt="text", count=COUNT)
    if proc_ok(rep, tag + " text", proc):
        path = only_dump(template)
        text = open(path, encoding="utf-8").read() if path else ""
        lines = text.splitlines()
        rep.check(tag + ": text churn line for localhost", churn_line("localhost", COUNT) in lines,
                  text[-800:])
        rep.check(tag + ": text churn line for " + ip_row(tag),
                  churn_line(ip_row(tag), COUNT) in lines)
        rep.check(tag + ": no leak line", "likely leaked" not in text)

    template = e.stats_template("loop-prom", "prom")
    proc, _ = e.client(py, "requests_loop", template, fmt="prom", count=COUNT)
    if proc_ok(rep, tag + " prom", proc):
        path = only_dump(template)
        if rep.check(tag + ": Prometheus dump written", path is not None):
            s = check_prom(rep, tag + " prom", path)
            rep.check(tag + ": prom host series",
                      prom_value(s, "trustcache_host_connections_total", host="localhost") == COUNT
                      and prom_value(s, "trustcache_host_contexts_total", host=ip_row(tag)) == COUNT
                      and prom_value(s, "trustcache_host_churn", host="localhost") == 1,
                      {k: v for k, v in s.items() if "host" in k[0]})


def check_pooled(rep, e, py, tag):
    before = e.keep_srv.stats()["handshakes_ok"]
    template = e.stats_template("pooled", "txt")
    proc, _ = e.client(py, "pooled_session", template, fmt="text", count=COUNT)
    if not proc_ok(rep, tag, proc):
        return
    text = open(only_dump(template) or os.devnull, encoding="utf-8").read()
    handshakes = e.keep_srv.stats()["handshakes_ok"] - before
    rep.check(tag + ": one handshake for %d requests" % COUNT, handshakes == 1, handshakes)
    rep.check(tag + ": no churn line", "connections built" not in text, text[-600:])
    rep.check(tag + ": localhost row shows 1 connection, 1 context",
              re.search(r"^  localhost +1 +1 +1 +0$", text, re.M) is not None, text[-600:])


def check_shared_context(rep, e, py, tag):
    template = e.stats_template("shared")
    proc, _ = e.client(py, "shared_context", template, count=COUNT)
    if not proc_ok(rep, tag, proc):
        return
    h = hosts_of(read_json(only_dump(template) or "")).get("localhost")
    got = h and {k: h[k] for k in ("connections", "contexts", "contexts_with_ca_load", "churn")}
    rep.check(tag + ": %d connections from 1 context, no churn" % COUNT,
              got == {"connections": COUNT, "contexts": 1, "contexts_with_ca_load": 1,
                      "churn": False}, got)


def check_curl(rep, e):
    curl = shutil.which("curl")
    if not curl:
        rep.check("curl: installed", False, "curl not found")
        return
    template = e.stats_template("curl")
    urls = ["https://localhost:%d/" % e.close_srv.port, "https://127.0.0.1:%d/" % e.close_srv.port,
            "https://localhost:%d/" % e.keep_srv.port]
    argv = [curl, "-sS", "--cacert", e.fix.bundle] + sum((["-o", os.devnull, u] for u in urls), [])
    proc, _ = run(argv, e.env(template))
    if not proc_ok(rep, "curl", proc):
        return
    doc = read_json(only_dump(template) or "")
    if not rep.check("curl: JSON dump written", doc is not None):
        return
    rep.check("curl: 3 loads, 1 parsed, 2 served",
              (doc["ca_loads_requested"], doc["ca_loads_performed"], doc["ca_loads_avoided"])
              == (3, 1, 2), (doc["ca_loads_requested"], doc["ca_loads_performed"],
                             doc["ca_loads_avoided"]))
    hosts = hosts_of(doc)
    got = {k: (h["connections"], h["contexts"], h["contexts_with_ca_load"])
           for k, h in hosts.items()}
    rep.check("curl: localhost 2 connections/contexts with CA loads, (none) 1",
              got == {"localhost": (2, 2, 2), "(none)": (1, 1, 1)}, got)
    rep.check("curl: loads avoided per host add up to the total",
              sum(h["ca_loads_avoided"] for h in hosts.values()) == 2,
              [(k, h["ca_loads_avoided"]) for k, h in hosts.items()])


def leak_run(rep, e, py, scenario, fmt, ext):
    """The dump a leak scenario read while its contexts were alive, or None."""
    template = e.stats_template(scenario, ext)
    proc, res = e.client(py, scenario, template, fmt=fmt, count=LEAKED,
                         TRUSTCACHE_STATS_SIGNAL="USR2")
    if not proc_ok(rep, "%s %s" % (scenario, fmt), proc):
        return None
    text = (res or {}).get("dump_text")
    rep.check("%s %s: signal dump read while the contexts were alive" % (scenario, fmt),
              text is not None)
    return text


def check_leak(rep, e, py):
    text = leak_run(rep, e, py, "leak", "json", "json")
    if text is not None:
        doc = json.loads(text)
        got = (doc["contexts_live"], doc["contexts_live_peak"], doc["contexts_leak_suspected"])
        rep.check("leak json: contexts_live == peak == %d, flagged" % LEAKED,
                  got == (LEAKED, LEAKED, True), got)
        row = bundle_row(doc, e.fix.bundle)
        rep.check("leak json: the bundle is held by %d live contexts" % LEAKED,
                  row is not None and row["contexts_live"] == LEAKED, doc["bundles"])
    text = leak_run(rep, e, py, "leak", "text", "txt")
    if text is not None:
        want = ("contexts: %d TLS contexts live, the most so far, of %d ever created \u2014"
                " likely leaked; free contexts no longer in use" % (LEAKED, LEAKED))
        rep.check("leak text: the leak line", want in text.splitlines(), text[-800:])
    text = leak_run(rep, e, py, "leak", "prom", "prom")
    if text is not None:
        path = os.path.join(e.work, "leak-signal.prom")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        s = check_prom(rep, "leak prom", path)
        got = (prom_value(s, "trustcache_contexts_live"),
               prom_value(s, "trustcache_contexts_live_peak"),
               prom_value(s, "trustcache_contexts_leak_suspected"),
               prom_value(s, "trustcache_bundle_contexts_live", bundle=e.fix.bundle))
        rep.check("leak prom: live, peak, flag and bundle gauges", got == (LEAKED,) * 2 + (1, LEAKED),
                  got)
    text = leak_run(rep, e, py, "no_leak", "json", "json")
    if text is not None:
        doc = json.loads(text)
        got = (doc["contexts_live"], doc["contexts_leak_suspected"], doc["contexts_live_peak"] >= 1)
        rep.check("no_leak: collected contexts are not flagged", got == (0, False, True), got)


def check_periodic(rep, e, py):
    template = e.stats_template("periodic")
    proc, res = e.client(py, "periodic", template, count=3, TRUSTCACHE_STATS_INTERVAL=1)
    if not proc_ok(rep, "periodic", proc):
        return
    res = res or {}
    rep.check("periodic: no writer thread before the first TLS use",
              res.get("threads_before") == 1, res.get("threads_before"))
    rep.check("periodic: nothing written before the first TLS use",
              res.get("file_before_tls") is False)
    rep.check("periodic: one writer thread after it", res.get("threads_after") == 2,
              res.get("threads_after"))
    doc = res.get("dump")
    rep.check("periodic: file rewritten while running, with the 3 connections",
              doc is not None and hosts_of(doc).get("localhost", {}).get("connections") == 3,
              doc and doc.get("hosts"))


def check_fork(rep, e, py):
    template = e.stats_template("fork")
    proc, res = e.client(py, "fork", template, count=3, TRUSTCACHE_STATS_INTERVAL=1)
    if not proc_ok(rep, "fork", proc):
        return
    res = res or {}
    child = res.get("child") or {}
    rep.check("fork: child exited 0", res.get("child_status") == 0, res.get("child_status"))
    rep.check("fork: child has no writer until its first TLS use, then one",
              (child.get("threads_before"), child.get("threads_after")) == (1, 2),
              (child.get("threads_before"), child.get("threads_after"), child.get("error")))
    cdoc = child.get("dump")
    rep.check("fork: child's own periodic file counts only its 5 connections",
              cdoc is not None and hosts_of(cdoc).get("localhost", {}).get("connections") == 5,
              cdoc and cdoc.get("hosts"))
    files = dumps_of(template)
    rep.check("fork: one file per pid (parent and child)",
              set(files) == {res.get("pid"), child.get("pid")}, sorted(files))
    pdoc = read_json(files.get(res.get("pid"), ""))
    rep.check("fork: parent's exit dump counts only its 3 connections",
              pdoc is not None and hosts_of(pdoc).get("localhost", {}).get("connections") == 3,
              pdoc and pdoc.get("hosts"))
    return files


def check_signals(rep, e, py):
    for scenario, python_calls in (("signal_default", 0), ("signal_python_handler", 1),
                                   ("signal_ignored", 0)):
        template = e.stats_template(scenario)
        proc, res = e.client(py, scenario, template, count=3, TRUSTCACHE_STATS_SIGNAL="USR2")
        if not proc_ok(rep, scenario, proc):
            continue
        res = res or {}
        if scenario == "signal_default":
            rep.check("%s: SIGUSR2 left alone before the first TLS use" % scenario,
                      res.get("caught_before") is False)
        rep.check("%s: handler in place after it" % scenario, res.get("caught_after") is True)
        doc = res.get("dump")
        rep.check("%s: dump written on the signal, process alive" % scenario,
                  doc is not None and res.get("alive") is True, res)
        rep.check("%s: previous Python handler called %d time(s)" % (scenario, python_calls),
                  res.get("python_handler_calls") == python_calls, res.get("python_handler_calls"))


def weird_bundle_path(e):
    """A copy of the test bundle under a name no stats format can take raw."""
    d = os.path.join(e.work, "we\"ird\\dir\n")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(os.fsencode(d), b"caf\xe9-\xff.pem")
    shutil.copyfile(e.fix.bundle, path)
    return os.fsdecode(path)


def check_weird_bundle(rep, e, py):
    bundle = weird_bundle_path(e)
    for fmt, ext in (("json", "json"), ("prom", "prom"), ("text", "txt")):
        template = e.stats_template("weird", ext)
        proc, _ = e.client(py, "weird_bundle", template, fmt=fmt, bundle=bundle)
        if not proc_ok(rep, "weird_bundle " + fmt, proc):
            continue
        path = only_dump(template)
        if not rep.check("weird_bundle %s: dump written" % fmt, path is not None):
            continue
        if fmt == "json":
            doc = read_json(path)
            rep.check("weird_bundle json: valid JSON naming the bundle",
                      doc is not None and any("we\"ird\\dir\n" in b["path"]
                                              for b in doc["bundles"]),
                      doc and [b["path"] for b in doc["bundles"]])
        elif fmt == "prom":
            s = check_prom(rep, "weird_bundle prom", path)
            labels = [dict(k[1]).get("bundle") for k in s if k[0] == "trustcache_bundle_certs"]
            rep.check("weird_bundle prom: label decodes to the path, bad bytes as \\xNN",
                      any(v and v.endswith("we\"ird\\dir\n/caf\\xe9-\\xff.pem") for v in labels),
                      labels)
        else:
            rep.check("weird_bundle text: written", os.path.getsize(path) > 0)


def main_tag(py):
    info, _ = interpreters.describe(py)
    return "urllib3 %s" % ((info or {}).get("modules") or {}).get("urllib3")


def check_stats_tool(rep, e, py, fork_files):
    tool = [sys.executable, e.args.stats_tool]
    if not fork_files or len(fork_files) != 2:
        rep.check("stats_tool: fork dumps to merge", False, fork_files)
        return
    pattern = os.path.join(os.path.dirname(next(iter(fork_files.values()))),
                           os.path.basename(next(iter(fork_files.values()))).rsplit("-", 1)[0]
                           + "-*.json")
    p = subprocess.run(tool + ["--json", pattern], capture_output=True, text=True)
    merged = json.loads(p.stdout) if p.returncode == 0 else None
    rep.check("stats_tool: --json merges a glob of per-pid dumps", merged is not None
              and len(merged["files"]) == 2
              and hosts_of(merged).get("localhost", {}).get("connections") == 8,
              (p.returncode, p.stderr, merged and merged.get("hosts")))

    template = e.stats_template("tool-churn")
    e.client(py, "requests_loop", template, count=COUNT)
    files = list(dumps_of(template).values()) + list(fork_files.values())
    p = subprocess.run(tool + files, capture_output=True, text=True)
    rep.check("stats_tool: report with totals, top hosts and the churn warning",
              p.returncode == 0 and "CA loads requested" in p.stdout
              and "top hosts" in p.stdout
              and churn_line("localhost", COUNT + 8) in p.stdout.splitlines()
              and churn_line(ip_row(main_tag(py)), COUNT) in p.stdout.splitlines(),
              p.stdout[-1500:] + p.stderr)
    rep.check("stats_tool: no churn warning for hosts under 20 connections",
              subprocess.run(tool + list(fork_files.values()), capture_output=True,
                             text=True).stdout.count("connections built") == 0)

    missing = os.path.join(e.work, "nothing-here-*.json")
    p = subprocess.run(tool + [missing], capture_output=True, text=True)
    rep.check("stats_tool: exits 1 when a glob matches nothing, saying so",
              p.returncode == 1 and "no file matches" in p.stderr, (p.returncode, p.stderr))
    bad = os.path.join(e.work, "corrupt.json")
    with open(bad, "w") as f:
        f.write("{\"ca_loads_requested\": ")
    p = subprocess.run(tool + files + [bad], capture_output=True, text=True)
    rep.check("stats_tool: exits 1 on a corrupt dump, naming it",
              p.returncode == 1 and bad in p.stderr and not p.stdout, (p.returncode, p.stderr))
    p = subprocess.run(tool + [os.path.join(e.work, "absent.json")], capture_output=True,
                       text=True)
    rep.check("stats_tool: exits 1 on an unreadable file",
              p.returncode == 1 and "cannot read" in p.stderr, (p.returncode, p.stderr))


# ---------------------------------------------------------------- main

CHECKS = ["requests_loop", "pooled_session", "shared_context", "curl", "leak", "periodic",
          "fork", "signals", "weird_bundle", "stats_tool"]


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    ap.add_argument("--shim", required=True)
    ap.add_argument("--stats-tool", required=True)
    ap.add_argument("--preload-first", default="",
                    help="a library to preload before the shim (the ASan runtime)")
    ap.add_argument("--python", action="append",
                    help="interpreter to try (repeatable); default python3, /usr/bin/python3")
    ap.add_argument("--list", action="store_true", help="list the checks and exit")
    ap.add_argument("only", nargs="*", help="run only these checks")
    args = ap.parse_args(argv)
    if args.list:
        print("\n".join(CHECKS))
        return 0
    unknown = set(args.only) - set(CHECKS)
    if unknown:
        ap.error("unknown check(s): %s" % ", ".join(sorted(unknown)))
    selected = args.only or CHECKS
    args.shim = os.path.abspath(args.shim)
    args.stats_tool = os.path.abspath(args.stats_tool)

    candidates = args.python or ["python3", "/usr/bin/python3"]
    with_requests = []
    for py in candidates:
        info, _ = interpreters.describe(py)
        if info and info["modules"].get("requests"):
            if info["exe"] not in [i["exe"] for i in with_requests]:
                with_requests.append(info)
    rep = Report()
    if not rep.check("an interpreter with requests", bool(with_requests), candidates):
        print("%d passed, %d failed" % (rep.passed, rep.failed))
        return 1
    main_py = with_requests[0]["exe"]

    work = tempfile.mkdtemp(prefix="tc-hosts-")
    try:
        fix = pki.make_test_pki(work)
        close_srv = https_server.HTTPSServer(fix.server.cert, fix.server.key).start()
        keep_srv = https_server.HTTPSServer(fix.server.cert, fix.server.key)
        keep_srv._server.RequestHandlerClass = KeepAliveHandler  # noqa: SLF001
        keep_srv.start()
        e = Env(args, work, fix, close_srv, keep_srv)
        fork_files = None
        try:
            for info in with_requests:
                tag = "%s (requests %s, urllib3 %s)" % (
                    info["exe"], info["modules"]["requests"], info["modules"]["urllib3"])
                if "requests_loop" in selected:
                    check_requests_loop(rep, e, info["exe"], "requests_loop " + tag)
                if "pooled_session" in selected:
                    check_pooled(rep, e, info["exe"], "pooled_session " + tag)
                if "shared_context" in selected:
                    check_shared_context(rep, e, info["exe"], "shared_context " + tag)
            if "curl" in selected:
                check_curl(rep, e)
            if "leak" in selected:
                check_leak(rep, e, main_py)
            if "periodic" in selected:
                check_periodic(rep, e, main_py)
            if "fork" in selected or "stats_tool" in selected:
                fork_files = check_fork(rep, e, main_py)
            if "signals" in selected:
                check_signals(rep, e, main_py)
            if "weird_bundle" in selected:
                check_weird_bundle(rep, e, main_py)
            if "stats_tool" in selected:
                check_stats_tool(rep, e, main_py, fork_files)
        finally:
            close_srv.stop()
            keep_srv.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed" % (rep.passed, rep.failed))
    return 0 if rep.failed == 0 and rep.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
