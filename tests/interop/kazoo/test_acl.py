from kazoo.exceptions import InvalidACLError, NoAuthError
from kazoo.security import ACL, Id, OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, Permissions, make_digest_acl

from kzbase import KzTest

BOB_DIGEST = "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="  # base64(sha1("bob:secret")), zk-protocol.md §8.2


class AclTest(KzTest):
    def test_digest_auth(self):
        acl = make_digest_acl("bob", "secret", all=True)
        self.assertEqual(acl.id.id, BOB_DIGEST)
        owner = self.client(auth_data=[("digest", "bob:secret")])
        path = owner.create(self.p("secret"), b"s3cr3t", acl=[acl])
        self.assertEqual(owner.get(path)[0], b"s3cr3t")
        acls, st = owner.get_acls(path)
        self.assertEqual([(a.perms, a.id.scheme, a.id.id) for a in acls], [(31, "digest", BOB_DIGEST)])
        anon = self.client()
        with self.assertRaises(NoAuthError):
            anon.get(path)
        with self.assertRaises(NoAuthError):
            anon.set(path, b"x")
        with self.assertRaises(NoAuthError):
            anon.get_children(path)
        wrong = self.client(auth_data=[("digest", "bob:wrong")])
        with self.assertRaises(NoAuthError):
            wrong.get(path)
        anon.add_auth("digest", "bob:secret")
        self.assertEqual(anon.get(path)[0], b"s3cr3t")
        anon.set(path, b"changed")
        self.catch_up(owner, path)
        self.assertEqual(owner.get(path)[0], b"changed")

    def test_read_only_acl(self):
        path = self.zk.create(self.p("ro"), b"r", acl=READ_ACL_UNSAFE)
        self.assertEqual(self.zk.get(path)[0], b"r")
        with self.assertRaises(NoAuthError):
            self.zk.set(path, b"w")
        with self.assertRaises(NoAuthError):
            self.zk.create(path + "/kid")
        with self.assertRaises(NoAuthError):
            self.zk.set_acls(path, OPEN_ACL_UNSAFE)
        self.zk.delete(path)  # delete needs DELETE on the parent, not on the node

    def test_auth_scheme_expands_to_digest(self):
        c = self.client(auth_data=[("digest", "carol:pw")])
        path = c.create(self.p("auth"), acl=[ACL(Permissions.ALL, Id("auth", ""))])
        acls, _ = c.get_acls(path)
        self.assertEqual(len(acls), 1)
        self.assertEqual(acls[0].id.scheme, "digest")
        self.assertTrue(acls[0].id.id.startswith("carol:"))

    def test_auth_scheme_without_credentials_is_invalid(self):
        with self.assertRaises(InvalidACLError):
            self.zk.create(self.p("noauth"), acl=[ACL(Permissions.ALL, Id("auth", ""))])
        with self.assertRaises(InvalidACLError):
            self.zk.create(self.p("badworld"), acl=[ACL(Permissions.ALL, Id("world", "someone"))])

    def test_set_acl_version_and_masking(self):
        from kazoo.exceptions import BadVersionError
        path = self.zk.create(self.p("acl"), b"")
        with self.assertRaises(BadVersionError):
            self.zk.set_acls(path, OPEN_ACL_UNSAFE, version=3)  # checked against aversion (0)
        acl = make_digest_acl("bob", "secret", read=True, write=True)  # no ADMIN
        st = self.zk.set_acls(path, [acl, ACL(Permissions.READ, Id("world", "anyone"))], version=0)
        self.assertEqual(st.aversion, 1)
        with self.assertRaises(NoAuthError):  # ADMIN is checked before aversion
            self.zk.set_acls(path, OPEN_ACL_UNSAFE, version=0)
        acls, st = self.zk.get_acls(path)
        ids = sorted((a.id.scheme, a.id.id) for a in acls)
        # reader without ADMIN sees digest ids masked as user:x (zk-protocol.md §8.3, 3.8.0 verified)
        self.assertEqual(ids, [("digest", "bob:x"), ("world", "anyone")])
        self.assertEqual(st.aversion, 1)
