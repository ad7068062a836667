"""Four-letter words over a raw socket (zk-protocol.md §10)."""
import os
import re
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from zkserver import four_letter  # noqa: E402

from kazoo.client import KazooClient  # noqa: E402


def port():
    return int(os.environ["ZK_CONNECT"].rsplit(":", 1)[1])


def flw(cmd):
    return four_letter(port(), cmd)


SRVR_LINES = [r"Zookeeper version: .+, built on .+",
              r"Latency min/avg/max: \d+/\d+(\.\d+)?/\d+",
              r"Received: \d+", r"Sent: \d+", r"Connections: \d+", r"Outstanding: \d+",
              r"Zxid: 0x[0-9a-f]+", r"Mode: standalone", r"Node count: \d+"]


class FourLetterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # one live session with an ephemeral, two data watches and one child watch
        cls.zk = KazooClient(hosts=os.environ["ZK_CONNECT"], timeout=10)
        cls.zk.start(timeout=15)
        cls.root = "/flw-" + uuid.uuid4().hex[:8]
        cls.zk.create(cls.root + "/w1", makepath=True)
        cls.zk.create(cls.root + "/w2")
        cls.zk.create(cls.root + "/kids")
        cls.zk.create(cls.root + "/eph", ephemeral=True)
        cls.zk.get(cls.root + "/w1", watch=lambda e: None)
        cls.zk.exists(cls.root + "/w2", watch=lambda e: None)
        cls.zk.get_children(cls.root + "/kids", watch=lambda e: None)
        cls.sid = "0x%x" % cls.zk.client_id[0]

    @classmethod
    def tearDownClass(cls):
        cls.zk.delete(cls.root, recursive=True)
        cls.zk.stop()
        cls.zk.close()

    def test_ruok(self):
        self.assertEqual(flw("ruok"), "imok")

    def test_srvr(self):
        lines = flw("srvr").splitlines()
        self.assertEqual(len(lines), len(SRVR_LINES), lines)
        for rx, line in zip(SRVR_LINES, lines):
            self.assertRegex(line, "^" + rx + "$")

    def test_stat(self):
        out = flw("stat")
        lines = out.splitlines()
        self.assertRegex(lines[0], "^" + SRVR_LINES[0] + "$")
        self.assertEqual(lines[1], "Clients:")
        i = 2
        while lines[i]:
            self.assertRegex(lines[i], r"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)$")
            i += 1
        self.assertGreaterEqual(i - 2, 2, "at least the kazoo session and this connection")
        rest = lines[i + 1:]
        for rx, line in zip(SRVR_LINES[1:], rest):
            self.assertRegex(line, "^" + rx + "$")
        self.assertEqual(len(rest), len(SRVR_LINES) - 1)

    def test_cons(self):
        lines = flw("cons").splitlines()
        self.assertEqual(lines[-1] if lines else None, "", "cons ends with a blank line")
        ours = [l for l in lines if "sid=%s," % self.sid in l]
        self.assertEqual(len(ours), 1, lines)
        self.assertRegex(ours[0], r"^ /127\.0\.0\.1:\d+\[1\]\(queued=\d+,recved=\d+,sent=\d+,sid=0x[0-9a-f]+,"
                                  r"lop=\w+,est=\d+,to=10000,lcxid=0x[0-9a-f]+,lzxid=0x[0-9a-f]+,lresp=\d+,"
                                  r"llat=\d+,minlat=\d+,avglat=\d+(\.\d+)?,maxlat=\d+\)$")
        bare = [l for l in lines if l and "sid=" not in l]
        self.assertTrue(bare, "the 4lw connection itself has no session")
        self.assertRegex(bare[0], r"^ /127\.0\.0\.1:\d+\[\d+\]\(queued=\d+,recved=\d+,sent=\d+\)$")

    def test_conf(self):
        kv = dict(l.split("=", 1) for l in flw("conf").splitlines() if "=" in l)
        self.assertEqual(kv.get("clientPort"), str(port()))
        self.assertTrue(kv.get("dataDir", "").endswith("version-2"), kv.get("dataDir"))
        self.assertEqual(kv.get("tickTime"), "2000")
        self.assertEqual(kv.get("maxClientCnxns"), "0")
        self.assertEqual(kv.get("minSessionTimeout"), "4000")
        self.assertEqual(kv.get("maxSessionTimeout"), "40000")
        for k in ("secureClientPort", "dataDirSize", "dataLogDir", "dataLogSize", "clientPortListenBacklog",
                  "serverId"):
            self.assertIn(k, kv)

    def test_envi(self):
        lines = flw("envi").splitlines()
        self.assertEqual(lines[0], "Environment:")
        keys = [l.split("=", 1)[0] for l in lines[1:] if "=" in l]
        for k in ("zookeeper.version", "host.name", "java.version", "java.vendor", "java.home",
                  "java.class.path", "java.library.path", "java.io.tmpdir", "java.compiler", "os.name",
                  "os.arch", "os.version", "user.name", "user.home", "user.dir", "os.memory.free",
                  "os.memory.max", "os.memory.total"):
            self.assertIn(k, keys)

    def test_wchs(self):
        m = re.match(r"^(\d+) connections watching (\d+) paths\nTotal watches:(\d+)\n?$", flw("wchs"))
        self.assertIsNotNone(m, flw("wchs"))
        self.assertGreaterEqual(int(m.group(1)), 1)
        self.assertGreaterEqual(int(m.group(2)), 2)
        self.assertGreaterEqual(int(m.group(3)), 2)

    def test_wchc(self):
        out = flw("wchc")
        blocks = re.split(r"\n(?=0x)", out.strip("\n"))
        ours = [b for b in blocks if b.startswith(self.sid + "\n")]
        self.assertEqual(len(ours), 1, out)
        paths = sorted(l[1:] for l in ours[0].splitlines()[1:])
        for l in ours[0].splitlines()[1:]:
            self.assertTrue(l.startswith("\t"), repr(l))
        # data table only: the getChildren watch on /kids is not listed
        self.assertEqual(paths, [self.root + "/w1", self.root + "/w2"])

    def test_wchp(self):
        out = flw("wchp")
        lines = out.splitlines()
        for p in (self.root + "/w1", self.root + "/w2"):
            self.assertIn(p, lines)
            self.assertEqual(lines[lines.index(p) + 1], "\t" + self.sid)
        self.assertNotIn(self.root + "/kids", lines, "child watches are not in wchp")

    def test_dump(self):
        out = flw("dump")
        self.assertIn("SessionTracker dump:", out)
        self.assertIn("ephemeral nodes dump:", out)
        self.assertRegex(out, r"Sessions with Ephemerals \(\d+\):")
        self.assertRegex(out, r"(?m)^%s:\n(\t.*\n)*\t%s/eph$" % (re.escape(self.sid), re.escape(self.root)))

    def test_mntr(self):
        lines = flw("mntr").splitlines()
        self.assertRegex(lines[0], r"^zk_version\t.+$")
        self.assertEqual(lines[1], "zk_server_state\tstandalone")
        kv = {}
        for l in lines:
            # keys are not always \w+: 3.7+ per-namespace metrics embed top-level znode names
            self.assertRegex(l, r"^zk_[^\t]+\t\S.*$")
            k, v = l.split("\t", 1)
            kv[k] = v
        for k in ("zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received",
                  "zk_packets_sent", "zk_num_alive_connections", "zk_outstanding_requests", "zk_znode_count",
                  "zk_watch_count", "zk_ephemerals_count", "zk_approximate_data_size",
                  "zk_open_file_descriptor_count", "zk_max_file_descriptor_count", "zk_uptime"):
            self.assertIn(k, kv)
        self.assertGreaterEqual(int(kv["zk_ephemerals_count"]), 1)
        self.assertGreaterEqual(int(kv["zk_watch_count"]), 2)
        self.assertGreaterEqual(int(kv["zk_znode_count"]), 9)

    def test_srst_resets_counters(self):
        for _ in range(5):
            self.zk.exists(self.root)
        before = int(re.search(r"Received: (\d+)", flw("srvr")).group(1))
        self.assertGreaterEqual(before, 5)
        self.assertEqual(flw("srst"), "Server stats reset.\n")
        after = int(re.search(r"Received: (\d+)", flw("srvr")).group(1))
        self.assertLess(after, before)

    def test_crst(self):
        self.assertEqual(flw("crst"), "Connection stats reset.\n")

    def test_isro(self):
        self.assertEqual(flw("isro"), "rw")

    def test_dirs(self):
        self.assertRegex(flw("dirs"), r"^datadir_size: \d+\nlogdir_size: \d+\n?$")

    def test_not_whitelisted(self):
        # main.cfg.tmpl whitelists everything tested here but not gtmk
        self.assertEqual(flw("gtmk"), "gtmk is not executed because it is not in the whitelist.\n")

    def test_non_command_is_frame_length(self):
        # 4 ASCII bytes that are no 4lw read as a frame length > jute.maxbuffer: closed without reply
        t0 = time.monotonic()
        self.assertEqual(flw("abcd"), "")
        self.assertLess(time.monotonic() - t0, 4.5)
