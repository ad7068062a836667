from kazoo.exceptions import NoChildrenForEphemeralsError

from kzbase import KzTest, wait_for


class EphemeralTest(KzTest):
    def test_ephemeral_vanishes_after_close(self):
        other = self.client()
        path = other.create(self.p("eph"), b"e", ephemeral=True)
        self.catch_up(self.zk, path)
        st = self.zk.exists(path)
        self.assertIsNotNone(st)
        self.assertEqual(st.ephemeralOwner, other.client_id[0])
        self.assertNotEqual(st.ephemeralOwner, 0)
        other.stop()  # sends closeSession
        self.catch_up(self.zk, path)
        self.assertIsNone(self.zk.exists(path), "ephemeral must be gone once closeSession is answered")

    def test_no_children_for_ephemerals(self):
        self.zk.create(self.p("eph"), ephemeral=True)
        with self.assertRaises(NoChildrenForEphemeralsError):
            self.zk.create(self.p("eph", "kid"))

    def test_ephemeral_watch_fires_on_close(self):
        other = self.client()
        path = other.create(self.p("eph2"), ephemeral=True)
        self.catch_up(self.zk, path)
        events = []
        self.zk.exists(path, watch=events.append)
        other.stop()
        self.assertTrue(wait_for(lambda: events, 10))
        self.assertEqual(events[0].type, "DELETED")
        self.assertEqual(events[0].path, path)
