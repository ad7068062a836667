"""Tiny unittest runner shared by the python interop suites.

Prints one line per test:  PASS <suite>/<module>.<test> (1.23s)  |  FAIL ... : reason  |  SKIP ... : reason
then a summary line `<suite>: N passed, M failed, K skipped` and exits 1 if anything failed.
The connect string comes from argv[1] or $ZK_CONNECT. (pytest is not required.)
"""
import os
import sys
import time
import traceback
import unittest


def connect_string(argv=None):
    argv = sys.argv if argv is None else argv
    if len(argv) > 1 and not argv[1].startswith("-"):
        return argv[1]
    c = os.environ.get("ZK_CONNECT")
    if not c:
        sys.exit("usage: %s <host:port>   (or set ZK_CONNECT)" % argv[0])
    return c


class LineResult(unittest.TestResult):
    def __init__(self, suite_name):
        super().__init__()
        self.suite_name = suite_name
        self.n_pass = self.n_fail = self.n_skip = 0
        self._t0 = 0.0

    def _name(self, test):
        # module.Class.test_method -> module.test_method (class names add nothing here)
        parts = test.id().split(".")
        return "%s/%s.%s" % (self.suite_name, parts[0], parts[-1]) if len(parts) >= 3 else \
            "%s/%s" % (self.suite_name, test.id())

    def startTest(self, test):
        super().startTest(test)
        self._t0 = time.monotonic()

    def _dt(self):
        return "(%.2fs)" % (time.monotonic() - self._t0)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.n_pass += 1
        print("PASS %s %s" % (self._name(test), self._dt()), flush=True)

    def _fail(self, test, err, kind):
        self.n_fail += 1
        etype, evalue, tb = err
        msg = ("%s: %s" % (etype.__name__, evalue)).replace("\n", " | ")
        print("FAIL %s %s: %s%s" % (self._name(test), self._dt(), kind, msg[:600]), flush=True)
        detail = "".join(traceback.format_exception(etype, evalue, tb))
        sys.stderr.write("---- %s\n%s\n" % (self._name(test), detail))

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err, "")

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err, "ERROR ")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.n_skip += 1
        print("SKIP %s: %s" % (self._name(test), reason), flush=True)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.n_pass += 1
        print("PASS %s (expected failure)" % self._name(test), flush=True)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.n_fail += 1
        print("FAIL %s: unexpected success" % self._name(test), flush=True)


def run_dir(suite_name, directory, pattern="test_*.py", name_filter=None):
    """Discover test_*.py in `directory` and run them; return process exit code."""
    sys.path.insert(0, directory)
    loader = unittest.TestLoader()
    if name_filter:
        loader.testNamePatterns = ["*%s*" % name_filter]
    suite = loader.discover(directory, pattern=pattern, top_level_dir=directory)
    result = LineResult(suite_name)
    t0 = time.monotonic()
    suite.run(result)
    print("%s: %d passed, %d failed, %d skipped in %.1fs"
          % (suite_name, result.n_pass, result.n_fail, result.n_skip, time.monotonic() - t0), flush=True)
    if result.n_pass + result.n_fail == 0:
        print("FAIL %s/<discovery>: no tests ran" % suite_name, flush=True)
        return 1
    return 1 if result.n_fail else 0
