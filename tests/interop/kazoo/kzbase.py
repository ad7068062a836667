"""Shared fixture for the kazoo suite: one unique root znode per test, clients closed on teardown."""
import logging
import os
import threading
import time
import unittest
import uuid

from kazoo.client import KazooClient

logging.basicConfig(level=logging.CRITICAL)  # kazoo logs reconnects loudly; test output is PASS/FAIL lines

CONNECT = None


def connect_string():
    return os.environ["ZK_CONNECT"]


def wait_for(pred, timeout=10.0, interval=0.05):
    """Poll pred() until truthy or timeout; returns the last value (bounded wait)."""
    deadline = time.monotonic() + timeout
    v = pred()
    while not v and time.monotonic() < deadline:
        time.sleep(interval)
        v = pred()
    return v


class Recorder:
    """Thread-safe list of watch callbacks' arguments."""

    def __init__(self):
        self.items = []
        self.lock = threading.Lock()

    def __call__(self, *args):
        with self.lock:
            self.items.append(args[0] if len(args) == 1 else args)

    def snapshot(self):
        with self.lock:
            return list(self.items)


class KzTest(unittest.TestCase):
    def setUp(self):
        self._clients = []
        self.zk = self.client()
        self.root = "/kz-%s-%s" % (self._testMethodName, uuid.uuid4().hex[:8])
        self.zk.create(self.root)

    def client(self, start=True, **kw):
        kw.setdefault("timeout", 10.0)
        c = KazooClient(hosts=connect_string(), **kw)
        self._clients.append(c)
        if start:
            c.start(timeout=15)
        return c

    def p(self, *parts):
        return "/".join((self.root,) + parts)

    @staticmethod
    def catch_up(client, path):
        """sync() before a read that must see another session's write. ZooKeeper orders each session's
        own view only: in an ensemble the reader's server may not have applied a write another session
        just got answered for (Apache 3.8 ensembles show it too). No-op in effect on a single server."""
        client.sync(path)

    def tearDown(self):
        try:
            if self.zk.connected:
                self.zk.delete(self.root, recursive=True)
        except Exception:
            pass
        for c in self._clients:
            try:
                c.stop()
                c.close()
            except Exception:
                pass
