#!/usr/bin/env python3
"""Start/stop a ZooKeeper-compatible server for interop tests.

Targets:
  zk     Apache ZooKeeper 3.8 from the Debian packages (/usr/share/java/zookeeper.jar)
  hotzk  HotZk via the repo launcher: <repo>/hotzk server <zoo.cfg>

Both targets go through the same code path: render a zoo.cfg template (tests/interop/conf/*.cfg.tmpl)
with a free loopback port and a temp dataDir, launch the command in its own process group, poll
`ruok`/`srvr` on 127.0.0.1 until the server answers, and stop it by PID (SIGTERM, then SIGKILL).

CLI (for running one suite by hand):
  zkserver.py run --target zk [--template main] -- <command...>
      starts the server, runs <command> with ZK_CONNECT=127.0.0.1:<port> in the environment
      (and '{connect}' in the arguments replaced), stops the server, exits with the command's code.
  zkserver.py run --target zk --ensemble -- <command...>
      the same against a 3-member ensemble (class Ensemble); {connect} = all three client endpoints.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
CONF_DIR = os.path.join(HERE, "conf")

ZK_JAR = "/usr/share/java/zookeeper.jar"  # its manifest Class-Path pulls in jute, netty, jetty, ...
ZK_CLASSPATH = ":".join([ZK_JAR, "/usr/share/java/slf4j-simple.jar"])


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def four_letter(port, cmd, timeout=5.0):
    """Send a 4lw on a fresh connection, return the full text reply ('' on connection failure)."""
    if isinstance(cmd, str):
        cmd = cmd.encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(cmd)
            chunks = []
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
            return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return ""


def target_command(target, cfg_path):
    if target == "zk":
        return ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dzookeeper.admin.enableServer=false",
                # JVM-only knobs (zk-protocol.md §11): a zoo.cfg line would have no effect on Apache.
                "-Dznode.container.checkIntervalMs=1000",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-cp", ZK_CLASSPATH, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg_path]
    if target == "hotzk":
        return [os.path.join(REPO, "hotzk"), "server", cfg_path]
    raise ValueError("unknown target %r" % target)


def target_available(target):
    """(ok, reason). zk needs java + the jar; hotzk needs the ./hotzk launcher."""
    if target == "zk":
        if not os.path.exists(ZK_JAR):
            return False, ZK_JAR + " missing (apt-get install zookeeper)"
        return True, ""
    if target == "hotzk":
        launcher = os.path.join(REPO, "hotzk")
        if not os.access(launcher, os.X_OK):
            return False, "launcher %s does not exist (yet)" % launcher
        return True, ""
    return False, "unknown target %r" % target


class Server:
    def __init__(self, target, template="main", workdir=None, ready_timeout=None):
        self.target = target
        self.template = template
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="hotzk-interop-%s-%s-" % (target, template))
        # hotzk may build itself on first start (dotnet build -c Release): allow more time.
        self.ready_timeout = ready_timeout or (60 if target == "zk" else 420)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.workdir, "server.log")

    @property
    def connect(self):
        return "127.0.0.1:%d" % self.port

    def _render(self, port):
        data_dir = os.path.join(self.workdir, "data")
        os.makedirs(data_dir, exist_ok=True)
        with open(os.path.join(CONF_DIR, self.template + ".cfg.tmpl")) as f:
            text = f.read()
        text = text.replace("@PORT@", str(port)).replace("@DATADIR@", data_dir)
        cfg = os.path.join(self.workdir, "zoo.cfg")
        with open(cfg, "w") as f:
            f.write(text)
        return cfg

    def start(self):
        last_err = None
        for _attempt in range(3):  # a free port can be stolen between probe and bind: retry
            port = free_port()
            cfg = self._render(port)
            logf = open(self.log_path, "ab")
            cwd = REPO if self.target == "hotzk" else self.workdir
            self.proc = subprocess.Popen(target_command(self.target, cfg), stdout=logf,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         cwd=cwd, start_new_session=True)
            logf.close()
            self.port = port
            deadline = time.monotonic() + self.ready_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    last_err = "server exited with code %s" % self.proc.returncode
                    break
                if four_letter(port, "ruok", 1.0) == "imok" and "Mode:" in four_letter(port, "srvr", 2.0):
                    return self
                time.sleep(0.25)
            else:
                last_err = "not ready within %ds" % self.ready_timeout
            self.stop()
        raise RuntimeError("%s server did not start: %s; log tail:\n%s"
                           % (self.target, last_err, self.log_tail()))

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self):
        """Stop by PID: SIGTERM to the process group we created, SIGKILL after 15 s."""
        p = self.proc
        if p is None:
            return
        self.proc = None
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(10)

    def cleanup(self):
        self.stop()
        if self.own_workdir and not os.environ.get("HOTZK_INTEROP_KEEP"):
            subprocess.call(["rm", "-rf", self.workdir])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


# ------------------------------------------------------------------------------------------- ensembles

def free_ports(n):
    """n distinct free loopback ports (all probe sockets are held open together, so no duplicates)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def server_mode(port, timeout=2.0):
    """'leader' | 'follower' | 'observer' | 'standalone' from `srvr`, 'not-serving' when the member
    answers but is electing, None when nothing answers."""
    out = four_letter(port, "srvr", timeout)
    for line in out.splitlines():
        if line.startswith("Mode:"):
            return line.split(":", 1)[1].strip()
    if "not currently serving" in out:
        return "not-serving"
    return None


