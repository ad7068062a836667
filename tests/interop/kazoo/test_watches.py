import time

from kzbase import KzTest, Recorder, wait_for

SETTLE = 0.5  # after the first event, wait this long to prove no duplicate arrives


class WatchTest(KzTest):
    def settle_count(self, rec, expected=1):
        self.assertTrue(wait_for(lambda: len(rec.snapshot()) >= expected, 10), "watch did not fire")
        time.sleep(SETTLE)
        return rec.snapshot()

    def test_data_watch_fires_once(self):
        path = self.zk.create(self.p("d"), b"1")
        rec = Recorder()
        self.zk.get(path, watch=rec)
        self.zk.set(path, b"2")
        self.zk.set(path, b"3")  # one-shot: no second event
        ev = self.settle_count(rec)
        self.assertEqual(len(ev), 1)
        self.assertEqual((ev[0].type, ev[0].path, ev[0].state), ("CHANGED", path, "CONNECTED"))

    def test_child_watch_fires_once(self):
        rec = Recorder()
        self.zk.get_children(self.root, watch=rec)
        self.zk.create(self.p("c1"))
        self.zk.create(self.p("c2"))
        self.zk.set(self.root, b"data change is not a child event")
        ev = self.settle_count(rec)
        self.assertEqual(len(ev), 1)
        self.assertEqual((ev[0].type, ev[0].path), ("CHILD", self.root))

    def test_exists_watch_on_missing_node(self):
        path = self.p("later")
        rec = Recorder()
        self.assertIsNone(self.zk.exists(path, watch=rec))
        self.zk.create(path)
        ev = self.settle_count(rec)
        self.assertEqual(len(ev), 1)
        self.assertEqual((ev[0].type, ev[0].path), ("CREATED", path))

    def test_delete_fires_data_and_child_watchers(self):
        path = self.zk.create(self.p("gone"))
        d, c, e = Recorder(), Recorder(), Recorder()
        self.zk.get(path, watch=d)
        self.zk.get_children(path, watch=c)
        self.zk.exists(path, watch=e)
        self.zk.delete(path)
        for rec in (d, c, e):
            ev = self.settle_count(rec)
            self.assertEqual(len(ev), 1)
            self.assertEqual((ev[0].type, ev[0].path), ("DELETED", path))

    def test_watch_from_other_client_and_not_for_siblings(self):
        other = self.client()
        a = self.zk.create(self.p("a"), b"x")
        self.zk.create(self.p("b"), b"x")
        rec = Recorder()
        self.catch_up(other, a)
        other.get(a, watch=rec)
        self.zk.set(self.p("b"), b"y")  # unrelated node
        time.sleep(SETTLE)
        self.assertEqual(rec.snapshot(), [])
        self.zk.set(a, b"y")
        ev = self.settle_count(rec)
        self.assertEqual([(x.type, x.path) for x in ev], [("CHANGED", a)])

    def test_no_watch_registered_by_failed_get(self):
        path = self.p("absent")
        rec = Recorder()
        from kazoo.exceptions import NoNodeError
        with self.assertRaises(NoNodeError):
            self.zk.get(path, watch=rec)
        self.zk.create(path)
        time.sleep(SETTLE)
        self.assertEqual(rec.snapshot(), [], "getData on a missing node must not leave a watch")

    def test_event_precedes_reply_on_same_connection(self):
        path = self.p("order")
        rec = Recorder()
        self.zk.exists(path, watch=rec)
        self.zk.create(path)
        # zk-protocol.md §3.3: the notification is queued before the create's reply; kazoo runs
        # watchers on a separate thread, so allow a short grace period instead of asserting 0 ms.
        self.assertTrue(wait_for(lambda: rec.snapshot(), 2))
