"""zkCli.sh (Apache Java CLI) one-shot commands and a stdin script, asserting on output text."""
import os
import re
import subprocess
import unittest
import uuid

ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"
BOB = "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="
# zkCli.sh passes $CLIENT_JVMFLAGS to java: C1-only JIT + serial GC start faster on a 2-core box
ENV = dict(os.environ, CLIENT_JVMFLAGS=os.environ.get("CLIENT_JVMFLAGS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"))
NOISE = re.compile(r"^(SLF4J:.*|Connecting to .*|WATCHER::|WatchedEvent state:\w+ type:None path:null|"
                   r"Welcome to ZooKeeper!|JLine support is .*|)$")


def clean(out):
    return "\n".join(l for l in out.splitlines() if not NOISE.match(l.strip()))


@unittest.skipUnless(os.path.exists(ZKCLI), "zkCli.sh not installed")
class ZkCliTest(unittest.TestCase):
    def setUp(self):
        self.server = os.environ["ZK_CONNECT"]
        self.root = "/cli-%s-%s" % (self._testMethodName, uuid.uuid4().hex[:8])
        out, rc = self.cli("create", self.root, "root")
        self.assertEqual(rc, 0, out)

    def tearDown(self):
        self.script(["addauth digest bob:secret", "deleteall " + self.root])

    def cli(self, *args):
        p = subprocess.run([ZKCLI, "-server", self.server] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=60, stdin=subprocess.DEVNULL, env=ENV)
        return clean(p.stdout), p.returncode

    def script(self, lines):
        p = subprocess.run([ZKCLI, "-server", self.server], input="\n".join(lines + ["quit"]) + "\n",
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60, env=ENV)
        return clean(p.stdout)

    def test_create_get_set_stat(self):
        out, rc = self.cli("create", self.root + "/a", "hello")
        self.assertEqual((out, rc), ("Created %s/a" % self.root, 0))
        out, rc = self.cli("get", self.root + "/a")
        self.assertEqual((out, rc), ("hello", 0))
        out, rc = self.cli("set", self.root + "/a", "world!")
        self.assertEqual((out, rc), ("", 0))
        out, rc = self.cli("stat", self.root + "/a")
        self.assertEqual(rc, 0)
        fields = dict(l.split(" = ", 1) for l in out.splitlines())
        self.assertEqual(list(fields), ["cZxid", "ctime", "mZxid", "mtime", "pZxid", "cversion", "dataVersion",
                                        "aclVersion", "ephemeralOwner", "dataLength", "numChildren"])
        self.assertRegex(fields["cZxid"], r"^0x[0-9a-f]+$")
        self.assertNotEqual(fields["cZxid"], fields["mZxid"])
        self.assertEqual(fields["cZxid"], fields["pZxid"])
        self.assertEqual((fields["dataVersion"], fields["dataLength"], fields["ephemeralOwner"]), ("1", "6", "0x0"))
        out, rc = self.cli("get", "-s", self.root + "/a")
        self.assertEqual(out.splitlines()[0], "world!")
        self.assertIn("dataVersion = 1", out)

    def test_ls_and_sequential(self):
        self.cli("create", self.root + "/x")
        out, _ = self.cli("create", "-s", self.root + "/s-", "d")
        self.assertEqual(out, "Created %s/s-0000000001" % self.root)
        out, rc = self.cli("ls", self.root)
        self.assertEqual((out, rc), ("[s-0000000001, x]", 0))
        out, _ = self.cli("ls", "-s", self.root)
        self.assertEqual(out.splitlines()[0], "[s-0000000001, x]")
        self.assertIn("numChildren = 2", out)
        self.assertIn("cversion = 2", out)
        out, _ = self.cli("ls", "/zookeeper")
        self.assertEqual(out, "[config, quota]")

    def test_errors(self):
        out, rc = self.cli("create", self.root, "again")
        self.assertEqual((out, rc), ("Node already exists: " + self.root, 1))
        out, rc = self.cli("get", self.root + "/nope")
        self.assertEqual((out, rc), ("Node does not exist: %s/nope" % self.root, 1))
        self.cli("create", self.root + "/k")
        out, rc = self.cli("delete", self.root)
        self.assertEqual((out, rc), ("Node not empty: " + self.root, 1))
        out, rc = self.cli("set", "-v", "7", self.root, "y")
        self.assertEqual((out, rc), ("version No is not valid : " + self.root, 1))

    def test_delete_and_deleteall(self):
        self.cli("create", self.root + "/d")
        out, rc = self.cli("delete", self.root + "/d")
        self.assertEqual((out, rc), ("", 0))
        for p in ("/t", "/t/u", "/t/u/v", "/w"):
            self.cli("create", self.root + p)
        out, rc = self.cli("deleteall", self.root + "/t")
        self.assertEqual((out, rc), ("", 0))
        self.assertEqual(self.cli("ls", self.root)[0], "[w]")

    def test_acl_and_addauth(self):
        out, rc = self.cli("getAcl", self.root)
        self.assertEqual((out, rc), ("'world,'anyone\n: cdrwa", 0))
        out, rc = self.cli("setAcl", self.root, "digest:%s:cdrwa" % BOB)
        self.assertEqual(rc, 0, out)
        out, rc = self.cli("get", self.root)
        self.assertEqual((out, rc), ("Insufficient permission : " + self.root, 1))
        out = self.script(["get " + self.root, "addauth digest bob:secret", "get " + self.root,
                           "getAcl " + self.root])
        self.assertEqual(out.splitlines(), ["Insufficient permission : " + self.root, "root",
                                            "'digest,'" + BOB, ": cdrwa"])

    def test_get_acl_masking_without_admin(self):
        self.cli("setAcl", self.root, "digest:%s:r,world:anyone:r" % BOB)
        out, rc = self.cli("getAcl", self.root)
        self.assertEqual(rc, 0)
        self.assertEqual(out.splitlines(), ["'digest,'bob:x", ": r", "'world,'anyone", ": r"])

    def test_sync(self):
        out, rc = self.cli("sync", self.root)
        self.assertEqual((out, rc), ("Sync is OK", 0))

    def test_ephemeral_and_watch_in_script(self):
        out = self.script(["create -e %s/e x" % self.root, "get -w %s/e" % self.root,
                           "set %s/e y" % self.root, "stat %s/e" % self.root])
        self.assertIn("Created %s/e" % self.root, out)
        self.assertIn("WatchedEvent state:SyncConnected type:NodeDataChanged path:%s/e" % self.root, out)
        owner = re.search(r"ephemeralOwner = (0x[0-9a-f]+)", out).group(1)
        self.assertNotEqual(owner, "0x0")
        # session closed by 'quit' -> ephemeral gone
        out, rc = self.cli("stat", self.root + "/e")
        self.assertEqual((out, rc), ("Node does not exist: %s/e" % self.root, 1))
