import time

from kazoo.exceptions import (BadArgumentsError, BadVersionError, ConnectionLoss, KazooException,
                              NodeExistsError, NoNodeError, NotEmptyError)

from kzbase import KzTest, wait_for

MAXBUFFER = 0xFFFFF  # default jute.maxbuffer on server and clients (zk-protocol.md §1.1)


class CrudTest(KzTest):
    def test_create_get_set_delete(self):
        path = self.zk.create(self.p("a"), b"hello")
        self.assertEqual(path, self.p("a"))
        data, st = self.zk.get(path)
        self.assertEqual(data, b"hello")
        self.assertEqual((st.version, st.cversion, st.aversion, st.dataLength, st.numChildren),
                         (0, 0, 0, 5, 0))
        self.assertEqual(st.czxid, st.mzxid)
        self.assertEqual(st.czxid, st.pzxid)
        self.assertEqual(st.ephemeralOwner, 0)
        st2 = self.zk.set(path, b"world!")
        self.assertEqual(st2.version, 1)
        self.assertGreater(st2.mzxid, st.mzxid)
        self.assertEqual(st2.czxid, st.czxid)
        self.assertEqual(st2.dataLength, 6)
        self.assertEqual(self.zk.get(path)[0], b"world!")
        self.zk.delete(path, version=1)
        self.assertIsNone(self.zk.exists(path))

    def test_null_and_empty_data(self):
        self.zk.create(self.p("null"), None)
        self.zk.create(self.p("empty"), b"")
        d1, s1 = self.zk.get(self.p("null"))
        d2, s2 = self.zk.get(self.p("empty"))
        self.assertIsNone(d1, "node created with null data must read back as null (-1 length)")
        self.assertEqual(d2, b"")
        self.assertEqual(s1.dataLength, 0)
        self.assertEqual(s2.dataLength, 0)

    def test_parent_stat_counts(self):
        self.zk.create(self.p("par"))
        for n in ("x", "y", "z"):
            self.zk.create(self.p("par", n))
        self.zk.delete(self.p("par", "y"))
        st = self.zk.exists(self.p("par"))
        self.assertEqual(st.numChildren, 2)
        self.assertEqual(st.cversion, 4, "cversion counts creations + deletions")
        zs = self.zk.exists(self.p("par", "z"))
        self.assertGreater(st.pzxid, zs.czxid, "pzxid moves on child delete")
        self.assertEqual(sorted(self.zk.get_children(self.p("par"))), ["x", "z"])

    def test_no_node(self):
        with self.assertRaises(NoNodeError):
            self.zk.get(self.p("missing"))
        with self.assertRaises(NoNodeError):
            self.zk.create(self.p("missing", "child"))
        with self.assertRaises(NoNodeError):
            self.zk.set(self.p("missing"), b"x")
        with self.assertRaises(NoNodeError):
            self.zk.delete(self.p("missing"))
        with self.assertRaises(NoNodeError):
            self.zk.get_children(self.p("missing"))
        self.assertIsNone(self.zk.exists(self.p("missing")))

    def test_node_exists(self):
        self.zk.create(self.p("dup"))
        with self.assertRaises(NodeExistsError):
            self.zk.create(self.p("dup"))

    def test_not_empty(self):
        self.zk.create(self.p("parent", "kid"), makepath=True)
        with self.assertRaises(NotEmptyError):
            self.zk.delete(self.p("parent"))
        self.zk.delete(self.p("parent"), recursive=True)
        self.assertIsNone(self.zk.exists(self.p("parent")))

    def test_bad_version(self):
        self.zk.create(self.p("v"), b"0")
        self.zk.set(self.p("v"), b"1", version=0)
        with self.assertRaises(BadVersionError):
            self.zk.set(self.p("v"), b"2", version=0)
        with self.assertRaises(BadVersionError):
            self.zk.delete(self.p("v"), version=5)
        self.assertEqual(self.zk.get(self.p("v"))[0], b"1")
        self.assertEqual(self.zk.get(self.p("v"))[1].version, 1)

    def test_system_nodes_protected(self):
        with self.assertRaises(BadArgumentsError):
            self.zk.delete("/zookeeper")
        self.assertIsNotNone(self.zk.exists("/zookeeper"))
        self.assertIn("zookeeper", self.zk.get_children("/"))
        self.assertIn("quota", self.zk.get_children("/zookeeper"))

    def test_large_value_accepted(self):
        # frame = header(8) + path(4+len) + data(4+n) + acl vector(~31) + flags(4) must stay <= 0xFFFFF
        n = MAXBUFFER - 1024
        blob = bytes(range(256)) * (n // 256) + b"x" * (n % 256)
        self.zk.create(self.p("big"), blob)
        data, st = self.zk.get(self.p("big"))
        self.assertEqual(st.dataLength, n)
        self.assertEqual(data, blob)

    def test_oversize_value_rejected(self):
        blob = b"y" * (MAXBUFFER + 16)
        with self.assertRaises(KazooException) as cm:
            self.zk.create(self.p("huge"), blob)
        self.assertIsInstance(cm.exception, ConnectionLoss,
                              "server must drop the connection for a frame > jute.maxbuffer")
        # the client reconnects (same session); the node must not exist
        self.assertTrue(wait_for(lambda: self.zk.connected, 15))
        deadline = time.monotonic() + 15
        while True:
            try:
                self.assertIsNone(self.zk.exists(self.p("huge")))
                break
            except ConnectionLoss:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def test_get_children_5000(self):
        par = self.p("many")
        self.zk.create(par)
        names = ["c%05d" % i for i in range(5000)]
        for start in range(0, len(names), 500):  # bounded pipelining: 10 batches of 500 async creates
            futs = [self.zk.create_async(par + "/" + n) for n in names[start:start + 500]]
            for f in futs:
                f.get(timeout=30)
        kids = self.zk.get_children(par)
        self.assertEqual(len(kids), 5000)
        self.assertEqual(set(kids), set(names))
        self.assertEqual(self.zk.exists(par).numChildren, 5000)
        for start in range(0, len(names), 500):
            futs = [self.zk.delete_async(par + "/" + n) for n in names[start:start + 500]]
            for f in futs:
                f.get(timeout=30)
        self.assertEqual(self.zk.get_children(par), [])
        self.assertEqual(self.zk.exists(par).cversion, 10000)
