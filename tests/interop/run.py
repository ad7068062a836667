#!/usr/bin/env python3
"""Interop runner: start servers per target, run every suite, aggregate PASS/FAIL/SKIP lines.

  /usr/bin/python3 tests/interop/run.py [--targets zk|hotzk|both|auto] [--suites kazoo,java,tools,diff]

Targets (also from $HOTZK_INTEROP_TARGETS):
  zk     Apache ZooKeeper 3.8 (Debian packages) - the reference, used to validate the harness
  hotzk  HotZk via ./hotzk server <zoo.cfg>
  both   zk then hotzk
  auto   (default) hotzk when the ./hotzk launcher exists, else zk (with a SKIP line for hotzk)

Per target: one "main" server (conf/main.cfg.tmpl) for the kazoo, java and tools suites, plus one
"ttl" server (extendedTypesEnabled=true) for the Java TTL test. The differential test starts its
own fresh servers: reference zk vs the target (zk-vs-zk for the zk target).
Last line: "N passed, M failed[, K skipped]"; exit code 1 when M > 0.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import zkserver  # noqa: E402

PY = "/usr/bin/python3"  # Debian's python3 has python3-kazoo; a pyenv/venv python3 on PATH may not
LINE = re.compile(r"^(PASS|FAIL|SKIP) (\S+)")
SUITE_TIMEOUT = {"kazoo": 300, "java": 300, "tools": 420, "diff": 300}


class Tally:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def line(self, kind, name, text=None):
        if kind == "PASS":
            self.passed += 1
        elif kind == "FAIL":
            self.failed += 1
            self.failures.append(text or name)
        else:
            self.skipped += 1
        if text is None:
            print("%s %s" % (kind, name), flush=True)


def run_suite(tally, label, cmd, timeout, env=None):
    """Run one suite process; echo and count its PASS/FAIL/SKIP lines (renamed with the target label)."""
    print("== %s: %s" % (label, " ".join(cmd)), flush=True)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    seen_fail = 0
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGTERM)
        try:
            out, err = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
        out += "\nFAIL %s/<timeout>: suite exceeded %ds\n" % (label, timeout)
    for l in out.splitlines():
        m = LINE.match(l)
        if m:
            kind, name = m.groups()
            l = l.replace(name, "%s:%s" % (label.split("@")[1], name), 1) if "@" in label else l
            tally.line(kind, name, l)
            seen_fail += kind == "FAIL"
            print(l, flush=True)
        elif l.startswith("   "):
            print(l, flush=True)  # diff details / notes
    if p.returncode != 0 and seen_fail == 0:
        tally.line("FAIL", "%s/<exit>" % label, "FAIL %s/<exit>: exit code %s without a FAIL line" % (label, p.returncode))
        print("FAIL %s/<exit>: exit code %s without a FAIL line" % (label, p.returncode), flush=True)
    if seen_fail or p.returncode != 0:
        logdir = os.environ.get("HOTZK_INTEROP_LOGDIR", "/tmp")
        path = os.path.join(logdir, "hotzk-interop-%s.stderr" % label.replace("/", "_").replace("@", "_"))
        with open(path, "w") as f:
            f.write(err)
        print("   (stderr of %s saved to %s)" % (label, path), flush=True)
    print("== %s done in %.1fs" % (label, time.monotonic() - t0), flush=True)


def run_target(tally, target, suites):
    ok, why = zkserver.target_available(target)
    if not ok:
        msg = "FAIL interop@%s/<setup>: %s" % (target, why)
        tally.line("FAIL", target, msg)
        print(msg, flush=True)
        return
    servers = []
    try:
        needs_main = any(s in suites for s in ("kazoo", "java", "tools"))
        main = ttl = None
        if needs_main:
            try:
                main = zkserver.Server(target, "main")
                servers.append(main)
                main.start()
                print("== %s main server on %s (pid %d, log %s)" % (target, main.connect, main.proc.pid,
                                                                    main.log_path), flush=True)
            except Exception as e:  # noqa
                msg = "FAIL interop@%s/<server-start>: %s" % (target, str(e).replace("\n", " | ")[:1500])
                tally.line("FAIL", target, msg)
                print(msg, flush=True)
                main = None
        env = dict(os.environ, ZK_CONNECT=main.connect if main else "", ZK_TARGET=target)
        if main and "kazoo" in suites:
            run_suite(tally, "kazoo@" + target, [PY, os.path.join(HERE, "kazoo", "run.py"), main.connect],
                      SUITE_TIMEOUT["kazoo"], env)
        if main and "java" in suites:
            cmd = [os.path.join(HERE, "java", "run.sh"), main.connect]
            try:
                ttl = zkserver.Server(target, "ttl")
                servers.append(ttl)
                ttl.start()
                cmd += ["--ttl-connect", ttl.connect]
            except Exception as e:  # noqa
                msg = "FAIL interop@%s/<ttl-server-start>: %s" % (target, str(e).replace("\n", " | ")[:800])
                tally.line("FAIL", target, msg)
                print(msg, flush=True)
            run_suite(tally, "java@" + target, cmd, SUITE_TIMEOUT["java"], env)
            if ttl:
                ttl.cleanup()
                servers.remove(ttl)
        if main and "tools" in suites:
            run_suite(tally, "tools@" + target, [PY, os.path.join(HERE, "tools", "run.py"), main.connect],
                      SUITE_TIMEOUT["tools"], env)
        if main and main.proc is not None and main.proc.poll() is not None:
            msg = "FAIL interop@%s/<server-died>: main server exited with %s during the suites; log tail: %s" % (
                target, main.proc.returncode, main.log_tail(10).replace("\n", " | "))
            tally.line("FAIL", target, msg)
            print(msg, flush=True)
    finally:
        for s in servers:
            s.cleanup()
    if "diff" in suites:
        run_suite(tally, "diff@" + target, [PY, os.path.join(HERE, "diff", "difftest.py"), "--a", "zk", "--b", target],
                  SUITE_TIMEOUT["diff"])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", default=os.environ.get("HOTZK_INTEROP_TARGETS", "auto"),
                    choices=["zk", "hotzk", "both", "auto"])
    ap.add_argument("--suites", default=os.environ.get("HOTZK_INTEROP_SUITES", "kazoo,java,tools,diff"))
    args = ap.parse_args(argv)
    suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    tally = Tally()

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)  # unwinds through the finally blocks that stop the servers

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    if args.targets == "auto":
        ok, why = zkserver.target_available("hotzk")
        if ok:
            targets = ["hotzk"]
        else:
            targets = ["zk"]
            tally.line("SKIP", "interop@hotzk", "SKIP interop@hotzk: %s; validating the harness against zk" % why)
            print("SKIP interop@hotzk: %s; validating the harness against zk" % why, flush=True)
    else:
        targets = {"zk": ["zk"], "hotzk": ["hotzk"], "both": ["zk", "hotzk"]}[args.targets]
    t0 = time.monotonic()
    for t in targets:
        run_target(tally, t, suites)
    print("interop total %.1fs; failures:" % (time.monotonic() - t0) if tally.failures else
          "interop total %.1fs" % (time.monotonic() - t0), flush=True)
    for f in tally.failures:
        print("  " + f[:300], flush=True)
    summary = "%d passed, %d failed" % (tally.passed, tally.failed)
    if tally.skipped:
        summary += ", %d skipped" % tally.skipped
    print(summary, flush=True)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())
