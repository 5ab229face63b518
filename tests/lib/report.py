"""PASS/FAIL/SKIP lines and the closing count, shared by the Python suites."""
import sys


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, label, ok, detail=""):
        if ok:
            self.passed += 1
            print("PASS %s" % label)
        else:
            self.failed += 1
            detail = str(detail)
            print("FAIL %s%s" % (label, (": " + detail[-3000:]) if detail else ""))
        sys.stdout.flush()
        return ok

    def equal(self, label, got, want):
        return self.check(label, got == want, "got %r, want %r" % (got, want))

    @staticmethod
    def skip(label, why):
        print("SKIP %s: %s" % (label, why))
        sys.stdout.flush()
