#!/usr/bin/env python3
"""Interop runner: start servers per target, run every suite, aggregate PASS/FAIL/SKIP lines.

  /usr/bin/python3 tests/interop/run.py [--targets zk|hotzk|both|auto] [--suites kazoo,java,tools,diff,ensemble]

Targets (also from $HOTZK_INTEROP_TARGETS):
  zk     Apache ZooKeeper 3.8 (Debian packages) - the reference, used to validate the harness
  hotzk  HotZk via ./hotzk server <zoo.cfg>
  both   zk then hotzk
  auto   (default) hotzk when the ./hotzk launcher exists, else zk (with a SKIP line for hotzk)

Per target: one "main" server (conf/main.cfg.tmpl) for the kazoo, java and tools suites, plus one
"ttl" server (extendedTypesEnabled=true) for the Java TTL test. The differential test starts its
own fresh servers: reference zk vs the target (zk-vs-zk for the zk target).
The ensemble suite starts a 3-member ensemble of the target (zkserver.Ensemble), runs the kazoo and Java
suites against its three client endpoints, kazoo/ensemble_sessions.py (a session closed through another
member, every member placement), then the kazoo and Curator failover workloads
(kazoo/failover.py, java/FailoverTests.java) while the leader is SIGKILLed and later restarted.
Last line: "N passed, M failed[, K skipped]"; exit code 1 when M > 0.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import zkserver  # noqa: E402

PY = "/usr/bin/python3"  # Debian's python3 has python3-kazoo; a pyenv/venv python3 on PATH may not
LINE = re.compile(r"^(PASS|FAIL|SKIP) (\S+)")
SUITE_TIMEOUT = {"kazoo": 300, "java": 300, "tools": 420, "diff": 300, "failover": 150}
DEFAULT_SUITES = "kazoo,java,tools,diff,ensemble"


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


def run_suite(tally, label, cmd, timeout, env=None, prefix=""):
    """Run one suite process; echo and count its PASS/FAIL/SKIP lines (renamed with the target label).
    Returns the number of failures (a non-zero exit without a FAIL line counts as one)."""
    print("== %s: %s" % (label, " ".join(cmd)), flush=True)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        out, err = _kill_suite(p)
        out += "\nFAIL %s/<timeout>: suite exceeded %ds\n" % (label, timeout)
    except BaseException:  # SIGTERM/SIGINT of the runner: stop the suite we started, then unwind
        _kill_group(p)
        raise
    return _tally_output(tally, label, prefix, out, err, p.returncode, t0)


def _kill_suite(p):
    os.killpg(p.pid, signal.SIGTERM)
    try:
        return p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        return p.communicate()


def _kill_group(p):
    """For a process whose pipes are read by other threads: SIGTERM its group, SIGKILL after 15 s."""
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 10)):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(wait)
            return
        except subprocess.TimeoutExpired:
            pass


def _tally_output(tally, label, prefix, out, err, returncode, t0):
    seen_fail = 0
    for l in out.splitlines():
        m = LINE.match(l)
        if m:
            kind, name = m.groups()
            l = l.replace(name, "%s:%s%s" % (label.split("@")[1], prefix, name), 1) if "@" in label else l
            tally.line(kind, name, l)
            seen_fail += kind == "FAIL"
            print(l, flush=True)
        elif l.startswith("   "):
            print(l, flush=True)  # diff details / notes
    if returncode != 0 and seen_fail == 0:
        msg = "FAIL %s/<exit>: exit code %s without a FAIL line" % (label, returncode)
        tally.line("FAIL", "%s/<exit>" % label, msg)
        print(msg, flush=True)
        seen_fail = 1
    if seen_fail:
        logdir = os.environ.get("HOTZK_INTEROP_LOGDIR", "/tmp")
        path = os.path.join(logdir, "hotzk-interop-%s.stderr" % label.replace("/", "_").replace("@", "_"))
        with open(path, "w") as f:
            f.write(err or "")
        print("   (stderr of %s saved to %s)" % (label, path), flush=True)
    print("== %s done in %.1fs" % (label, time.monotonic() - t0), flush=True)
    return seen_fail


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
    if "ensemble" in suites:
        run_ensemble(tally, target, dict(os.environ))


def harness_fail(tally, msg):
    tally.line("FAIL", msg, msg)
    print(msg, flush=True)


def run_failover(tally, label, cmd, ens, env, timeout):
    """Run a failover workload (kazoo/failover.py or java FailoverTests) against the ensemble.

    The workload prints READY once its clients are busy; then: ~2 s later the leader is SIGKILLed
    ('kill <server>' on the workload's stdin), a new leader must be elected among the other two,
    ~2 s later the old leader is restarted and must rejoin as a follower ('restarted <server>'),
    ~2 s later 'stop': the workload stops its clients and prints its checks."""
    target = label.split("@")[1]
    what = label.split("@")[0].replace("-", "/")  # failover/kazoo, failover/java: as in the workload's lines
    print("== %s: %s" % (label, " ".join(cmd)), flush=True)
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env=env, start_new_session=True)
    lines, ready, eof = [], threading.Event(), threading.Event()
    errbuf = []

    def pump_out():
        for l in p.stdout:
            lines.append(l)
            if l.strip() == "READY":
                ready.set()
        eof.set()

    def pump_err():
        errbuf.append(p.stderr.read())

    readers = [threading.Thread(target=pump_out, daemon=True), threading.Thread(target=pump_err, daemon=True)]
    for r in readers:
        r.start()

    def send(word):
        try:
            p.stdin.write(word + "\n")
            p.stdin.flush()
        except (BrokenPipeError, OSError):
            pass

    notes = []
    harness_failed = False
    try:
        deadline = time.monotonic() + 60
        while not ready.is_set() and not eof.is_set() and time.monotonic() < deadline:
            ready.wait(0.2)
        if not ready.is_set():
            harness_fail(tally, "FAIL %s:ensemble/%s.<ready>: workload not READY (exit %s)" % (
                target, what, p.poll()))
            harness_failed = True
        else:
            time.sleep(2.0)
            victim = ens.leader()
            if victim is None:
                harness_fail(tally, "FAIL %s:ensemble/%s.<leader>: no single leader before the kill: %s"
                             % (target, what, ens.modes()))
                harness_failed = True
            else:
                sid = ens.members[victim].id
                t_kill = time.monotonic()
                ens.kill(victim)
                send("kill %d" % sid)
                others = [m.index for m in ens.members if m.index != victim]
                try:
                    new = ens.wait_ready(30, members=others)
                    notes.append("leader server.%d killed; server.%d leader after %.2fs"
                                 % (sid, ens.members[new].id, time.monotonic() - t_kill))
                except RuntimeError as e:
                    harness_fail(tally, "FAIL %s:ensemble/%s.<re-election>: %s"
                                 % (target, what, e))
                    harness_failed = True
                time.sleep(2.0)
                t_re = time.monotonic()
                ens.restart(victim)
                try:
                    ens.wait_ready(60)
                    notes.append("server.%d restarted, %s after %.2fs" % (
                        sid, ens.members[victim].mode(), time.monotonic() - t_re))
                except RuntimeError as e:
                    harness_fail(tally, "FAIL %s:ensemble/%s.<rejoin>: %s" % (target, what, e))
                    harness_failed = True
                send("restarted %d" % sid)
                time.sleep(2.0)
        send("stop")
        try:
            p.stdin.close()
        except OSError:
            pass
        try:
            p.wait(timeout=max(10, timeout - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            _kill_group(p)
            lines.append("FAIL %s/<timeout>: workload exceeded %ds\n" % (label, timeout))
    finally:
        if p.poll() is None:
            _kill_group(p)
    for r in readers:
        r.join(10)
    for n in notes:
        print("   %s ensemble/%s: %s" % (target, what, n), flush=True)
    return _tally_output(tally, label, "ensemble/", "".join(lines), "".join(errbuf), p.returncode, t0) + harness_failed


def run_ensemble(tally, target, env_base):
    """The `ensemble` suite: one 3-member ensemble of the target for all four parts."""
    t0 = time.monotonic()
    ens = zkserver.Ensemble(target)
    try:
        try:
            ens.prebuild()  # hotzk: the launcher may build the server first (not counted below)
            t_build = time.monotonic() - t0
            t0 = time.monotonic()
            ens.start()
        except Exception as e:  # noqa
            harness_fail(tally, "FAIL interop@%s/<ensemble-start>: %s" % (target, str(e).replace("\n", " | ")[:3000]))
            return
        print("== %s ensemble on %s (leader server.%d, pids %s, dirs %s) ready in %.1fs%s" % (
            target, ens.connect, ens.leader() + 1, [m.proc.pid for m in ens.members], ens.workdir,
            time.monotonic() - t0, " after a %.1fs build" % t_build if t_build > 2 else ""), flush=True)
        env = dict(env_base, ZK_CONNECT=ens.connect, ZK_TARGET=target)

        def tails_if(failed, what):
            if failed:
                print("   ---- log tails of the %s ensemble after %s:" % (target, what), flush=True)
                for l in ens.log_tails(25).splitlines():
                    print("   " + l, flush=True)
            dead = [m.id for m in ens.members if m.proc is not None and m.proc.poll() is not None]
            if dead:
                harness_fail(tally, "FAIL interop@%s/<ensemble-member-died>: server(s) %s exited during %s"
                             % (target, dead, what))
                for l in ens.log_tails(25).splitlines():
                    print("   " + l, flush=True)
                try:
                    for i in [d - 1 for d in dead]:
                        ens.restart(i)
                    ens.wait_ready(60)
                except RuntimeError as e:
                    harness_fail(tally, "FAIL interop@%s/<ensemble-recover>: %s" % (target, e))

        failed = run_suite(tally, "ensemble-kazoo@" + target, [PY, os.path.join(HERE, "kazoo", "run.py"), ens.connect],
                           SUITE_TIMEOUT["kazoo"], env, prefix="ensemble/")
        tails_if(failed, "the kazoo suite")
        # no --ttl-connect: the ensemble runs with extendedTypesEnabled=false, so java/ttlNodes SKIPs
        failed = run_suite(tally, "ensemble-java@" + target, [os.path.join(HERE, "java", "run.sh"), ens.connect],
                           SUITE_TIMEOUT["java"], env, prefix="ensemble/")
        tails_if(failed, "the Java suite")
        failed = run_suite(tally, "ensemble-sessions@" + target,
                           [PY, os.path.join(HERE, "kazoo", "ensemble_sessions.py"), ens.connect], 120, env,
                           prefix="ensemble/")
        tails_if(failed, "the session-placement checks")
        failed = run_failover(tally, "failover-kazoo@" + target,
                              [PY, os.path.join(HERE, "kazoo", "failover.py"), ens.connect], ens, env,
                              SUITE_TIMEOUT["failover"])
        tails_if(failed, "the kazoo failover workload")
        failed = run_failover(tally, "failover-java@" + target,
                              [os.path.join(HERE, "java", "run.sh"), "--main", "FailoverTests", ens.connect], ens, env,
                              SUITE_TIMEOUT["failover"])
        tails_if(failed, "the Curator failover workload")
    finally:
        ens.cleanup()
        print("== ensemble@%s done in %.1fs" % (target, time.monotonic() - t0), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--targets", default=os.environ.get("HOTZK_INTEROP_TARGETS", "auto"),
                    choices=["zk", "hotzk", "both", "auto"])
    ap.add_argument("--suites", default=os.environ.get("HOTZK_INTEROP_SUITES", DEFAULT_SUITES))
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
