import threading
import time

from kazoo.exceptions import LockTimeout
from kazoo.recipe.watchers import ChildrenWatch, DataWatch

from kzbase import KzTest, wait_for


class RecipeTest(KzTest):
    def test_lock_mutual_exclusion(self):
        a, b = self.client(), self.client()
        la, lb = a.Lock(self.p("lock"), "A"), b.Lock(self.p("lock"), "B")
        self.assertTrue(la.acquire(timeout=10))
        self.assertFalse(lb.acquire(blocking=False))
        with self.assertRaises(LockTimeout):
            lb.acquire(timeout=0.5)
        contenders = la.contenders()
        self.assertEqual(contenders[0], "A")
        got = threading.Event()
        t = threading.Thread(target=lambda: lb.acquire(timeout=15) and got.set(), daemon=True)
        t.start()
        time.sleep(0.3)
        self.assertFalse(got.is_set())
        la.release()
        self.assertTrue(got.wait(15), "waiter must get the lock after release")
        self.assertEqual(lb.contenders(), ["B"])
        lb.release()
        t.join(5)

    def test_lock_counting_bounded(self):
        # 3 clients x 20 increments of a shared counter under the lock; bounded in count and time
        clients = [self.client() for _ in range(3)]
        counter = self.zk.create(self.p("counter"), b"0")
        errors = []

        def worker(c):
            lock = c.Lock(self.p("lock2"))
            try:
                for _ in range(20):
                    if not lock.acquire(timeout=20):
                        errors.append("timeout")
                        return
                    try:
                        v = int(c.get(counter)[0])
                        c.set(counter, str(v + 1).encode())
                    finally:
                        lock.release()
            except Exception as e:  # noqa
                errors.append(repr(e))

        ts = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
        for t in ts:
            t.start()
        for t in ts:
            t.join(60)
        self.assertEqual(errors, [])
        self.catch_up(self.zk, counter)
        self.assertEqual(int(self.zk.get(counter)[0]), 60)

    def test_election(self):
        a, b = self.client(), self.client()
        ea, eb = a.Election(self.p("elect"), "A"), b.Election(self.p("elect"), "B")
        leader = []
        release = {"A": threading.Event(), "B": threading.Event()}

        def lead(name):
            leader.append(name)
            release[name].wait(20)

        ta = threading.Thread(target=ea.run, args=(lead, "A"), daemon=True)
        ta.start()
        self.assertTrue(wait_for(lambda: leader == ["A"], 10))
        tb = threading.Thread(target=eb.run, args=(lead, "B"), daemon=True)
        tb.start()
        self.assertTrue(wait_for(lambda: len(ea.contenders()) == 2, 10))
        self.assertEqual(ea.contenders(), ["A", "B"])
        time.sleep(0.3)
        self.assertEqual(leader, ["A"], "only one leader at a time")
        release["A"].set()
        self.assertTrue(wait_for(lambda: leader == ["A", "B"], 10))
        release["B"].set()
        ta.join(5)
        tb.join(5)

    def test_children_watch(self):
        seen = []
        ChildrenWatch(self.zk, self.root, func=lambda kids: seen.append(sorted(kids)))
        self.assertTrue(wait_for(lambda: seen, 5))
        self.assertEqual(seen[0], [])
        self.zk.create(self.p("a"))
        self.assertTrue(wait_for(lambda: seen[-1] == ["a"], 10))
        self.zk.create(self.p("b"))
        self.assertTrue(wait_for(lambda: seen[-1] == ["a", "b"], 10))
        self.zk.delete(self.p("a"))
        self.assertTrue(wait_for(lambda: seen[-1] == ["b"], 10), seen)

    def test_data_watch(self):
        path = self.p("dw")
        seen = []
        DataWatch(self.zk, path, func=lambda data, stat: seen.append((data, stat.version if stat else None)))
        self.assertTrue(wait_for(lambda: seen, 5))
        self.assertEqual(seen[0], (None, None))  # node absent
        self.zk.create(path, b"v0")
        self.assertTrue(wait_for(lambda: seen[-1] == (b"v0", 0), 10), seen)
        self.zk.set(path, b"v1")
        self.assertTrue(wait_for(lambda: seen[-1] == (b"v1", 1), 10), seen)
        self.zk.delete(path)
        self.assertTrue(wait_for(lambda: seen[-1] == (None, None), 10), seen)
