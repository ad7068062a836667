#!/usr/bin/env python3
"""Session closed through another member (ensemble suite; deterministic member placement).

  /usr/bin/python3 tests/interop/kazoo/ensemble_sessions.py <host:port,host:port,host:port>

Client A connects to one member (pinned) and creates an ephemeral; a second handle attaches to A's
session through another member (or the same one) and closes it (closeSession). Apache ZooKeeper then
closes A's connection on every member that holds one, so A's reconnect finds the session gone:
kazoo reports SUSPENDED then LOST. A client that is not told keeps believing it owns ephemerals
(locks, latches) that are gone. The Java suite's sessionExpired / curatorSessionLoss do the same with
random member placement; this pins every placement:
  sessions/kazoo.closed_elsewhere.<A's member>_<closer's member>   (leader / follower / the same member)
Each: A sees LOST within 5 s of the close, and a third client (after sync) no longer sees A's ephemeral.
"""
import logging
import os
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient, KazooState

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import zkserver  # noqa: E402

logging.basicConfig(level=logging.CRITICAL)
NAME = "sessions/kazoo.closed_elsewhere"


def scenario(hosts, a_idx, t_idx, label, root):
    clients = []
    try:
        states, lost = [], threading.Event()
        a = KazooClient(hosts=hosts[a_idx], timeout=6.0)
        clients.append(a)
        t0 = time.monotonic()

        def on_state(s):
            states.append("%s@%.2f" % (s, time.monotonic() - t0))
            if s == KazooState.LOST:
                lost.set()

        a.add_listener(on_state)
        a.start(timeout=15)
        eph = a.create(root + "/" + label, ephemeral=True)
        sid, pw = a.client_id
        closer = KazooClient(hosts=hosts[t_idx], client_id=(sid, pw), timeout=6.0)
        clients.append(closer)
        closer.start(timeout=15)
        if closer.client_id[0] != sid:
            return "the second handle did not attach to session 0x%x" % sid
        closer.stop()  # closeSession, answered once committed
        t_close = time.monotonic() - t0
        seen = lost.wait(5.0)
        checker = KazooClient(hosts=",".join(hosts), timeout=6.0)
        clients.append(checker)
        checker.start(timeout=15)
        checker.sync(eph)
        gone = checker.exists(eph) is None
        problems = []
        if not seen:
            problems.append("A (session 0x%x on %s) not told within 5 s of the close at %.2fs; its states: %s"
                            % (sid, hosts[a_idx], t_close, states))
        if not gone:
            problems.append("A's ephemeral still exists after the close")
        return "; ".join(problems)
    finally:
        for c in clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa
                pass


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    hosts = argv[1].split(",")
    modes = [zkserver.server_mode(int(h.rsplit(":", 1)[1])) for h in hosts]
    if modes.count("leader") != 1 or len(hosts) < 3:
        print("FAIL %s.<setup>: need one leader and two followers, got %s" % (NAME, modes), flush=True)
        return 1
    lead = modes.index("leader")
    f1, f2 = [i for i in range(len(hosts)) if i != lead][:2]
    root = "/ens-sessions-%s" % uuid.uuid4().hex[:8]
    admin = KazooClient(hosts=",".join(hosts), timeout=10.0)
    admin.start(timeout=15)
    admin.create(root)
    failed = 0
    for a_idx, t_idx, label in [(lead, f1, "leader_follower"), (f1, lead, "follower_leader"),
                                (f1, f2, "follower_otherfollower"), (f1, f1, "follower_samefollower"),
                                (lead, lead, "leader_sameleader")]:
        t = time.monotonic()
        try:
            problem = scenario(hosts, a_idx, t_idx, label, root)
        except Exception as e:  # noqa
            problem = "%s: %s" % (type(e).__name__, e)
        if problem:
            failed += 1
            print("FAIL %s.%s (%.2fs): %s" % (NAME, label, time.monotonic() - t, problem[:600]), flush=True)
        else:
            print("PASS %s.%s (%.2fs)" % (NAME, label, time.monotonic() - t), flush=True)
    try:
        admin.delete(root, recursive=True)
        admin.stop()
        admin.close()
    except Exception:  # noqa
        pass
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
