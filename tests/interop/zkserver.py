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
"""
import argparse
import os
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


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--target", default="zk", choices=["zk", "hotzk"])
    r.add_argument("--template", default="main")
    r.add_argument("command", nargs=argparse.REMAINDER)
    args = ap.parse_args(argv)
    cmd = [c for c in args.command if c != "--"] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("no command given")
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