HOTZK_BIN = os.path.join(REPO, "host", "HotZk.Server", "bin", "Release", "net10.0")  # what ./hotzk server runs


def ensemble_command(target, cfg_path, server_dll=None):
    if target == "hotzk" and server_dll:
        return ["dotnet", server_dll, "server", cfg_path]  # the launcher's own exec line, on a private copy
    if target == "zk":
        return ["java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dzookeeper.admin.enableServer=false",
                "-Dznode.container.checkIntervalMs=1000",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", ZK_CLASSPATH, "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg_path]
    return target_command(target, cfg_path)


class Member:
    """One ensemble participant: <workdir>/s<id>/{zoo.cfg,server.log,data/myid}."""

    def __init__(self, ensemble, index, client_port, quorum_port, election_port):
        self.ensemble = ensemble
        self.index = index          # 0-based position in Ensemble.members
        self.id = index + 1         # myid / server.N
        self.client_port = client_port
        self.quorum_port = quorum_port
        self.election_port = election_port
        self.dir = os.path.join(ensemble.workdir, "s%d" % self.id)
        self.data_dir = os.path.join(self.dir, "data")
        self.cfg_path = os.path.join(self.dir, "zoo.cfg")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        self.starts = 0

    @property
    def connect(self):
        return "127.0.0.1:%d" % self.client_port

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def mark(self, text):
        """Append a harness line to the member's log (the server appends to the same file)."""
        with open(self.log_path, "ab") as f:
            f.write(("===== harness %s: %s =====\n" % (time.strftime("%H:%M:%S"), text)).encode())

    def start(self):
        if self.running:
            raise RuntimeError("member %d already running" % self.id)
        self.starts += 1
        self.mark("start #%d of server %d" % (self.starts, self.id))
        logf = open(self.log_path, "ab")
        cwd = REPO if self.ensemble.target == "hotzk" else self.dir
        self.proc = subprocess.Popen(ensemble_command(self.ensemble.target, self.cfg_path, self.ensemble.server_dll),
                                     stdout=logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd,
                                     start_new_session=True)
        logf.close()

    def kill(self):
        """SIGKILL to the process group we created for this member (pgid == the pid we started)."""
        p = self.proc
        if p is None:
            return
        self.proc = None
        if p.poll() is None:
            self.mark("kill -9 of server %d (pid %d)" % (self.id, p.pid))
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        p.wait(15)

    def stop(self):
        """SIGTERM to our process group, SIGKILL after 15 s."""
        p = self.proc
        if p is None:
            return
        self.proc = None
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(10)

    def mode(self):
        return server_mode(self.client_port) if self.running else None

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


