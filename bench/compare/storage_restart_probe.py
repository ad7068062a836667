#!/usr/bin/env python3
"""Restarts HotZk on a data dir left by `KEEP=1 bench/compare/storage.sh` and times each start
(spawn -> ruok + getData('/')), with the server's CPU seconds at that moment and the time of its
"loaded snapshot" / "recovered to zxid" lines: where restart time goes.

  python3 bench/compare/storage_restart_probe.py /tmp/hotzk-storage.XXXXXX - DOTNET_gcServer=1 -

Each argument after the run directory is one start: '-' = default environment, or comma-separated
DOTNET_* settings for that start. Every start is bounded (120 s) and stopped with SIGTERM by PID.
"""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import storage as S  # noqa: E402


class Args:
    zk_heap = "2g"


def main():
    run = sys.argv[1]
    a = Args()
    a.hotzk_dll = os.path.join(run, "bin-hotzk", "hotzk-server.dll")
    srv = S.Server("hotzk", a, run)
    snaps = len(srv.snap_files())
    for spec in sys.argv[2:] or ["-"]:
        for k in [k for k in os.environ if k.startswith("DOTNET_")]:
            del os.environ[k]
        if spec != "-":
            os.environ.update(dict(kv.split("=", 1) for kv in spec.split(",")))
        t = srv.start(50_000_000)
        p = S.probe_serving(srv, "/", None, 120)
        cpu = S.proc_cpu_sec(srv.pid)
        marks = [(round(tt - t, 2), l[24:110]) for tt, l in srv.lines if tt >= t and ("loaded snapshot" in l or "recovered to" in l)]
        print(f"{spec}: load {S.loadavg()} snapshots on disk {snaps}: serving {p.get('serving_sec')} s, "
              f"server CPU {cpu} s; {marks}", flush=True)
        srv.stop(signal.SIGTERM)


if __name__ == "__main__":
    main()
