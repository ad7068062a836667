from kazoo.exceptions import BadVersionError, NoNodeError, RolledBackError, RuntimeInconsistency

from kzbase import KzTest


class TransactionTest(KzTest):
    def test_commit(self):
        self.zk.create(self.p("existing"), b"v0")
        t = self.zk.transaction()
        t.create(self.p("new"), b"n")
        t.check(self.p("existing"), 0)
        t.set_data(self.p("existing"), b"v1")
        t.create(self.p("seq-"), sequence=True)
        t.delete(self.p("new"))
        res = t.commit()
        self.assertEqual(len(res), 5)
        self.assertEqual(res[0], self.p("new"))
        self.assertIs(res[1], True)
        self.assertEqual(res[2].version, 1)
        self.assertEqual(res[3], self.p("seq-") + "0000000002")
        self.assertIs(res[4], True)
        self.assertEqual(self.zk.get(self.p("existing"))[0], b"v1")
        self.assertIsNone(self.zk.exists(self.p("new")))

    def test_one_zxid_for_whole_batch(self):
        t = self.zk.transaction()
        t.create(self.p("a"))
        t.create(self.p("b"))
        t.commit()
        self.assertEqual(self.zk.exists(self.p("a")).czxid, self.zk.exists(self.p("b")).czxid)

    def test_rollback(self):
        self.zk.create(self.p("n"), b"v0")
        t = self.zk.transaction()
        t.create(self.p("should-not-exist"))
        t.check(self.p("n"), 7)  # wrong version
        t.set_data(self.p("n"), b"v1")
        res = t.commit()
        self.assertEqual(len(res), 3)
        self.assertIsInstance(res[0], RolledBackError)
        self.assertIsInstance(res[1], BadVersionError)
        self.assertIsInstance(res[2], RuntimeInconsistency)
        self.assertIsNone(self.zk.exists(self.p("should-not-exist")))
        self.assertEqual(self.zk.get(self.p("n")), (b"v0", self.zk.exists(self.p("n"))))
        self.assertEqual(self.zk.exists(self.p("n")).version, 0)

    def test_rollback_on_missing_node(self):
        t = self.zk.transaction()
        t.delete(self.p("missing"))
        t.create(self.p("x"))
        res = t.commit()
        self.assertIsInstance(res[0], NoNodeError)
        self.assertIsInstance(res[1], RuntimeInconsistency)
        self.assertIsNone(self.zk.exists(self.p("x")))