class Ensemble:
    """A 3-participant (by default) ensemble on loopback for target zk (QuorumPeerMain) or hotzk.

    Member i (0-based) has myid i+1, its own dataDir/zoo.cfg/server.log under workdir/s<i+1>.
    zoo.cfg: tickTime 500, initLimit 10, syncLimit 5, 4lw whitelist *, the session-timeout bounds of
    conf/main.cfg.tmpl (4 s .. 40 s, so the single-server suites see the same negotiated timeouts),
    and server.N=127.0.0.1:<quorumPort>:<electionPort> for every member.
    """

    def __init__(self, target, size=3, tick_time=500, workdir=None, ready_timeout=None):
        self.target = target
        self.size = size
        self.tick_time = tick_time
        self.own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="hotzk-interop-ensemble-%s-" % target)
        self.ready_timeout = ready_timeout or 60
        self.build_timeout = 420  # hotzk: the launcher may build the server first
        self.members = []
        self.built = False
        self.server_dll = None

    @property
    def connect(self):
        return ",".join(m.connect for m in self.members)

    def _layout(self):
        ports = free_ports(3 * self.size)
        self.members = [Member(self, i, *ports[3 * i:3 * i + 3]) for i in range(self.size)]
        servers = "".join("server.%d=127.0.0.1:%d:%d\n" % (m.id, m.quorum_port, m.election_port)
                          for m in self.members)
        for m in self.members:
            os.makedirs(m.data_dir, exist_ok=True)
            with open(os.path.join(m.data_dir, "myid"), "w") as f:
                f.write("%d\n" % m.id)
            with open(m.cfg_path, "w") as f:
                f.write("# interop ensemble member %d (tests/interop/zkserver.py)\n"
                        "tickTime=%d\ninitLimit=10\nsyncLimit=5\n"
                        "dataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"
                        "maxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=*\n"
                        "minSessionTimeout=4000\nmaxSessionTimeout=40000\n"
                        "znode.container.checkIntervalMs=1000\n%s"
                        % (m.id, self.tick_time, m.data_dir, m.client_port, servers))

    def prebuild(self):
        """hotzk: build once through the launcher (`hotzk logdump` builds if stale, then prints its
        usage), then copy the build output into the workdir: every member start and restart runs that
        same binary (`dotnet <copy>/hotzk-server.dll server zoo.cfg`, what the launcher execs), even if
        the tree changes meanwhile; the launcher would rebuild a stale tree inside a restart and stall it.
        start() calls it."""
        if self.target != "hotzk" or self.built:
            return
        r = subprocess.run([os.path.join(REPO, "hotzk"), "logdump"], cwd=REPO, capture_output=True,
                           text=True, timeout=self.build_timeout)
        if "usage" not in (r.stdout + r.stderr).lower():
            raise RuntimeError("hotzk build via the launcher failed (rc %s): %s"
                               % (r.returncode, (r.stdout + r.stderr)[-1500:]))
        copy = os.path.join(self.workdir, "server-bin")
        shutil.copytree(HOTZK_BIN, copy)
        self.server_dll = os.path.join(copy, "hotzk-server.dll")
        self.built = True

    def start(self):
        self.prebuild()
        last_err = None
        for attempt in range(2):  # a probed port can be taken before a member binds it: retry once
            self._layout()
            for m in self.members:
                m.start()
            try:
                self.wait_ready(self.ready_timeout)
                return self
            except RuntimeError as e:
                last_err = e
                dead = [m for m in self.members if not m.running]
                for m in self.members:
                    m.stop()
                if not dead:
                    break  # every member ran but no quorum formed: a real failure, no retry
                if attempt == 0:
                    subprocess.call(["rm", "-rf"] + [m.dir for m in self.members])
        raise RuntimeError("%s ensemble did not form: %s\n%s" % (self.target, last_err, self.log_tails()))

    def modes(self):
        """Mode per member (None for a stopped or silent member)."""
        return [m.mode() for m in self.members]

    def leader(self):
        """0-based index of the member reporting Mode: leader, or None."""
        ms = self.modes()
        return ms.index("leader") if ms.count("leader") == 1 else None

    def wait_ready(self, timeout=60.0, members=None):
        """Wait until exactly one of the running members (or `members`, a list of indexes) is leader and
        every other one follower; returns the leader's index."""
        deadline = time.monotonic() + timeout
        ms = None
        while True:
            idx = members if members is not None else [m.index for m in self.members if m.running]
            dead = [i for i in idx if not self.members[i].running]
            if dead:
                raise RuntimeError("member(s) %s exited (codes %s)" % (
                    [self.members[i].id for i in dead],
                    [self.members[i].proc.returncode if self.members[i].proc else None for i in dead]))
            ms = [self.members[i].mode() for i in idx]
            if idx and ms.count("leader") == 1 and ms.count("follower") == len(idx) - 1:
                return idx[ms.index("leader")]
            if time.monotonic() >= deadline:
                raise RuntimeError("no single leader within %.0fs; modes %s" % (
                    timeout, dict(("server.%d" % self.members[i].id, m) for i, m in zip(idx, ms))))
            time.sleep(0.1)

    def kill(self, i):
        self.members[i].kill()

    def restart(self, i):
        m = self.members[i]
        if m.running:
            m.kill()
        m.start()

    def stop(self):
        for m in self.members:
            m.stop()

    def log_tail(self, n=30):
        return self.log_tails(n)

    def log_tails(self, n=30):
        parts = []
        for m in self.members:
            parts.append("---- server.%d (%s, %s) %s\n%s" % (
                m.id, m.connect, "pid %d" % m.proc.pid if m.running else "down", m.log_path, m.log_tail(n)))
        return "\n".join(parts)

    def cleanup(self):
        self.stop()
        if self.own_workdir and not os.environ.get("HOTZK_INTEROP_KEEP"):
            subprocess.call(["rm", "-rf", self.workdir])

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


