"""Every example under examples/, run the way a reader runs it
(`make -C examples/NAME run`), small, with its results checked from the
JSON summary it writes.  Verification outcomes and the shim's counters are
asserted; timings and memory are only printed (make bench measures them)."""

import os
import re
import struct

from common import TOP, check_invariant, read_json, run


def run_example(rep, ctx, name, args, timeout=900):
    out = ctx.path("examples", name + ".json")
    argv = ["make", "--no-print-directory", "-C", os.path.join(TOP, "examples", name), "run",
            "BUILD=%s" % ctx.build, "EXAMPLE_ARGS=--json %s %s" % (out, args)]
    proc = run(argv, timeout=timeout)
    res = read_json(out)
    rep.check("make -C examples/%s run: exit 0 and a JSON summary" % name,
              proc.returncode == 0 and res is not None,
              "rc=%d\n%s%s" % (proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return res


def bundle_entry(st, suffix):
    for b in (st or {}).get("bundles", []):
        if b["path"].endswith(suffix):
            return b
    return None


def check_served(rep, label, st, suffix, loads):
    """LOADS loads of the bundle: parsed once, every other one served."""
    check_invariant(rep, label, st)
    b = bundle_entry(st, suffix)
    rep.check("%s: %s parsed once, served %d times from cache" % (label, suffix, loads - 1),
              b is not None and b["loads_performed"] == 1 and b["loads_avoided"] == loads - 1,
              b if b else st)


def test_example_curl(rep, ctx):
    n = 8
    res = run_example(rep, ctx, "curl", "--count %d" % n)
    if not res:
        return
    ok, bad = res["right_CA"], res["wrong_CA"]
    rep.check("curl, right CA: exit 0 without and with the shim",
              ok["without"]["rc"] == 0 and ok["with"]["rc"] == 0, ok)
    rep.check("curl, wrong CA: exit 60 (peer verification) without and with the shim, "
              "same stderr", bad["without"]["rc"] == 60 and bad["same_outcome"], bad)
    rep.equal("curl, right CA: the server saw %d successful handshakes per run (2 runs)" % n,
              ok["handshakes_ok"], 2 * n)
    st = ok["stats"]
    rep.check("curl stats: %d loads requested (one per connection)" % n,
              st and st["ca_loads_requested"] == n, st)
    check_served(rep, "curl stats", st, "/bundle.pem", n)


def check_runtime(rep, ctx, name, n, default_loads):
    res = run_example(rep, ctx, name, "--count %d" % n)
    if not res:
        return
    cases = res["cases"]
    for case, want_ok in (("bundle", n), ("wrong_ca", 0), ("default", n)):
        c = cases[case]
        rep.check("%s, %s: %d/%d verified without and with the shim, identical outcome"
                  % (name, case, want_ok, n),
                  c["same_outcome"] and c["without"]["result"].get("ok") == want_ok,
                  {k: c[k]["result"] for k in ("without", "with")})
        if want_ok == 0:
            errs = c["without"]["result"].get("errors") or {}
            rep.check("%s, %s: every connection failed with a verification error" % (name, case),
                      sum(errs.values()) == n and all("verif" in e for e in errs), errs)
    check_served(rep, "%s bundle stats" % name, cases["bundle"]["with"]["stats"],
                 "/bundle.pem", n)
    check_served(rep, "%s wrong-CA stats" % name, cases["wrong_ca"]["with"]["stats"],
                 "/wrong-ca.pem", n)
    st = cases["default"]["with"]["stats"]
    check_served(rep, "%s default-path stats" % name, st, "/bundle.pem", default_loads)


def test_example_ruby(rep, ctx):
    # Ruby's default store is built once per process: one load, nothing to serve.
    check_runtime(rep, ctx, "ruby", 6, default_loads=1)


def test_example_php(rep, ctx):
    check_runtime(rep, ctx, "php", 6, default_loads=6)


def test_example_perl(rep, ctx):
    check_runtime(rep, ctx, "perl", 6, default_loads=6)


def test_example_libpq(rep, ctx):
    res = run_example(rep, ctx, "libpq", "--seconds 1 --rounds 1")
    if not res:
        return
    v = res["verification"]
    rep.check("libpq verify-full, right bundle: psql succeeds without and with the shim",
              v["bundle"]["same_outcome"] and v["bundle"]["without"]["rc"] == 0
              and v["bundle"]["without"]["stdout"] == "1", v["bundle"])
    rep.check("libpq verify-full, wrong CA: psql fails verification without and with the "
              "shim, same message", v["wrong_ca"]["same_outcome"]
              and v["wrong_ca"]["without"]["rc"] != 0
              and "certificate verify failed" in v["wrong_ca"]["without"]["stderr"],
              v["wrong_ca"])
    st = res["pgbench_stats"]
    check_invariant(rep, "pgbench stats", st)
    b = bundle_entry(st, "/bundle.pem")
    conns = st and st["contexts_created"]
    rep.check("pgbench -C: one bundle load per connection (%s), parsed once" % conns,
              b is not None and b["loads_performed"] == 1
              and b["loads_performed"] + b["loads_avoided"] == conns
              and conns >= res["pgbench"]["with"]["transactions"], (b, conns))
    other = {k: v for k, v in (st or {}).get("passthrough_reasons", {}).items()
             if k != "file_unavailable"}
    rep.check("pgbench: every passthrough is libpq's missing default CRL file",
              st is not None and not other, st and st.get("passthrough_reasons"))


def test_example_python_recorder(rep, ctx):
    """The OOM case at full size: 1,500 interactions, each run in a memory
    cgroup limited to 256 MiB.  The kernel's verdict is checked: without the
    shim the recorder is OOM-killed early; with it, it completes."""
    n, limit = 1500, 256
    res = run_example(rep, ctx, "python-recorder", "--count %d --limit-mib %d" % (n, limit))
    if not res:
        return
    plain, shim = res["without"], res["with"]
    st = shim["stats"]
    rep.equal("recorder stats: %d loads requested" % n, st and st["ca_loads_requested"], n)
    check_served(rep, "recorder stats", st, "/bundle.pem", n)
    # Only urllib3 2.3+ responses keep their connection's context (and its
    # parsed CA store) alive; with an older urllib3 (Debian 12's 1.26, the
    # only one on a fresh Debian 12) nothing accumulates and nobody is killed.
    ver = ((plain.get("versions") or {}).get("urllib3") or "")
    if tuple(int(x) for x in re.findall(r"\d+", ver)[:2]) < (2, 3):
        rep.skip("recorder verdicts", "urllib3 %s frees each context with its response; "
                 "the OOM case needs urllib3 2.3 or later" % (ver or "?"))
        return
    for r in (plain, shim):
        if not r["method"].startswith("cgroup"):
            rep.skip("recorder %s shim: memory cgroup" % r["label"],
                     "%s; judged by the RSS budget instead" % r.get("no_cgroup_reason"))
    if plain["method"].startswith("cgroup"):
        k = plain["kernel"]
        rep.check("recorder without shim: killed by SIGKILL before %d interactions (after %d), "
                  "the cgroup counted an OOM kill" % (n, plain["interactions"]),
                  plain["verdict"] == "killed" and plain["signal"] == 9
                  and plain["interactions"] < n and k["oom_kills"] >= 1,
                  {x: plain[x] for x in ("verdict", "signal", "interactions", "kernel")})
    else:
        rep.check("recorder without shim: over the %d MiB RSS budget before %d interactions"
                  % (limit, n), plain["verdict"] == "over_budget" and plain["interactions"] < n,
                  plain)
    k = shim["kernel"] or {}
    peak = k.get("peak_bytes")
    rep.check("recorder with shim: all %d interactions completed, no OOM kill, cgroup peak "
              "%s under %d MiB" % (n, "%.1f MiB" % (peak / 1048576.0) if peak else "?", limit),
              shim["verdict"] == "completed" and shim["interactions"] == n
              and shim["returncode"] == 0 and k.get("oom_kills", 0) == 0
              and (peak is None or peak < limit * 1048576),
              {x: shim[x] for x in ("verdict", "signal", "interactions", "kernel")})


def test_example_gc_disabled(rep, ctx):
    n = 60
    res = run_example(rep, ctx, "gc-disabled", "--count %d --every 20" % n)
    if not res:
        return
    runs = res["runs"]
    rep.check("gc-disabled: the service leaked all %d clients in both runs" % n,
              runs["without"]["uncollected"] == n and runs["with"]["uncollected"] == n,
              {k: r["uncollected"] for k, r in runs.items()})
    st = runs["with"]["stats_at_exit"]
    check_served(rep, "gc-disabled stats at exit", st, "/bundle.pem", n)
    rep.check("gc-disabled stats at exit: contexts created == freed (Python collects "
              "cycles at shutdown), contexts_live 0",
              st and st["contexts_created"] == st["contexts_freed"] and st["contexts_live"] == 0,
              st)
    leaking, collected = runs["with"].get("stats_leaking"), runs["with"].get("stats_collected")
    if leaking is None:
        rep.skip("gc-disabled: contexts_live while leaking",
                 "this build of the shim does not rewrite its stats on TRUSTCACHE_STATS_INTERVAL")
        return
    rep.check("gc-disabled, while leaking: contexts_live >= %d" % n,
              leaking["contexts_live"] >= n, leaking)
    if "contexts_live_peak" in st:
        rep.check("gc-disabled stats at exit: contexts_live_peak >= %d (the leak's high-water "
                  "mark survives the shutdown collection)" % n, st["contexts_live_peak"] >= n, st)
    rep.check("gc-disabled, after gc.collect(): contexts_live 0",
              collected is not None and collected["contexts_live"] == 0, collected)


def test_example_docker(rep, ctx):
    res = run_example(rep, ctx, "docker", "--count 3")
    if not res:
        return
    rep.check("docker rehearsal: the image root holds the Debian package's files (%s), "
              "the library in usr/lib/<multiarch>/trustcache" % res.get("deb"),
              bool(res.get("deb")) and len(res.get("library") or []) == 1
              and re.match(r"usr/lib/[^/]+/trustcache/libtrustcache\.so$", res["library"][0]),
              res.get("library"))
    rep.check("docker rehearsal: RUN trustcache-run --check python3 passes (exit 0)",
              res["check"]["rc"] == 0 and "can benefit" in res["check"]["stdout"], res["check"])
    app = res["app"]
    rep.check("docker rehearsal: app.py ran under the installed entrypoint (3 x HTTP 200)",
              app["rc"] == 0 and app["stdout"].count("200 https://") == 3, app)
    rep.check("docker rehearsal: the stats file carries the pod name and the app's pid",
              app["stats_file"] == "trustcache-api-client-%d.prom" % app["pid"], app["stats_file"])
    m = re.search(r'^trustcache_ca_loads_avoided_total\{pid="%d"\} (\d+)$' % app["pid"],
                  app["prom"], re.M)
    rep.check("docker rehearsal: Prometheus stats show 2 of 3 loads served from cache",
              m is not None and m.group(1) == "2", app["prom"][:1500])
    rep.check("docker rehearsal: SIGTERM to the entrypoint's pid ran the program's handler, "
              "exit 143", res["stop"] == {"ready": "ready", "rc": 143}, res["stop"])


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def test_make_demo(rep, ctx):
    build = ctx.build if os.path.isabs(ctx.build) else os.path.join(TOP, ctx.build)
    png = os.path.join(build, "demo", "rss-vs-connections.png")
    if os.path.exists(png):
        os.unlink(png)
    proc = run(["make", "--no-print-directory", "-C", TOP, "BUILD=%s" % ctx.build, "demo",
                "DEMO_COUNT=40"], timeout=900)
    rep.check("make demo DEMO_COUNT=40: exit 0", proc.returncode == 0,
              proc.stdout[-3000:] + proc.stderr[-3000:])
    rep.check("make demo prints the before/after table",
              "before/after" in proc.stdout and "without shim" in proc.stdout, proc.stdout[-2000:])
    size = png_size(png) if os.path.exists(png) else None
    rep.check("make demo wrote a PNG plot under $(BUILD)/demo", size is not None and
              size[0] > 100 and size[1] > 100, size)


TESTS = [test_example_curl, test_example_ruby, test_example_php, test_example_perl,
         test_example_libpq, test_example_python_recorder, test_example_gc_disabled,
         test_example_docker, test_make_demo]
