import re

from kazoo.exceptions import NoNodeError

from kzbase import KzTest


class SequentialTest(KzTest):
    def test_ten_digit_suffix_and_counter(self):
        base = self.p("s-")
        p0 = self.zk.create(base, sequence=True)
        p1 = self.zk.create(base, sequence=True)
        p2 = self.zk.create(base, sequence=True)
        self.assertEqual([p0, p1, p2], [base + "0000000000", base + "0000000001", base + "0000000002"])
        self.zk.delete(p1)
        p3 = self.zk.create(base, sequence=True)
        self.assertEqual(p3, base + "0000000003", "deleted sequence numbers must not be reused")
        # non-sequential children also advance the parent's counter
        self.zk.create(self.p("plain"))
        p5 = self.zk.create(base, sequence=True)
        self.assertEqual(p5, base + "0000000005")
        self.assertEqual(sorted(self.zk.get_children(self.root)),
                         ["plain", "s-0000000000", "s-0000000002", "s-0000000003", "s-0000000005"])

    def test_ephemeral_sequential_and_format(self):
        self.zk.create(self.p("q"))
        got = [self.zk.create(self.p("q", "item-"), b"d", ephemeral=True, sequence=True) for _ in range(3)]
        for g in got:
            self.assertRegex(g, r"/item-\d{10}$")
        nums = [int(re.search(r"(\d{10})$", g).group(1)) for g in got]
        self.assertEqual(nums, [0, 1, 2])
        st = self.zk.exists(got[0])
        self.assertEqual(st.ephemeralOwner, self.zk.client_id[0])

    def test_sequential_needs_parent(self):
        with self.assertRaises(NoNodeError):
            self.zk.create(self.p("nope", "x-"), sequence=True)
