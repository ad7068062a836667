import subprocess
import sys
import time

from kazoo.client import KazooClient

from kzbase import KzTest, connect_string, wait_for

# A child process opens a session, creates an ephemeral and exits WITHOUT closing the session
# (os._exit drops the TCP connection only), printing its session id and password.
CHILD = r'''
import os, sys, logging
logging.basicConfig(level=logging.CRITICAL)
from kazoo.client import KazooClient
c = KazooClient(hosts=sys.argv[1], timeout=float(sys.argv[3]))
c.start(timeout=15)
c.create(sys.argv[2], b"owned", ephemeral=True)
sid, pw = c.client_id
print("%d %s" % (sid, pw.hex()), flush=True)
os._exit(0)
'''


def crashed_session(path, timeout=10.0):
    out = subprocess.run([sys.executable, "-c", CHILD, connect_string(), path, str(timeout)],
                         capture_output=True, text=True, timeout=60)
    sid, pw = out.stdout.split()
    return int(sid), bytes.fromhex(pw)


class SessionTest(KzTest):
    def test_reattach_session_by_client_id(self):
        path = self.p("eph")
        sid, pw = crashed_session(path, timeout=20.0)
        self.catch_up(self.zk, path)
        st = self.zk.exists(path)
        self.assertIsNotNone(st, "ephemeral survives a dropped connection while the session lives")
        self.assertEqual(st.ephemeralOwner, sid)
        c = self.client(client_id=(sid, pw), timeout=20.0)
        self.assertEqual(c.client_id[0], sid, "reattached client must keep the session id")
        self.catch_up(c, path)
        self.assertEqual(c.get(path)[0], b"owned")
        c.create(self.p("eph2"), ephemeral=True)
        self.catch_up(self.zk, self.p("eph2"))
        self.assertEqual(self.zk.exists(self.p("eph2")).ephemeralOwner, sid)
        c.stop()  # closeSession: both ephemerals go away
        self.catch_up(self.zk, path)
        self.assertIsNone(self.zk.exists(path))
        self.assertIsNone(self.zk.exists(self.p("eph2")))

    def test_wrong_password_expires(self):
        path = self.p("eph")
        sid, pw = crashed_session(path, timeout=20.0)
        bad = KazooClient(hosts=connect_string(), client_id=(sid, bytes(16)), timeout=20.0)
        self._clients.append(bad)
        bad.start(timeout=15)
        # the server answers timeOut=0 -> kazoo treats the session as expired and makes a new one
        self.assertNotEqual(bad.client_id[0], sid)
        self.assertNotEqual(bad.client_id[0], 0)
        self.assertIsNone(bad.exists(path + "-nothing"))
        self.catch_up(self.zk, path)
        self.assertIsNotNone(self.zk.exists(path), "a failed reattach must not kill the real session")
        good = self.client(client_id=(sid, pw))
        good.stop()
        self.catch_up(self.zk, path)
        self.assertIsNone(self.zk.exists(path))

    def test_session_expiry_removes_ephemerals(self):
        path = self.p("eph")
        t0 = time.monotonic()
        sid, _pw = crashed_session(path, timeout=4.0)  # 4 s = minSessionTimeout at tickTime 2000
        self.catch_up(self.zk, path)
        self.assertIsNotNone(self.zk.exists(path))
        gone = wait_for(lambda: self.zk.exists(path) is None, 20, 0.2)
        self.assertTrue(gone, "ephemeral of an expired session must be deleted")
        self.assertGreater(time.monotonic() - t0, 3.0, "must not expire before the negotiated timeout")
