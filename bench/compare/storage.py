#!/usr/bin/env python3
"""Storage figures of issue 3, HotZk vs Apache ZooKeeper 3.8 side by side on loopback.

Run through bench/compare/storage.sh (which builds and copies fixed binaries). Measures, alternating
the two servers phase by phase (both servers stay up on their own ports, only one is worked at a time):

  1. memory: populate 1,000,000 znodes of 100 B (loadgen `populate`), settle 10 s, VmRSS;
  2. restart-to-serving with that data: SIGTERM -> start, SIGKILL -> start, timed from the spawn of
     the server process until `ruok` answers AND a getData of the znode written last (a marker set
     just before the stop) returns that value; recovery log lines are captured;
  3. setData p99/p99.9 (32 sessions x 16 outstanding, 1 KiB, 20 s) without a snapshot in the window
     (snapCount so large none can trigger) and with snapshots of the 1M-node tree inside the window
     (snapCount = 8 s of that server's own no-snapshot throughput: a snapshot every 4-8 s), two rounds
     each; snapshot files are watched during the window and server log lines are timestamped.

Every wait is bounded; only processes started here are signalled, by PID. Writes a JSON with every
raw figure and prints a summary. No third-party Python modules.
"""
import argparse
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop", "diff"))
import rawzk  # noqa: E402

T0 = time.monotonic()
INCIDENTS = []
ZK_JAR = "/usr/share/java/zookeeper.jar"


def now():
    return time.monotonic()