def run_with_ensemble(target, cmd):
    ens = Ensemble(target)

    def on_signal(signum, _frame):
        ens.cleanup()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        ens.start()
        env = dict(os.environ, ZK_CONNECT=ens.connect, ZK_TARGET=target)
        print("[zkserver] %s ensemble on %s, leader server.%d, dirs under %s"
              % (target, ens.connect, ens.leader() + 1, ens.workdir), file=sys.stderr)
        return subprocess.call([c.replace("{connect}", ens.connect) for c in cmd], env=env)
    finally:
        ens.cleanup()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--target", default="zk", choices=["zk", "hotzk"])
    r.add_argument("--template", default="main")
    r.add_argument("--ensemble", action="store_true",
                   help="start a 3-member ensemble instead (ZK_CONNECT lists all three client ports)")
    r.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = [c for c in args.command if c != "--"] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command given")
    if args.ensemble:
        return run_with_ensemble(args.target, cmd)
    srv = Server(args.target, args.template)

    def on_signal(signum, _frame):
        srv.cleanup()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        srv.start()
        env = dict(os.environ, ZK_CONNECT=srv.connect, ZK_PORT=str(srv.port), ZK_TARGET=args.target)
        print("[zkserver] %s (%s) on %s pid %d" % (args.target, args.template, srv.connect, srv.proc.pid),
              file=sys.stderr)
        return subprocess.call([c.replace("{connect}", srv.connect) for c in cmd], env=env)
    finally:
        srv.cleanup()


if __name__ == "__main__":
    sys.exit(main())
