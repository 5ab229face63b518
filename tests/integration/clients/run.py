"""Integration tests of trustcache on real clients, and of its tools.

    run.py --suite run        trustcache-run (options, LD_PRELOAD, exec,
                              signals, --check), make install into a
                              temporary DESTDIR, the container entrypoint
    run.py --suite examples   every example under examples/, run through
                              `make -C examples/NAME run`, and make demo
    run.py --list             the test names; give names to run only those

Prints PASS/FAIL lines and ends with "N passed, M failed"; exits non-zero on
any failure.  Timings are never asserted: `make bench` measures them.
"""

import argparse
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import common  # noqa: E402
import test_examples  # noqa: E402
import test_install  # noqa: E402
import test_run  # noqa: E402

SUITES = {
    "run": test_run.TESTS + test_install.TESTS,
    "examples": test_examples.TESTS,
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--suite", choices=sorted(SUITES), default="run")
    p.add_argument("--build", default="build", help="the top Makefile's BUILD")
    p.add_argument("--list", action="store_true")
    p.add_argument("names", nargs="*")
    args = p.parse_args()
    tests = SUITES[args.suite]
    if args.list:
        for fn in tests:
            print(fn.__name__)
        return 0
    if args.names:
        unknown = set(args.names) - {fn.__name__ for fn in tests}
        if unknown:
            print("unknown tests: %s" % " ".join(sorted(unknown)))
            return 2
        tests = [fn for fn in tests if fn.__name__ in args.names]
    ctx = common.Context(args.build)
    rep = common.Report()
    try:
        for fn in tests:
            t0 = time.monotonic()
            print("---- %s" % fn.__name__, flush=True)
            try:
                fn(rep, ctx)
            except Exception:  # a crashed test is a failed test, the rest still run
                rep.check("%s ran to the end" % fn.__name__, False, traceback.format_exc())
            print("     (%.1f s)" % (time.monotonic() - t0), flush=True)
    finally:
        ctx.close()
    print("%d passed, %d failed" % (rep.passed, rep.failed))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