def log(msg):
    print(f"[{now() - T0:7.1f}s] {msg}", flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def proc_status(pid):
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                    out[k] = int(v.split()[0]) if k != "Threads" else int(v.strip())
    except OSError:
        pass
    return out  # kB


def proc_cpu_sec(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None


def four_letter(port, cmd, timeout=2.0):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(cmd.encode())
        chunks = []
        deadline = now() + timeout
        while now() < deadline:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
        return b"".join(chunks).decode(errors="replace")


def mntr(port):
    try:
        out = four_letter(port, "mntr", 5.0)
    except OSError:
        return {}
    d = {}
    for line in out.splitlines():
        parts = line.split("\t")
        if len(parts) == 2:
            d[parts[0]] = parts[1]
    return d


class Server:
    """One server process (HotZk or ZooKeeper) with a timestamped capture of its output."""

    def __init__(self, name, args, base):
        self.name = name
        self.a = args
        self.port = free_port()
        self.dir = os.path.join(base, name)
        self.data = os.path.join(self.dir, "data")
        os.makedirs(self.data, exist_ok=True)
        self.proc = None
        self.lines = []  # (t_monotonic, line)
        self.start_t = None
        self.starts = 0
        self.logf = open(os.path.join(self.dir, "server.log"), "a")

    def cfg(self, snap_count):
        lines = ["tickTime=2000", f"dataDir={self.data}", f"clientPort={self.port}", "clientPortAddress=127.0.0.1",
                 "forceSync=yes", "maxClientCnxns=0", "4lw.commands.whitelist=*", f"snapCount={snap_count}"]
        if self.name == "zk":
            lines.append("admin.enableServer=false")
        path = os.path.join(self.dir, f"zoo-{snap_count}.cfg")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def command(self, cfg):
        if self.name == "hotzk":
            return ["dotnet", self.a.hotzk_dll, "server", cfg]
        return ["java", f"-Xmx{self.a.zk_heap}", "-Dzookeeper.admin.enableServer=false",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS",
                "-cp", ZK_JAR + ":/usr/share/java/slf4j-simple.jar",
                "org.apache.zookeeper.server.ZooKeeperServerMain", cfg]

    def _reader(self, proc):
        for raw in proc.stdout:
            t = now()
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append((t, line))
            self.logf.write(f"{t - T0:9.3f} {line}\n")
            self.logf.flush()

    def start(self, snap_count):
        cfg = self.cfg(snap_count)
        self.cmdline = self.command(cfg)
        self.lines_from = len(self.lines)
        self.start_t = now()
        self.proc = subprocess.Popen(self.cmdline, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        self.starts += 1
        self.logf.write(f"{now() - T0:9.3f} ==== start #{self.starts} pid {self.proc.pid}: {' '.join(self.cmdline)}\n")
        threading.Thread(target=self._reader, args=(self.proc,), daemon=True).start()
        return self.start_t

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig, timeout=60.0):
        """Signals our own child by PID; returns seconds until it exited."""
        t = now()
        os.kill(self.proc.pid, sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            INCIDENTS.append(f"{self.name}: did not exit {timeout:.0f} s after signal {sig}; SIGKILL")
            os.kill(self.proc.pid, signal.SIGKILL)
            rc = self.proc.wait(30)
        took = round(now() - t, 3)
        time.sleep(0.3)  # let the reader drain the pipe
        return {"signal": signal.Signals(sig).name, "exit_sec": took, "rc": rc}

    def lines_since(self, t):
        return [(round(tt - self.start_t, 3), l) for tt, l in self.lines if tt >= t]

    def snap_dir(self):
        return os.path.join(self.data, "hotzk-snap") if self.name == "hotzk" else os.path.join(self.data, "version-2")

    def snap_files(self):
        d = self.snap_dir()
        pref = "snap." if self.name == "hotzk" else "snapshot."
        try:
            return {f: os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if f.startswith(pref)}
        except OSError:
            return {}

    def disk_usage(self):
        total = 0
        for root, _, files in os.walk(self.data):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        return total


def probe_serving(srv, marker, expect, deadline_sec):
    """Polls until ruok answers imok, then until getData(marker) == expect. Times from srv.start_t."""
    t_end = srv.start_t + deadline_sec
    t_ruok = t_ready = None
    attempts = 0
    while now() < t_end and t_ruok is None:
        if not srv.alive():
            return {"error": f"process exited rc={srv.proc.returncode}"}
        attempts += 1
        try:
            if four_letter(srv.port, "ruok", 1.0).strip() == "imok":
                t_ruok = now()
                break
        except OSError:
            pass
        time.sleep(0.01)
    conn = None
    while t_ruok is not None and now() < t_end:
        if not srv.alive():
            return {"error": f"process exited rc={srv.proc.returncode}"}
        attempts += 1
        try:
            conn = rawzk.RawConn(srv.port)
            r = conn.connect()
            if r.get("sessionId"):
                rep = conn.call(rawzk.OP["getData"], rawzk.path_watch(marker), timeout=5.0)
                if isinstance(rep, rawzk.Reply) and rep.err == 0:
                    data = rep.r().buf()
                    if expect is None or data == expect:
                        t_ready = now()
                        conn.close_session()
                        break
                    INCIDENTS.append(f"{srv.name}: {marker} read {data!r} after restart, expected {expect!r}")
                    return {"error": "marker has the wrong value", "got": repr(data)}
        except (OSError, rawzk.Closed, struct.error):
            pass
        finally:
            if conn is not None and t_ready is None:
                conn.close()
        time.sleep(0.01)
    if t_ready is None:
        return {"error": f"not serving within {deadline_sec} s", "ruok_sec": None if t_ruok is None else round(t_ruok - srv.start_t, 3)}
    return {"ruok_sec": round(t_ruok - srv.start_t, 3), "serving_sec": round(t_ready - srv.start_t, 3), "probe_attempts": attempts}


def set_marker(srv, value):
    conn = rawzk.RawConn(srv.port)
    conn.connect()
    rep = conn.call(rawzk.OP["setData"], rawzk.set_data_body("/bench/marker", value))
    if isinstance(rep, rawzk.Reply) and rep.err == -101:
        rep = conn.call(rawzk.OP["create"], rawzk.create_body("/bench/marker", value))
    conn.close_session()
    if not isinstance(rep, rawzk.Reply) or rep.err != 0:
        raise RuntimeError(f"{srv.name}: writing /bench/marker failed: {rep if not isinstance(rep, rawzk.Reply) else rep.err}")
    return rep.zxid


RECOVERY_PATTERNS = re.compile(
    r"recovered to zxid|loaded snapshot|Snapshot loaded in|txns loaded in|Snapshotting|Snapshot taken in|"
    r"Reading snapshot|binding to port|snapshot 0x|unreadable|truncat|corrupt|ERROR|WARN .*(log|snap)", re.I)


def run_loadgen(a, srv, args, json_path, timeout):
    cmd = ["dotnet", a.loadgen_dll, "--connect", f"127.0.0.1:{srv.port}"] + args + ["--json", json_path]
    t = now()
    lines = []
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    def rd():
        for raw in p.stdout:
            lines.append((now(), raw.decode(errors="replace").rstrip("\n")))
    th = threading.Thread(target=rd, daemon=True)
    th.start()
    try:
        rc = p.wait(timeout)
    except subprocess.TimeoutExpired:
        INCIDENTS.append(f"loadgen against {srv.name} exceeded {timeout} s: {' '.join(args)}; SIGKILL")
        os.kill(p.pid, signal.SIGKILL)
        rc = p.wait(30)
    th.join(5)
    res = None
    if os.path.exists(json_path):
        with open(json_path) as f:
            res = json.load(f)
    if rc != 0:
        INCIDENTS.append(f"loadgen against {srv.name} exited {rc}: {' '.join(args)}; last output: {[l for _, l in lines[-5:]]}")
    return {"cmd": cmd, "rc": rc, "t_start": t, "t_end": now(), "lines": lines, "result": res}


def summarize_lg(lg):
    r = lg["result"] or {}
    a = r.get("All", {})
    return {"ops": r.get("Ops"), "errors": r.get("Errors"), "ops_per_sec": round(r.get("OpsPerSec", 0), 1),
            "elapsed_sec": r.get("ElapsedSec"), "p50_us": a.get("P50Us"), "p90_us": a.get("P90Us"),
            "p99_us": a.get("P99Us"), "p999_us": a.get("P999Us"), "p9999_us": a.get("P9999Us"),
            "max_us": a.get("MaxUs"), "sessions_lost": r.get("SessionsLost"), "failures": r.get("Failures", [])[:5],
            "errors_by_code": a.get("ErrorsByCode"), "loadgen_rc": lg["rc"]}


# ---------------------------------------------------------------------------------------------- phases
def phase_fresh_start(a, srv, rec):
    t = srv.start(a.populate_snapcount)
    p = probe_serving(srv, "/", None, 120)
    rec["fresh_start"] = {"loadavg": loadavg(), **p, "note": "empty data dir: process spawn -> ruok + getData('/')"}
    log(f"{srv.name}: fresh start serving in {p.get('serving_sec')} s (load {loadavg()})")


def phase_populate(a, srv, rec):
    la = loadavg()
    lg = run_loadgen(a, srv, ["--workload", "populate", "--ops", str(a.nodes), "--value-size", "100",
                              "--sessions", "32", "--outstanding", "16", "--warmup", "0", "--duration", str(a.populate_timeout - 30),
                              "--quiet"], os.path.join(srv.dir, "populate.json"), a.populate_timeout)
    s = summarize_lg(lg)
    zxid = set_marker(srv, b"populate-last")
    log(f"{srv.name}: populated {s['ops']} znodes at {s['ops_per_sec']} creates/s; settling {a.settle} s")
    time.sleep(a.settle)
    m = mntr(srv.port)
    st = proc_status(srv.pid)
    rec["populate"] = {"loadavg_start": la, "loadavg_end": loadavg(), "creates": s, "marker_zxid": hex(zxid),
                       "znode_count": int(m.get("zk_znode_count", 0)) or None,
                       "approx_data_size": int(m.get("zk_approximate_data_size", 0)) or None,
                       "rss_kb": st.get("VmRSS"), "hwm_kb": st.get("VmHWM"), "rss_anon_kb": st.get("RssAnon"),
                       "rss_file_kb": st.get("RssFile"), "threads": st.get("Threads"), "cpu_sec": proc_cpu_sec(srv.pid),
                       "data_dir_bytes": srv.disk_usage(), "snapshot_files": srv.snap_files(),
                       "settle_sec": a.settle}
    log(f"{srv.name}: znodes {rec['populate']['znode_count']}, VmRSS {st.get('VmRSS', 0) / 1024:.0f} MiB (load {loadavg()})")


def phase_restart(a, srv, rec, label, sig, next_snapcount):
    marker = f"{label}-{time.time_ns()}".encode()
    zxid = set_marker(srv, marker)
    snaps_before = srv.snap_files()
    rss_before = proc_status(srv.pid).get("VmRSS")
    stop = srv.stop(sig)
    la = loadavg()
    t = srv.start(next_snapcount)
    p = probe_serving(srv, "/bench/marker", marker, a.restart_timeout)
    time.sleep(0.3)
    recov = [l for _, l in srv.lines_since(t) if RECOVERY_PATTERNS.search(l)][:40]
    replayed = None
    for l in recov:
        mm = re.search(r"\+ (\d+) txns from the log", l) or re.search(r"(\d+) txns loaded in", l)
        if mm:
            replayed = int(mm.group(1))
    entry = {"label": label, "stop": stop, "loadavg": la, "loadavg_after": loadavg(), "marker_zxid": hex(zxid), **p,
             "txns_replayed": replayed, "snapshot_files_at_stop": snaps_before, "rss_before_stop_kb": rss_before,
             "rss_after_start_kb": proc_status(srv.pid).get("VmRSS") if srv.alive() else None,
             "data_dir_bytes": srv.disk_usage(), "snap_count_after": next_snapcount, "recovery_log": recov,
             "pid": srv.pid}
    if "error" in p:
        INCIDENTS.append(f"{srv.name}: restart '{label}' ({stop['signal']}): {p['error']}; server log tail: "
                         f"{[l for _, l in srv.lines_since(t)[-8:]]}")
    rec.setdefault("restarts", []).append(entry)
    log(f"{srv.name}: restart {label} ({stop['signal']}, exit {stop['exit_sec']} s): ruok {p.get('ruok_sec')} s, "
        f"serving {p.get('serving_sec')} s, replayed {replayed} (load {la})")


def phase_window(a, srv, rec, label):
    st0 = proc_status(srv.pid)
    cpu0 = proc_cpu_sec(srv.pid)
    la = loadavg()
    t = now()
    events = []
    stop_ev = threading.Event()

    def watch():  # snapshot files: first seen / final size, every 100 ms, bounded by the loadgen timeout
        seen = dict(srv.snap_files())
        started = {f.removesuffix(".tmp") for f in seen}
        end = now() + a.window_timeout
        while not stop_ev.is_set() and now() < end:
            cur = srv.snap_files()
            for f, size in cur.items():
                if f not in seen and f.removesuffix(".tmp") not in started:
                    started.add(f.removesuffix(".tmp"))
                    events.append({"file": f.removesuffix(".tmp"), "first_seen_sec": round(now() - t, 2)})
                if size != seen.get(f):
                    for e in events:
                        if e.get("file") == f.removesuffix(".tmp") and "first_seen_sec" in e:
                            e["last_growth_sec"] = round(now() - t, 2)
                            e["bytes"] = size
            for f in list(seen):
                if f not in cur and not f.endswith(".tmp"):
                    events.append({"removed": f, "removed_sec": round(now() - t, 2)})
            seen = dict(cur)
            time.sleep(0.1)
        for e in events:
            if "file" in e and e["file"] in seen:
                e["bytes"] = seen[e["file"]]

    wt = threading.Thread(target=watch, daemon=True)
    wt.start()
    lg = run_loadgen(a, srv, ["--workload", "setdata", "--sessions", "32", "--outstanding", "16", "--value-size", "1024",
                              "--keys", "1000", "--warmup", str(a.warmup), "--duration", str(a.duration), "--quiet"],
                     os.path.join(srv.dir, f"window-{label}.json"), a.window_timeout)
    stop_ev.set()
    wt.join(5)
    s = summarize_lg(lg)
    # measured window: duration seconds ending at the end of the measurement (before the drain)
    m_end = lg["t_end"] - t
    m_start = max(0.0, m_end - s["elapsed_sec"] - 1.0) if s["elapsed_sec"] else None
    snap_lines = [(round(tt - t, 2), l) for tt, l in srv.lines if tt >= t and re.search(r"snapshot|Snapshotting|Snapshot taken|Too busy|fsync-ing|Creating new log", l, re.I)]
    cpu1 = proc_cpu_sec(srv.pid)
    st1 = proc_status(srv.pid)
    entry = {"label": label, "loadavg_start": la, "loadavg_end": loadavg(), **s,
             "loadgen_wall_sec": round(lg["t_end"] - t, 2), "approx_measured_window_sec": [round(m_start, 1) if m_start is not None else None, round(m_end, 1)],
             "snapshot_file_events": events, "server_log_lines": snap_lines[:60],
             "server_cpu_sec": None if cpu0 is None or cpu1 is None else round(cpu1 - cpu0, 2),
             "rss_kb_start": st0.get("VmRSS"), "rss_kb_end": st1.get("VmRSS"), "server_alive": srv.alive()}
    snaps_in = [e for e in events if "first_seen_sec" in e and m_start is not None and m_start <= e["first_seen_sec"] <= m_end]
    logged = [x for x in snap_lines if m_start is not None and m_start <= x[0] <= m_end and re.search(r"written|Snapshotting|Snapshot taken", x[1])]
    entry["snapshots_started_in_window"] = len(snaps_in)
    entry["snapshot_log_lines_in_window"] = len(logged)
    rec.setdefault("windows", []).append(entry)
    if not srv.alive():
        INCIDENTS.append(f"{srv.name}: server exited during window {label}; log tail {[l for _, l in srv.lines[-8:]]}")
    log(f"{srv.name}: {label}: {s['ops_per_sec']} ops/s p99 {s['p99_us']} us p99.9 {s['p999_us']} us, "
        f"snapshot files started in window {len(snaps_in)}, log lines {len(logged)} (load {la} -> {loadavg()})")
    return entry


# ---------------------------------------------------------------------------------------------- main
def fingerprint(a):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=30).stdout.strip()
        except subprocess.TimeoutExpired:
            return None
    cpu = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2")
    return {"cores": os.cpu_count(), "cpu": cpu, "kernel": os.uname().release,
            "mem_total": sh("grep MemTotal /proc/meminfo"),
            "dotnet": sh("dotnet --version"), "java": sh("java -version 2>&1 | head -1"),
            "zookeeper_jar": os.path.realpath(ZK_JAR),
            "hotzk_commit": sh(f"git -C {a.repo} rev-parse --short HEAD"),
            "hotzk_tree_dirty_files": sh(f"git -C {a.repo} status --short -- engine host net | wc -l"),
            "loadavg_start": loadavg(), "started_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "data_dir_fs": sh(f"df -T {a.base} | tail -1")}


def ratio(x, y):
    return None if not x or not y else round(x / y, 3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hotzk-dll", required=True)
    ap.add_argument("--loadgen-dll", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--settle", type=float, default=10)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--zk-heap", default="2g")
    ap.add_argument("--populate-snapcount", type=int, default=100000, help="snapCount while populating (the default)")
    ap.add_argument("--nosnap-snapcount", type=int, default=50_000_000)
    ap.add_argument("--snap-every-sec", type=float, default=8.0, help="with-snapshot snapCount = this x own no-snapshot ops/s")
    ap.add_argument("--populate-timeout", type=int, default=400)
    ap.add_argument("--restart-timeout", type=int, default=180)
    ap.add_argument("--window-timeout", type=int, default=120)
    a = ap.parse_args()

    def on_term(signum, _frame):  # `timeout` in storage.sh: stop our servers (finally below), then exit
        raise SystemExit(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_term)

    fp = fingerprint(a)
    log(f"fingerprint: {fp}")
    servers = {"hotzk": Server("hotzk", a, a.base), "zk": Server("zk", a, a.base)}
    rec = {n: {"port": s.port} for n, s in servers.items()}
    order = [["hotzk", "zk"], ["zk", "hotzk"]]
    try:
        for n in order[0]:
            phase_fresh_start(a, servers[n], rec[n])
        for n in order[0]:
            phase_populate(a, servers[n], rec[n])
        for n in order[1]:
            phase_restart(a, servers[n], rec[n], "after-populate-sigterm", signal.SIGTERM, a.populate_snapcount)
        for n in order[0]:
            phase_restart(a, servers[n], rec[n], "after-populate-sigkill", signal.SIGKILL, a.populate_snapcount)
        for n in order[1]:
            phase_restart(a, servers[n], rec[n], "after-populate-sigterm-2", signal.SIGTERM, a.nosnap_snapcount)
        for n in order[0]:
            phase_window(a, servers[n], rec[n], "nosnap-1")
        snapc = {}
        for n in order[1]:
            w = rec[n]["windows"][-1]
            snapc[n] = max(2000, int(round((w["ops_per_sec"] or 0) * a.snap_every_sec, -3)))
            rec[n]["with_snapshot_snapcount"] = snapc[n]
            phase_restart(a, servers[n], rec[n], "after-nosnap-window-sigterm", signal.SIGTERM, snapc[n])
        for n in order[1]:
            phase_window(a, servers[n], rec[n], "snap-1")
        for n in order[0]:
            phase_window(a, servers[n], rec[n], "snap-2")
        for n in order[1]:
            phase_restart(a, servers[n], rec[n], "after-snap-windows-sigterm", signal.SIGTERM, a.nosnap_snapcount)
        for n in order[1]:
            phase_window(a, servers[n], rec[n], "nosnap-2")
    except (Exception, SystemExit) as e:  # record what happened, then stop our servers
        INCIDENTS.append(f"run aborted: {type(e).__name__}: {e}")
        log(f"ABORTED: {e}")
    finally:
        for s in servers.values():
            if s.alive():
                s.stop(signal.SIGTERM, 60)

    # ------------------------------------------------------------------ summary
    h, z = rec["hotzk"], rec["zk"]
    summary = {}
    try:
        summary["memory"] = {"hotzk_rss_mib": round(h["populate"]["rss_kb"] / 1024, 1),
                             "zk_rss_mib": round(z["populate"]["rss_kb"] / 1024, 1),
                             "ratio_hotzk_over_zk": ratio(h["populate"]["rss_kb"], z["populate"]["rss_kb"]),
                             "target": "<= 0.333"}
    except (KeyError, TypeError):
        pass
    rs = {}
    for label in ["after-populate-sigterm", "after-populate-sigkill", "after-populate-sigterm-2",
                  "after-nosnap-window-sigterm", "after-snap-windows-sigterm"]:
        hh = next((r for r in h.get("restarts", []) if r["label"] == label), None)
        zz = next((r for r in z.get("restarts", []) if r["label"] == label), None)
        if hh and zz:
            rs[label] = {"hotzk_serving_sec": hh.get("serving_sec"), "zk_serving_sec": zz.get("serving_sec"),
                         "ratio": ratio(hh.get("serving_sec"), zz.get("serving_sec")),
                         "hotzk_txns_replayed": hh.get("txns_replayed"), "zk_txns_replayed": zz.get("txns_replayed"),
                         "loadavg_hotzk": hh["loadavg"], "loadavg_zk": zz["loadavg"]}
    summary["restart"] = rs
    summary["restart_fresh_empty"] = {"hotzk_serving_sec": h.get("fresh_start", {}).get("serving_sec"),
                                      "zk_serving_sec": z.get("fresh_start", {}).get("serving_sec")}
    snapsum = {}
    for n, r in (("hotzk", h), ("zk", z)):
        ws = r.get("windows", [])
        no = [w for w in ws if w["label"].startswith("nosnap")]
        wi = [w for w in ws if w["label"].startswith("snap")]
        def med(xs):
            xs = sorted(x for x in xs if x is not None)
            return None if not xs else (xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2)
        snapsum[n] = {"nosnap_p99_us": [w["p99_us"] for w in no], "nosnap_p999_us": [w["p999_us"] for w in no],
                      "snap_p99_us": [w["p99_us"] for w in wi], "snap_p999_us": [w["p999_us"] for w in wi],
                      "nosnap_ops_per_sec": [w["ops_per_sec"] for w in no], "snap_ops_per_sec": [w["ops_per_sec"] for w in wi],
                      "snapshots_in_window": [w["snapshots_started_in_window"] for w in wi],
                      "snapshots_in_nosnap_window": [w["snapshots_started_in_window"] for w in no],
                      "p999_ratio_snap_over_nosnap_median": ratio(med([w["p999_us"] for w in wi]), med([w["p999_us"] for w in no])),
                      "p99_ratio_snap_over_nosnap_median": ratio(med([w["p99_us"] for w in wi]), med([w["p99_us"] for w in no])),
                      "with_snapshot_snapcount": r.get("with_snapshot_snapcount")}
    summary["snapshot_latency"] = snapsum
    out = {"kind": "storage", "issue": 3, "command": " ".join(sys.argv), "fingerprint": fp,
           "settings": {"nodes": a.nodes, "value_size": 100, "settle_sec": a.settle, "window": f"setdata 32x16 1 KiB, {a.warmup} s warmup + {a.duration} s",
                        "zk_heap": a.zk_heap, "populate_snapcount": a.populate_snapcount, "nosnap_snapcount": a.nosnap_snapcount,
                        "snap_every_sec": a.snap_every_sec,
                        "zoo_cfg_hotzk": open(servers["hotzk"].cfg(a.populate_snapcount)).read(),
                        "zoo_cfg_zk": open(servers["zk"].cfg(a.populate_snapcount)).read(),
                        "server_cmd_hotzk": servers["hotzk"].command("zoo.cfg"), "server_cmd_zk": servers["zk"].command("zoo.cfg")},
           "servers": rec, "summary": summary, "incidents": INCIDENTS, "loadavg_end": loadavg(),
           "elapsed_sec": round(now() - T0, 1)}
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    log(f"wrote {a.out}")
    print(json.dumps(summary, indent=1))
    if INCIDENTS:
        print("INCIDENTS:\n  " + "\n  ".join(INCIDENTS))
    return 1 if INCIDENTS else 0


if __name__ == "__main__":
    sys.exit(main())
