"""C client (libzookeeper-mt via zookeeper-bin's cli_mt): commands on stdin, asserting on output."""
import os
import re
import subprocess
import threading
import time
import unittest
import uuid

CLI_MT = "/usr/lib/zookeeper/bin/cli_mt"


class CliMt:
    """Interactive driver: send one command, wait for a regex in the output produced after it."""

    def __init__(self, server):
        self.p = subprocess.Popen(["stdbuf", "-o0", "-e0", CLI_MT, server], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self.buf = ""
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._pump, daemon=True)
        self.t.start()

    def _pump(self):
        for line in self.p.stdout:
            with self.lock:
                self.buf += line

    def mark(self):
        with self.lock:
            return len(self.buf)

    def wait(self, regex, since=0, timeout=10.0):
        deadline = time.monotonic() + timeout
        rx = re.compile(regex, re.M)
        while time.monotonic() < deadline:
            with self.lock:
                m = rx.search(self.buf, since)
            if m:
                return m
            time.sleep(0.02)
        with self.lock:
            tail = self.buf[since:]
        raise AssertionError("cli_mt: no match for %r within %.0fs; output since command:\n%s" % (regex, timeout, tail))

    def cmd(self, line, regex, timeout=10.0):
        since = self.mark()
        self.send(line)
        return self.wait(regex, since, timeout)

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def output_since(self, since):
        with self.lock:
            return self.buf[since:]

    def close(self):
        try:
            self.p.stdin.write("quit\n")
            self.p.stdin.flush()
            self.p.wait(10)
        except Exception:
            pass
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(5)


@unittest.skipUnless(os.path.exists(CLI_MT), "cli_mt (zookeeper-bin) not installed")
class CliMtTest(unittest.TestCase):
    def setUp(self):
        self.c = CliMt(os.environ["ZK_CONNECT"])
        self.c.wait(r"Got a new session id: 0x[0-9a-f]+", 0, 15)
        self.root = "/cmt-%s-%s" % (self._testMethodName, uuid.uuid4().hex[:8])
        self.c.cmd("create " + self.root, r"\[%s\]: rc = 0" % re.escape(self.root))

    def tearDown(self):
        self.c.close()
        if self.c.p.returncode not in (0, None):
            self.fail("cli_mt exited with %s" % self.c.p.returncode)

    def test_create_get_set(self):
        r = re.escape(self.root)
        m = self.c.cmd("create %s/a" % self.root, r"\[%s/a\]: rc = (-?\d+)\n\tname = (\S+)" % r)
        self.assertEqual(m.groups(), ("0", self.root + "/a"))
        # cli_mt's create always stores the 3 bytes "new"
        m = self.c.cmd("get %s/a" % self.root, r"%s/a: rc = 0\n value_len = (\d+)\n(.*)\nStat:\n"
                       r"\tctime = .*\n\tczxid=([0-9a-f]+)\n\tmtime=.*\n\tmzxid=([0-9a-f]+)\n\tversion=(\d+)\taversion=(\d+)\n"
                       r"\tephemeralOwner = (\d+)" % r)
        vlen, data, czxid, mzxid, version, aversion, owner = m.groups()
        self.assertEqual((vlen, data, version, aversion, owner), ("3", "new", "0", "0", "0"))
        self.assertEqual(czxid, mzxid)
        # 'get' leaves a watch: the set must deliver CHANGED_EVENT, then the set's own completion
        since = self.c.mark()
        m = self.c.cmd("set %s/a hello" % self.root, r"%s/a: rc = 0 Stat:\n.*\n\tczxid=[0-9a-f]+\n.*\n\tmzxid=([0-9a-f]+)\n"
                       r"\tversion=(\d+)" % r)
        self.assertEqual(m.group(2), "1")
        self.assertGreater(int(m.group(1), 16), int(mzxid, 16))  # cli_mt prints zxids in hex without 0x
        self.c.wait(r"Watcher CHANGED_EVENT state = CONNECTED_STATE for path %s/a" % r, since)
        m = self.c.cmd("get %s/a" % self.root, r"%s/a: rc = 0\n value_len = (\d+)\n(.*)\n" % r)
        self.assertEqual(m.groups(), ("5", "hello"))

    def test_ls_sequential_ephemeral(self):
        r = re.escape(self.root)
        m = self.c.cmd("create +s %s/s-" % self.root, r"\[%s/s-\]: rc = 0\n\tname = (\S+)" % r)
        self.assertEqual(m.group(1), self.root + "/s-0000000000")
        m = self.c.cmd("create +e %s/e" % self.root, r"\[%s/e\]: rc = 0\n\tname = (\S+)" % r)
        self.assertEqual(m.group(1), self.root + "/e")
        since = self.c.mark()
        self.c.cmd("ls %s" % self.root, r"%s: rc = 0\n((?:\t\S+\n)+)time = " % r)
        kids = re.search(r"%s: rc = 0\n((?:\t\S+\n)+)" % r, self.c.output_since(since)).group(1).split()
        self.assertEqual(sorted(kids), ["e", "s-0000000000"])

    def test_errors(self):
        r = re.escape(self.root)
        self.c.cmd("create %s" % self.root, r"\[%s\]: rc = -110" % r)              # NODEEXISTS
        self.c.cmd("get %s/nope" % self.root, r"%s/nope: rc = -101" % r)            # NONODE
        self.c.cmd("create %s/x/y" % self.root, r"\[%s/x/y\]: rc = -101" % r)       # missing parent
        self.c.cmd("create %s/k" % self.root, r"\[%s/k\]: rc = 0" % r)
        self.c.cmd("delete %s" % self.root, r"%s: rc = -111" % r)                  # NOTEMPTY
        self.c.cmd("exists %s/nope" % self.root, r"Error -101 for %s/nope" % r)

    def test_exists_and_delete(self):
        r = re.escape(self.root)
        self.c.cmd("create %s/d" % self.root, r"\[%s/d\]: rc = 0" % r)
        # threaded 'exists' is synchronous, prints only on error, and leaves a watch
        since = self.c.mark()
        self.c.send("exists %s/d" % self.root)
        time.sleep(0.3)
        self.assertNotIn("Error", self.c.output_since(since))
        since = self.c.mark()
        self.c.cmd("delete %s/d" % self.root, r"%s/d: rc = 0" % r)
        self.c.wait(r"Watcher DELETED_EVENT state = CONNECTED_STATE for path %s/d" % r, since)
        self.c.cmd("exists %s/d" % self.root, r"Error -101 for %s/d" % r)
        self.c.cmd("delete %s" % self.root, r"%s: rc = 0" % r)
