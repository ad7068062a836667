#!/usr/bin/env python3
"""Differential raw-protocol test: run the SAME byte-level scenarios against two servers and compare.

Usage:
  /usr/bin/python3 tests/interop/diff/difftest.py --a zk --b hotzk   # reference A vs candidate B
  /usr/bin/python3 tests/interop/diff/difftest.py --a zk --b zk      # harness self-check (must pass)
  ... [-k scenario-substring] [--a-connect host:port --b-connect host:port]  (use running servers)

Each server is started fresh (tests/interop/conf/main.cfg.tmpl: extended types OFF) so that
scenarios that look at the initial tree (root cversion -1 etc.) see a pristine server, and every
scenario runs in the same order on both, under its own root znode /d-<scenario>.

Observations are normalised before comparison: zxids become first-appearance labels Z0, Z1, ...
(so equality and "new zxid consumed" relations are compared, not values), session ids become S0,
S1, ..., ctime/mtime values are dropped (only ctime==mtime for never-set nodes, mtime>=ctime otherwise). Notification zxids are mapped to an
already-seen label or "Z?" without allocating a label.

Besides A-vs-B equality, when a side is Apache ZooKeeper ("zk") the scenario's expectations from
/work/shared/docs/zk-protocol.md are checked on it, so a zk-vs-zk run is not vacuous.

Known, documented 3.8-vs-3.9 differences are in ALLOWED_DIFFERENCES below: B may differ from A
only in the listed ways. Output: PASS/FAIL line per scenario, exit 1 on any failure.
"""
import argparse
import hashlib
import base64
import json
import os
import re
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import zkserver  # noqa: E402
from rawzk import (OP, WORLD_ALL, RawConn, W, create_body, multi_body, parse_multi, path_only,  # noqa: E402
                   path_version, path_watch, set_acl_body, set_data_body)


def digest_id(user, pw):
    return "%s:%s" % (user, base64.b64encode(hashlib.sha1(("%s:%s" % (user, pw)).encode()).digest()).decode())


BOB = digest_id("bob", "secret")


# ====================================================================== normalisation / recording
class Env:
    def __init__(self, port, target, scenario):
        self.port, self.target, self.scenario = port, target, scenario
        self.obs = []            # [(label, normalised value)]
        self.expect_failures = []
        self.zmap, self.smap = {}, {}
        self.conns = []
        self.root = "/d-" + scenario

    # -- labels
    def Z(self, v):
        if v in (-1, 0):
            return v
        return self.zmap.setdefault(v, "Z%d" % len(self.zmap))

    def Zknown(self, v):
        if v in (-1, 0):
            return v
        return self.zmap.get(v, "Z?")

    def S(self, v):
        if v in (0, None):
            return v
        return self.smap.setdefault(v, "S%d" % len(self.smap))

    def stat(self, st):
        owner = st["ephemeralOwner"]
        return {"czxid": self.Z(st["czxid"]), "mzxid": self.Z(st["mzxid"]), "pzxid": self.Z(st["pzxid"]),
                # ctime==mtime is deterministic only while the data was never set (version 0); after a
                # setData both may fall in the same millisecond or not, so only mtime>=ctime is kept.
                "times": ("ctime==mtime" if st["ctime"] == st["mtime"] else "ctime!=mtime") if st["version"] == 0
                else ("mtime>=ctime" if st["mtime"] >= st["ctime"] else "mtime<ctime"),
                "version": st["version"],
                "cversion": st["cversion"], "aversion": st["aversion"],
                "ephemeralOwner": self.S(owner) if owner in self.smap or owner > 0 else owner,
                "dataLength": st["dataLength"], "numChildren": st["numChildren"]}

    # -- connections
    def raw(self):
        c = RawConn(self.port)
        self.conns.append(c)
        return c

    def conn(self, auth=None):
        c = self.raw()
        resp = c.connect()
        if resp.get("closed_without_reply") or resp["timeOut"] <= 0:
            raise AssertionError("handshake failed: %r" % resp)
        self.S(resp["sessionId"])
        if auth:
            rep = c.auth("digest", auth.encode())
            assert rep != "CLOSED" and rep.err == 0, "auth failed"
        return c

    def close_all(self):
        for c in self.conns:
            if not c.closed and c.session_id:
                c.close_session()
            c.close()

    # -- recording
    def rec(self, label, value):
        self.obs.append((label, value))
        return value

    def expect(self, label, value, expected, why=""):
        """Check `expected` against `value` when this side is Apache ZooKeeper (the reference)."""
        self.rec(label, value)
        if self.target != "zk":
            return value
        if isinstance(expected, dict) and isinstance(value, dict):
            bad = {k: (value.get(k, "<missing>"), v) for k, v in expected.items() if value.get(k, "<missing>") != v}
        else:
            bad = {} if value == expected else {"value": (value, expected)}
        if bad:
            self.expect_failures.append("%s: got/expected %s %s" % (label, bad, ("(" + why + ")") if why else ""))
        return value

    def reply(self, rep, parse=None):
        if isinstance(rep, str):
            return rep
        d = {"err": rep.err, "zxid": self.Z(rep.zxid), "bodylen": len(rep.body)}
        if rep.err == 0 and parse is not None:
            d.update(parse(self, rep.r()))
        return d

    def op(self, c, label, opname, body=b"", parse=None, expect=None, why="", xid=None):
        rep = c.call(OP[opname] if isinstance(opname, str) else opname, body, xid=xid)
        v = self.reply(rep, parse)
        if expect is not None:
            self.expect(label, v, expect, why)
        else:
            self.rec(label, v)
        return rep

    def events(self, c, label, settle=0.2, expect=None, why=""):
        evs = c.drain(settle)
        v = sorted(({"type": t, "state": s, "path": p, "zxid": self.Zknown(z)} for t, s, p, z in evs),
                   key=lambda e: (e["path"], e["type"]))
        self.rec(label, v)
        if expect is not None and self.target == "zk":
            got = [(x["type"], x["path"]) for x in v]
            want = sorted(expect, key=lambda t: (t[1], t[0]))
            if got != want:
                self.expect_failures.append("%s: events %s, expected %s %s" % (label, got, want, why))
        return v


# parsers: (env, reader) -> dict
def P_stat(env, r):
    return {"stat": env.stat(r.stat())}


def P_path(env, r):
    return {"path": r.str()}


def P_path_stat(env, r):
    return {"path": r.str(), "stat": env.stat(r.stat())}


def P_data(env, r):
    d = r.buf()
    return {"data": None if d is None else d.decode("latin-1"), "stat": env.stat(r.stat())}


def P_children(env, r):
    return {"children": sorted(r.strs())}


def P_children2(env, r):
    return {"children": sorted(r.strs()), "stat": env.stat(r.stat())}


def P_acl(env, r):
    return {"acl": sorted(r.acl()), "stat": env.stat(r.stat())}


def P_multi(env, r):
    res = parse_multi(r.d)
    for x in res:
        if "stat" in x:
            x["stat"] = env.stat(x["stat"])
        if "data" in x and x["data"] is not None:
            x["data"] = x["data"].decode("latin-1")
    return {"results": res}


def P_int(env, r):
    return {"int": r.int()}


def P_strs(env, r):
    return {"strings": sorted(r.strs())}


def P_whoami(env, r):
    n = r.int()
    return {"clientInfo": sorted((r.str(), r.str()) for _ in range(n))}


def alive(env, c, label):
    """Probe: is the connection still usable after the previous step?"""
    return env.op(c, label, "exists", path_watch("/"), expect={"err": 0})


# ====================================================================== scenarios
SCENARIOS = []


def scenario(fn):
    SCENARIOS.append(fn)
    return fn


@scenario
def fresh_tree(e):
    """Initial tree of a fresh server (zk-protocol.md §7.1/§7.2). Must run first."""
    c = e.conn()
    st = e.op(c, "exists /", "exists", path_watch("/"), P_stat)
    e.expect("root.cversion", e.obs[-1][1]["stat"]["cversion"], -1, "§7.1 fresh root cversion -1")
    e.expect("root.numChildren", e.obs[-2][1]["stat"]["numChildren"], 1)
    e.op(c, "exists /zookeeper", "exists", path_watch("/zookeeper"), P_stat)
    e.expect("zookeeper.cversion", e.obs[-1][1]["stat"]["cversion"], -2, "§7.1 /zookeeper cversion -2")
    e.op(c, "getChildren2 /zookeeper", "getChildren2", path_watch("/zookeeper"), P_children2,
         expect={"err": 0, "children": ["config", "quota"]})
    e.op(c, "getACL /zookeeper/config", "getACL", path_only("/zookeeper/config"), P_acl,
         expect={"err": 0, "acl": [(1, "world", "anyone")]}, why="§7.2 config is world READ")
    e.expect("config.aversion", e.obs[-1][1]["stat"]["aversion"], -1, "§7.2 aversion -1")
    e.op(c, "getData /zookeeper/config", "getData", path_watch("/zookeeper/config"), P_data,
         expect={"err": 0, "data": ""}, why="§7.2 empty in standalone")
    e.op(c, "getData /zookeeper/quota", "getData", path_watch("/zookeeper/quota"), P_data)
    e.op(c, "getACL /", "getACL", path_only("/"), P_acl, expect={"err": 0, "acl": [(31, "world", "anyone")]})
    e.op(c, "getData '' aliases root", "getData", path_watch(""), P_data)
    e.op(c, "create root", "create", create_body(e.root), P_path, expect={"err": 0, "path": e.root})
    e.op(c, "exists / after create", "exists", path_watch("/"), P_stat)
    e.expect("root.cversion.after", e.obs[-1][1]["stat"]["cversion"], 0, "2*creations - numChildren")
    e.op(c, "getAllChildrenNumber /", "getAllChildrenNumber", path_only("/"), P_int,
         expect={"err": 0, "int": 4}, why="§4.1 includes /zookeeper, quota, config")


@scenario
def handshake(e):
    """ConnectRequest variants (§2)."""
    c44 = e.raw()
    r = c44.connect(send_read_only=False)
    e.S(r["sessionId"])
    e.expect("handshake.44byte", {k: r[k] for k in ("request_len", "response_len", "readOnly", "protocolVersion",
                                                    "timeOut", "passwd_len")},
             {"request_len": 44, "response_len": 36, "readOnly": None, "protocolVersion": 0}, "§2.2")
    alive(e, c44, "handshake.44byte.usable")
    c45 = e.raw()
    r = c45.connect()
    e.S(r["sessionId"])
    e.expect("handshake.45byte", {k: r[k] for k in ("request_len", "response_len", "readOnly", "timeOut",
                                                    "passwd_len")},
             {"request_len": 45, "response_len": 37, "readOnly": False, "timeOut": 30000, "passwd_len": 16})
    for asked, want in ((1000, 4000), (100000, 40000)):
        c = e.raw()
        r = c.connect(timeout_ms=asked)
        e.S(r["sessionId"])
        e.expect("handshake.timeout.%d" % asked, r["timeOut"], want, "§2.3 clamp to [2,20]*tickTime")
    c = e.raw()
    r = c.connect(passwd=b"")
    e.expect("handshake.emptyPasswd", {"ok": r["timeOut"] > 0, "session": e.S(r["sessionId"])},
             {"ok": True})
    # reattach c45's session from a new connection: same id, old connection closed
    re_ = e.raw()
    r = re_.connect(session_id=c45.session_id, passwd=c45.passwd)
    e.expect("handshake.reattach", {"session": e.S(r["sessionId"]), "timeOut": r["timeOut"]},
             {"session": e.S(c45.session_id), "timeOut": 30000})
    e.expect("handshake.reattach.oldClosed", c45.wait_closed(3), True, "§2.3 step 5")
    alive(e, re_, "handshake.reattach.usable")
    # wrong password -> timeOut 0, sessionId 0, 16 zero bytes, close
    bad = e.raw()
    r = bad.connect(session_id=re_.session_id, passwd=b"\x01" * 16)
    e.expect("handshake.badPasswd", {k: r.get(k) for k in ("timeOut", "sessionId", "passwd_len")},
             {"timeOut": 0, "sessionId": 0, "passwd_len": 16}, "§2.3 step 6")
    e.expect("handshake.badPasswd.closed", bad.wait_closed(3), True)
    # Observed on 3.8.0 (not in zk-protocol.md): the factory closes the connections currently attached to
    # the session BEFORE the password is checked, so a wrong-password attempt kicks the legitimate
    # connection off; the session itself survives and can be reattached with the right password.
    e.expect("handshake.badPasswd.kicksOwner", re_.wait_closed(3), True, "3.8.0 observed behaviour")
    again = e.raw()
    r = again.connect(session_id=re_.session_id, passwd=re_.passwd)
    e.expect("handshake.badPasswd.sessionSurvives", {"session": e.S(r["sessionId"]), "timeOut": r["timeOut"]},
             {"session": e.S(re_.session_id), "timeOut": 30000})
    alive(e, again, "handshake.badPasswd.reattachUsable")
    # lastZxidSeen ahead of the server -> closed without reply
    fut = e.raw()
    r = fut.connect(last_zxid=1 << 40)
    e.expect("handshake.futureZxid", r.get("closed_without_reply", False), True, "§2.3 step 2")
    # unknown session id
    unk = e.raw()
    r = unk.connect(session_id=0x0123456789, passwd=b"\x00" * 16)
    e.expect("handshake.unknownSession", {k: r.get(k) for k in ("timeOut", "sessionId")},
             {"timeOut": 0, "sessionId": 0})


@scenario
def bad_paths(e):
    c = e.conn()
    e.op(c, "create root", "create", create_body(e.root), P_path)
    for i, p in enumerate(["noslash", e.root + "/", e.root + "/.", e.root + "/..",
                           e.root + "/a\x00b", e.root + "/a\x01b", e.root + "/a\x7fb", e.root + "/a\u0085b",
                           e.root + "/\ue000", ""]):
        e.op(c, "create bad[%d] %r" % (i, p), "create", create_body(p), P_path, expect={"err": -8},
             why="§7.6 path rules")
    # the parent lookup (NONODE) precedes validation of the full path (§5.1 check order)
    for i, p in enumerate([e.root + "//x", e.root + "/./x", e.root + "/../x"]):
        e.op(c, "create bad-parent[%d] %r" % (i, p), "create", create_body(p), P_path, expect={"err": -101},
             why="§5.1 parent missing -> NONODE before full path check")
    e.op(c, "create missing parent", "create", create_body(e.root + "/nope/x"), P_path, expect={"err": -101})
    e.op(c, "create seq trailing slash", "create", create_body(e.root + "/", flags=2), P_path,
         expect={"err": 0, "path": e.root + "/0000000000"}, why="§7.5")
    for p in ("/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"):
        e.op(c, "delete %s" % p, "delete", path_version(p, -1), expect={"err": -8}, why="§5.1 delete")
    e.op(c, "delete noslash", "delete", path_version("noslash", -1), expect={"err": -8})
    e.op(c, "setData noslash", "setData", set_data_body("noslash", b"x"), P_stat, expect={"err": -8})
    e.op(c, "getData noslash", "getData", path_watch("noslash"), P_data, expect={"err": -101},
         why="§5.1 no path validation on reads")
    e.op(c, "getChildren missing", "getChildren", path_watch(e.root + "/missing"), P_children,
         expect={"err": -101})
    e.op(c, "sync missing echoes path", "sync", path_only(e.root + "/missing"), P_path,
         expect={"err": 0, "path": e.root + "/missing"}, why="§4.1 sync: no existence check")
    e.op(c, "error reply has no body", "delete", path_version(e.root + "/missing", -1),
         expect={"err": -101, "bodylen": 0}, why="§3.1")


@scenario
def versions(e):
    c = e.conn()
    e.op(c, "create root", "create", create_body(e.root), P_path)
    n = e.root + "/n"
    e.op(c, "create2 n", "create2", create_body(n, b"v0"), P_path_stat)
    e.op(c, "setData v5", "setData", set_data_body(n, b"x", 5), P_stat, expect={"err": -103})
    e.op(c, "setData v0", "setData", set_data_body(n, b"v1", 0), P_stat, expect={"err": 0})
    e.op(c, "setData any", "setData", set_data_body(n, b"v2", -1), P_stat, expect={"err": 0})
    e.op(c, "delete v1", "delete", path_version(n, 1), expect={"err": -103})
    e.op(c, "setACL v3", "setACL", set_acl_body(n, WORLD_ALL, 3), P_stat, expect={"err": -103})
    e.op(c, "setACL v0", "setACL", set_acl_body(n, WORLD_ALL, 0), P_stat, expect={"err": 0})
    e.op(c, "exists n", "exists", path_watch(n), P_stat)
    st = e.obs[-1][1]["stat"]
    e.expect("n.versions", (st["version"], st["aversion"], st["cversion"]), (2, 1, 0))
    e.op(c, "check via multi bad", "multi", multi_body([(13, path_version(n, 0))]), P_multi)
    e.op(c, "delete v2", "delete", path_version(n, 2), expect={"err": 0})
    e.op(c, "delete again", "delete", path_version(n, -1), expect={"err": -101})


@scenario
def opcode_errors(e):
    c = e.conn()
    e.op(c, "create root", "create", create_body(e.root), P_path)
    e.op(c, "malformed getData", "getData", b"\x00\x00", expect={"err": -5}, why="§3.4")
    alive(e, c, "malformed.connectionStaysOpen")
    e.op(c, "malformed create", "create", W().str(e.root + "/m").bytes(), expect={"err": -5})
    alive(e, c, "malformed2.connectionStaysOpen")
    e.op(c, "create flags 5", "create", create_body(e.root + "/t5", flags=5), P_path, expect={"err": -6},
         why="§4.1 flags 5/6 on op 1 with extended types off")
    e.op(c, "create flags 6", "create", create_body(e.root + "/t6", flags=6), P_path, expect={"err": -6})
    alive(e, c, "flags56.connectionStaysOpen")
    e.op(c, "create flags 7", "create", create_body(e.root + "/t7", flags=7), P_path, expect={"err": -8})
    e.op(c, "create flags -1", "create", create_body(e.root + "/tm", flags=-1), P_path, expect={"err": -8})
    e.op(c, "createTTL off", "createTTL", create_body(e.root + "/ttl", flags=5, ttl=1000), P_path_stat,
         expect={"err": -6}, why="§4.1 op 21 needs extendedTypesEnabled")
    e.op(c, "create flag 4 via op 1", "create", create_body(e.root + "/f4", flags=4), P_path, expect={"err": 0})
    e.op(c, "flag4 node stat", "exists", path_watch(e.root + "/f4"), P_stat)
    e.op(c, "createContainer op19 flag0", "createContainer", create_body(e.root + "/c19", flags=0), P_path_stat,
         expect={"err": 0})
    e.op(c, "addWatch mode 2", "addWatch", W().str(e.root).int(2).bytes(), expect={"err": -5}, why="§5.1")
    alive(e, c, "addWatch.bad.connectionStaysOpen")
    e.op(c, "addWatch ok body", "addWatch", W().str(e.root).int(0).bytes(), expect={"err": 0, "bodylen": 4},
         why="§14 ErrorResponse{0}")
    e.op(c, "removeWatches type 4", "removeWatches", W().str(e.root).int(4).bytes(), expect={"err": -5},
         why="§6.4 3.8: MARSHALLINGERROR")
    e.op(c, "unknown opcode 999", 999, b"", expect={"err": -6}, why="§3.4")
    e.expect("unknown opcode closes", c.wait_closed(3), True, "§3.4")
    c2 = e.conn()
    e.op(c2, "unused opcode 10", 10, b"", expect={"err": -6})
    e.expect("opcode 10 closes", c2.wait_closed(3), True)


@scenario
def watches(e):
    a, b = e.conn(), e.conn()
    e.op(b, "create root", "create", create_body(e.root), P_path)
    x, y = e.root + "/x", e.root + "/y"
    e.op(a, "exists missing + watch", "exists", path_watch(x, True), P_stat, expect={"err": -101})
    e.op(a, "getData missing + watch", "getData", path_watch(y, True), P_data, expect={"err": -101})
    e.op(b, "create x", "create", create_body(x), P_path)
    e.op(b, "create y", "create", create_body(y), P_path)
    e.events(a, "a.events after creates", expect=[(1, x)], why="§3 exists on NONODE registers; getData does not")
    # dedupe: data + exists + child watch on x, child watch on root; delete x -> one NodeDeleted + parent child event
    e.op(a, "getData x w", "getData", path_watch(x, True), P_data)
    e.op(a, "exists x w", "exists", path_watch(x, True), P_stat)
    e.op(a, "getChildren x w", "getChildren", path_watch(x, True), P_children)
    e.op(a, "getChildren root w", "getChildren2", path_watch(e.root, True), P_children2)
    e.op(b, "delete x", "delete", path_version(x, -1))
    e.events(a, "a.events after delete", expect=[(2, x), (4, e.root)], why="§6.2 one event per trigger")
    # one-shot: a second setData after the first does not fire again
    e.op(a, "getData y w", "getData", path_watch(y, True), P_data)
    e.op(b, "setData y 1", "setData", set_data_body(y, b"1"), P_stat)
    e.op(b, "setData y 2", "setData", set_data_body(y, b"2"), P_stat)
    e.events(a, "a.events one-shot", expect=[(3, y)])
    # notification precedes the write's reply on the same connection (§3.3)
    z = e.root + "/z"
    e.op(a, "exists z w", "exists", path_watch(z, True), P_stat)
    xid = a.send_request(OP["create"], create_body(z))
    rep = a.read_reply(xid)
    e.expect("event before own reply", [t for t, _s, p, _z in a.events], [1], "§3.3")
    e.rec("create z reply", e.reply(rep, P_path))
    e.events(a, "a.events drained")
    # setACL triggers nothing
    e.op(a, "getData z w", "getData", path_watch(z, True), P_data)
    e.op(b, "setACL z", "setACL", set_acl_body(z, WORLD_ALL), P_stat)
    e.events(a, "a.events after setACL", expect=[], why="§6.3 setACL: none")


@scenario
def multi(e):
    c = e.conn()
    e.op(c, "create root", "create", create_body(e.root), P_path)
    n = e.root + "/n"
    e.op(c, "create n", "create", create_body(n, b"0"), P_path)
    e.op(c, "multi.success", "multi", multi_body([
        (1, create_body(e.root + "/a")),
        (15, create_body(e.root + "/b", b"bb")),
        (5, set_data_body(n, b"1", 0)),
        (13, path_version(n, 1)),
        (2, path_version(e.root + "/a", -1)),
        (1, create_body(e.root + "/s-", flags=2))]), P_multi, expect={"err": 0})
    e.op(c, "multi.failure", "multi", multi_body([
        (1, create_body(e.root + "/new")),
        (13, path_version(n, 42)),
        (5, set_data_body(n, b"x"))]), P_multi, expect={"err": 0, "results": [
            {"type": -1, "err": 0}, {"type": -1, "err": -103}, {"type": -1, "err": -2}]}, why="§4.2")
    e.op(c, "multi.failure applied nothing", "exists", path_watch(e.root + "/new"), P_stat, expect={"err": -101})
    e.op(c, "multi.empty", "multi", multi_body([]), P_multi, expect={"err": 0, "results": []})
    e.op(c, "create after empty multi", "create2", create_body(e.root + "/after"), P_path_stat)
    e.op(c, "multiRead", "multiRead", multi_body([
        (4, path_watch(n)), (8, path_watch(e.root)), (4, path_watch(e.root + "/missing"))]), P_multi,
        expect={"err": 0}, why="§4.2 multiRead per-op errors")
    e.expect("multiRead.missing", e.obs[-1][1]["results"][2], {"type": -1, "err": -101})
    e.op(c, "multi mixing read+write", "multi", multi_body([
        (1, create_body(e.root + "/mix")), (4, path_watch(n))]), P_multi)
    e.op(c, "after mix", "exists", path_watch(e.root + "/mix"), P_stat)


@scenario
def set_watches(e):
    c0 = e.conn()
    e.op(c0, "create root", "create", create_body(e.root), P_path)
    p = {k: e.root + "/" + k for k in ("a", "b", "same", "gone", "c", "none", "pw", "rw")}
    for k in ("a", "b", "same", "gone", "rw"):
        rep = e.op(c0, "create " + k, "create", create_body(p[k]), P_path)
    rz = rep.zxid
    e.op(c0, "setData a", "setData", set_data_body(p["a"], b"1"), P_stat)
    e.op(c0, "create b/k", "create", create_body(p["b"] + "/k"), P_path)
    e.op(c0, "create c", "create", create_body(p["c"]), P_path)
    e.op(c0, "delete gone", "delete", path_version(p["gone"], -1))
    c = e.conn()
    body = W().long(rz).strs([p["a"], p["gone"], p["same"]]).strs([p["c"], p["none"]]) \
        .strs([p["b"], p["same"]]).bytes()
    e.op(c, "setWatches", "setWatches", body, expect={"err": 0, "bodylen": 0}, xid=-8)
    e.events(c, "catch-up events", expect=[(3, p["a"]), (2, p["gone"]), (1, p["c"]), (4, p["b"])],
             why="§6.5")
    e.op(c0, "setData same", "setData", set_data_body(p["same"], b"x"), P_stat)
    e.op(c0, "create none", "create", create_body(p["none"]), P_path)
    e.op(c0, "create same/k", "create", create_body(p["same"] + "/k"), P_path)
    e.events(c, "registered watches fire", expect=[(3, p["same"]), (1, p["none"]), (4, p["same"])])
    # SetWatches2: persistent + recursive, registered without catch-up
    body2 = W().long(rz).strs([]).strs([]).strs([]).strs([p["pw"]]).strs([p["rw"]]).bytes()
    e.op(c, "setWatches2", "setWatches2", body2, expect={"err": 0}, xid=-8)
    e.events(c, "setWatches2 no catch-up", expect=[])
    e.op(c0, "create pw", "create", create_body(p["pw"]), P_path)
    e.op(c0, "create pw/k", "create", create_body(p["pw"] + "/k"), P_path)
    e.op(c0, "create rw/x", "create", create_body(p["rw"] + "/x"), P_path)
    e.op(c0, "create rw/x/y", "create", create_body(p["rw"] + "/x/y"), P_path)
    e.events(c, "persistent events", expect=[(1, p["pw"]), (4, p["pw"]), (1, p["rw"] + "/x"),
                                             (1, p["rw"] + "/x/y")], why="§6.3 recursive: no child events")


@scenario
def sequential(e):
    c = e.conn()
    e.op(c, "create root", "create", create_body(e.root), P_path)
    s = e.root + "/s-"
    names = []
    for i in range(3):
        names.append(e.op(c, "seq %d" % i, "create", create_body(s, flags=2), P_path).r().str())
    e.op(c, "delete s-1", "delete", path_version(names[1], -1))
    e.op(c, "seq after delete", "create", create_body(s, flags=2), P_path,
         expect={"path": s + "0000000003"}, why="§7.1 numbers not reused")
    e.op(c, "failed create", "create", create_body(names[0]), P_path, expect={"err": -110})
    e.op(c, "plain child", "create", create_body(e.root + "/plain"), P_path)
    e.op(c, "seq after plain", "create", create_body(s, flags=2), P_path, expect={"path": s + "0000000005"})
    e.op(c, "ephemeral seq", "create2", create_body(s, flags=3), P_path_stat, expect={"path": s + "0000000006"})
    e.op(c, "children", "getChildren2", path_watch(e.root), P_children2)


@scenario
def acl(e):
    anon, bob = e.conn(), e.conn(auth="bob:secret")
    e.op(anon, "create root", "create", create_body(e.root), P_path)
    m, adm = e.root + "/masked", e.root + "/admin"
    e.op(bob, "create masked", "create", create_body(m, b"m", acl=[(3, "digest", BOB), (1, "world", "anyone")]),
         P_path, expect={"err": 0})
    e.op(anon, "getACL masked anon", "getACL", path_only(m), P_acl,
         expect={"err": 0, "acl": [(1, "world", "anyone"), (3, "digest", "bob:x")]}, why="§8.3 masking")
    e.op(bob, "getACL masked bob", "getACL", path_only(m), P_acl)
    e.op(bob, "create admin", "create", create_body(adm, b"a", acl=[(31, "digest", BOB)]), P_path)
    e.op(bob, "getACL admin bob", "getACL", path_only(adm), P_acl,
         expect={"err": 0, "acl": [(31, "digest", BOB)]})
    e.op(anon, "getACL admin anon", "getACL", path_only(adm), P_acl, expect={"err": -102})
    e.op(anon, "acl.anon_exists_noread", "exists", path_watch(adm), P_stat, expect={"err": 0},
         why="§8.3 exists needs nothing <= 3.8.3")
    e.op(anon, "getData admin anon", "getData", path_watch(adm), P_data, expect={"err": -102})
    e.op(anon, "delete missing child of admin", "delete", path_version(adm + "/nope", -1), expect={"err": -102},
         why="§5.1 NOAUTH before NONODE")
    e.op(anon, "setData masked anon", "setData", set_data_body(m, b"x"), P_stat, expect={"err": -102})
    e.op(anon, "create invalid world id", "create", create_body(e.root + "/i1", acl=[(31, "world", "someone")]),
         P_path, expect={"err": -114})
    e.op(anon, "create auth without ids", "create", create_body(e.root + "/i2", acl=[(31, "auth", "")]), P_path,
         expect={"err": -114})
    e.op(anon, "create bad digest id", "create", create_body(e.root + "/i3", acl=[(31, "digest", "nocolon")]),
         P_path, expect={"err": -114})
    e.op(anon, "create unknown scheme", "create", create_body(e.root + "/i4", acl=[(31, "nosuch", "x")]), P_path,
         expect={"err": -114})
    e.op(anon, "create empty acl", "create", create_body(e.root + "/i5", acl=[]), P_path, expect={"err": -114})
    e.op(anon, "create dup acl", "create", create_body(e.root + "/dup", acl=WORLD_ALL + WORLD_ALL), P_path)
    e.op(anon, "getACL dup", "getACL", path_only(e.root + "/dup"), P_acl,
         expect={"acl": [(31, "world", "anyone")]}, why="§8.2 duplicates removed")
    e.op(bob, "create auth scheme", "create", create_body(e.root + "/au", acl=[(31, "auth", "")]), P_path)
    e.op(bob, "getACL auth scheme", "getACL", path_only(e.root + "/au"), P_acl,
         expect={"acl": [(31, "digest", BOB)]})
    e.op(bob, "whoAmI bob", "whoAmI", b"", P_whoami,
         expect={"clientInfo": [("digest", "bob"), ("ip", "127.0.0.1")]}, why="§4.1 whoAmI")
    rep = anon.auth("digest", b"bob:secret")
    e.expect("auth reply", e.reply(rep), {"err": 0, "zxid": 0, "bodylen": 0}, "§3.1 auth replies carry zxid 0")
    e.op(anon, "getData admin after auth", "getData", path_watch(adm), P_data, expect={"err": 0, "data": "a"})
    bad = e.conn()
    rep = bad.auth("nosuch", b"x")
    e.expect("auth unknown scheme", e.reply(rep) if not isinstance(rep, str) else rep, {"err": -115})
    e.expect("auth failure closes", bad.wait_closed(3), True, "§4.1 auth failure -> close")
    e.op(bob, "delete admin", "delete", path_version(adm, -1))


@scenario
def stat_semantics(e):
    c = e.conn()
    e.op(c, "create root", "create", create_body(e.root), P_path)
    par = e.root + "/p"
    e.op(c, "create2 p", "create2", create_body(par, b"12345"), P_path_stat)
    st = e.obs[-1][1]["stat"]
    e.expect("create2 relations", (st["czxid"] == st["mzxid"] == st["pzxid"], st["times"]), (True, "ctime==mtime"))
    for k in ("k1", "k2", "k3"):
        e.op(c, "create2 " + k, "create2", create_body(par + "/" + k), P_path_stat)
    e.op(c, "delete k2", "delete", path_version(par + "/k2", -1))
    e.op(c, "stat p", "exists", path_watch(par), P_stat)
    st = e.obs[-1][1]["stat"]
    e.expect("parent counters", (st["cversion"], st["numChildren"], st["version"]), (4, 2, 0), "§7.1")
    e.op(c, "setData p", "setData", set_data_body(par, b"xy"), P_stat)
    e.op(c, "create null", "create", create_body(par + "/null", None), P_path)
    e.op(c, "create empty", "create", create_body(par + "/empty", b""), P_path)
    e.op(c, "getData null", "getData", path_watch(par + "/null"), P_data, expect={"err": 0, "data": None},
         why="§1.2 null data -> -1 length")
    e.op(c, "getData empty", "getData", path_watch(par + "/empty"), P_data, expect={"err": 0, "data": ""})
    e.op(c, "getAllChildrenNumber p", "getAllChildrenNumber", path_only(par), P_int, expect={"int": 4})
    e.op(c, "create ephemeral", "create2", create_body(par + "/eph", flags=1), P_path_stat)
    e.op(c, "ephemeral child", "create", create_body(par + "/eph/x"), P_path, expect={"err": -108})
    e.op(c, "getEphemerals prefix", "getEphemerals", path_only(e.root), P_strs,
         expect={"strings": [par + "/eph"]})
    e.op(c, "getEphemerals all", "getEphemerals", path_only("/"), P_strs)
    other = e.conn()
    e.op(other, "getEphemerals other session", "getEphemerals", path_only(""), P_strs, expect={"strings": []})
    rep = c.close_session()
    e.expect("closeSession reply", e.reply(rep)["err"] if not isinstance(rep, str) else rep, 0)
    e.op(other, "ephemeral gone", "exists", path_watch(par + "/eph"), P_stat, expect={"err": -101})


@scenario
def watch_removal(e):
    c, w = e.conn(), e.conn()
    e.op(w, "create root", "create", create_body(e.root), P_path)
    n = e.root + "/n"
    e.op(w, "create n", "create", create_body(n), P_path)
    e.op(c, "checkWatches none", "checkWatches", W().str(n).int(2).bytes(), expect={"err": -121}, why="§4.1")
    e.op(c, "removeWatches none", "removeWatches", W().str(n).int(3).bytes(), expect={"err": -121})
    e.op(c, "getData n w", "getData", path_watch(n, True), P_data)
    e.op(c, "checkWatches data", "checkWatches", W().str(n).int(2).bytes(), expect={"err": 0})
    e.op(c, "checkWatches children", "checkWatches", W().str(n).int(1).bytes(), expect={"err": -121})
    e.op(c, "removeWatches data", "removeWatches", W().str(n).int(2).bytes(), expect={"err": 0, "bodylen": 0})
    e.op(w, "setData n", "setData", set_data_body(n, b"x"), P_stat)
    e.events(c, "no event after removal", expect=[], why="§4.1 server sends no removal event")
    e.op(c, "addWatch persistent", "addWatch", W().str(n).int(0).bytes())
    e.op(c, "removeWatches.type4", "removeWatches", W().str(n).int(4).bytes(), expect={"err": -5},
         why="§6.4 type 4 unknown in 3.8")
    e.op(c, "removeWatches data drops persistent (3.8)", "removeWatches", W().str(n).int(2).bytes(),
         expect={"err": 0}, why="§6.4 3.5-3.8")
    e.op(w, "setData n 2", "setData", set_data_body(n, b"y"), P_stat)
    e.events(c, "persistent dropped", expect=[], why="§6.4 3.8: persistent watch removed too")


@scenario
def check_op_toplevel(e):
    """Top-level op 13 (only valid inside multi). MUST stay last: 3.8.0 logs an unreadable txn."""
    c = e.conn()
    e.op(c, "create root", "create", create_body(e.root), P_path)
    rep = c.call(13, path_version(e.root, 0), timeout=2.0)
    v = e.reply(rep)
    if not isinstance(rep, str) and not c.closed:
        v = {"reply": v, "closedAfter": c.wait_closed(2)}
    e.expect("checkop.toplevel", v, "NO_REPLY", "§4.1 op 13: 3.8.0 sends no reply (ZOOKEEPER-2623)")


# ====================================================================== allowed differences
def _strip_event_zxids(v):
    return [{k: x for k, x in ev.items() if k != "zxid"} for ev in v]


def _events_zxid(a, b):
    # ZooKeeper 3.9.0 puts the triggering txn's zxid in the notification header; 3.8.x sends -1 (§3.2).
    return (isinstance(a, list) and isinstance(b, list) and _strip_event_zxids(a) == _strip_event_zxids(b)
            and all(ev["zxid"] == -1 for ev in a) and all(ev["zxid"] != 0 for ev in b))


def _exists_noauth(a, b):
    # exists on a node without READ: allowed in <= 3.8.3 / 3.9.0-3.9.1, NOAUTH from 3.8.4 / 3.9.2 (§8.3).
    return isinstance(a, dict) and a.get("err") == 0 and isinstance(b, dict) and b.get("err") == -102


def _multi_create2(a, b):
    # multi create2 sub-op result: type 1 (path only) before 3.7.2/3.8.2, type 15 with Stat after (§4.2).
    if not (isinstance(a, dict) and isinstance(b, dict)) or a.get("err") != b.get("err"):
        return False
    ra, rb = a.get("results", []), b.get("results", [])
    if len(ra) != len(rb):
        return False
    for x, y in zip(ra, rb):
        if x != y and not (x.get("type") == 1 and y.get("type") == 15 and x.get("path") == y.get("path")):
            return False
    return True


def _toplevel_check(a, b):
    # top-level op 13: 3.8.0 accepts it silently (no reply); 3.8.5+/3.9.3+ reply UNIMPLEMENTED and close (§4.1).
    return a == "NO_REPLY" and (b == "CLOSED" or (isinstance(b, dict) and b.get("reply", {}).get("err") == -6
                                                   and b.get("closedAfter") is True))


def _remove_watches_type4(a, b):
    # WatcherType 4/5 (Persistent/PersistentRecursive) added in 3.9: 3.8 answers MARSHALLINGERROR (§6.4).
    return isinstance(a, dict) and a.get("err") == -5 and isinstance(b, dict) and b.get("err") in (0, -121)


def _remove_data_drops_persistent(a, b):
    # 3.5-3.8 removeWatches(Data) also drops a persistent watch; 3.9+ removes one-shot only (§6.4),
    # so a 3.9-style server answers NOWATCHER here and the persistent watch stays armed.
    return isinstance(a, dict) and a.get("err") == 0 and isinstance(b, dict) and b.get("err") == -121


def _persistent_still_armed(a, b):
    return a == [] and isinstance(b, list) and [(ev["type"], ev["path"]) for ev in b] in ([(3, "/d-watch_removal/n")],)


def _readonly_mirroring(a, b):
    # 3.9.0-3.9.2 always appended the readOnly byte (ZOOKEEPER-4814); 3.8 and 3.9.3+ mirror the client (§2.2).
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    rest = lambda d: {k: v for k, v in d.items() if k not in ("response_len", "readOnly")}  # noqa: E731
    return rest(a) == rest(b) and b.get("response_len") == 37 and b.get("readOnly") is False


ALLOWED_DIFFERENCES = [
    # (label regex, predicate(a_value, b_value), reason naming the version change)
    (r"events|^a\.events|catch-up|fire|persistent", _events_zxid,
     "notification zxid: -1 up to 3.8.x, triggering txn zxid from 3.9.0"),
    (r"^acl\.anon_exists_noread$", _exists_noauth, "exists requires READ from 3.8.4 / 3.9.2"),
    (r"^multi\.success$", _multi_create2, "multi create2 result type 15 from 3.7.2 / 3.8.2 / 3.9.0"),
    (r"^checkop\.toplevel$", _toplevel_check, "top-level check: UNIMPLEMENTED+close from 3.8.5 / 3.9.3"),
    (r"^removeWatches\.type4$|^removeWatches type 4$", _remove_watches_type4,
     "removeWatches types 4/5 exist from 3.9.0"),
    (r"^removeWatches data drops persistent", _remove_data_drops_persistent,
     "3.9 removeWatches(Data/Children) removes one-shot watches only"),
    (r"^persistent dropped$", _persistent_still_armed, "consequence of the 3.9 removeWatches change"),
    (r"^handshake\.44byte$", _readonly_mirroring, "readOnly byte always appended in 3.9.0-3.9.2 (ZOOKEEPER-4814)"),
]


def compare(obs_a, obs_b):
    """Return (diffs, allowed) lists of human-readable strings."""
    diffs, allowed = [], []
    la, lb = [l for l, _ in obs_a], [l for l, _ in obs_b]
    if la != lb:
        diffs.append("observation sequence differs: A has %d, B has %d steps" % (len(la), len(lb)))
    for (label, va), (_lb, vb) in zip(obs_a, obs_b):
        if va == vb:
            continue
        rule = next((r for r in ALLOWED_DIFFERENCES if re.search(r[0], label) and r[1](va, vb)), None)
        if rule:
            allowed.append("%s: %s" % (label, rule[2]))
        else:
            diffs.append("%s:\n      A=%s\n      B=%s" % (label, json.dumps(va, default=str),
                                                            json.dumps(vb, default=str)))
    return diffs, allowed


# ====================================================================== driver
def run_side(port, target, scenarios):
    out = {}
    for fn in scenarios:
        e = Env(port, target, fn.__name__)
        err = None
        try:
            fn(e)
        except Exception:
            err = traceback.format_exc()
        finally:
            try:
                e.close_all()
            except Exception:
                pass
        out[fn.__name__] = (e, err)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--a", default="zk", choices=["zk", "hotzk"], help="reference target")
    ap.add_argument("--b", default="hotzk", choices=["zk", "hotzk"], help="candidate target")
    ap.add_argument("--a-connect")
    ap.add_argument("--b-connect")
    ap.add_argument("-k", dest="filter")
    ap.add_argument("-v", action="store_true", help="print every observation")
    args = ap.parse_args(argv)
    scen = [s for s in SCENARIOS if not args.filter or args.filter in s.__name__]
    name = "diff[%s-vs-%s]" % (args.a, args.b)
    servers = []
    try:
        ports = []
        for side, target, cs in (("A", args.a, args.a_connect), ("B", args.b, args.b_connect)):
            if cs:
                ports.append(int(cs.rsplit(":", 1)[1]))
                continue
            ok, why = zkserver.target_available(target)
            if not ok:
                print("FAIL %s/<setup>: %s target unavailable: %s" % (name, side, why))
                return 1
            srv = zkserver.Server(target, "main")
            servers.append(srv)
            try:
                srv.start()
            except Exception as ex:  # noqa
                print("FAIL %s/<setup>: %s" % (name, str(ex).replace("\n", " | ")[:800]))
                return 1
            ports.append(srv.port)
        # A and B run one after the other (not interleaved) so each server sees a deterministic sequence
        t0 = time.monotonic()
        res_a = run_side(ports[0], args.a, scen)
        res_b = run_side(ports[1], args.b, scen)
        n_pass = n_fail = 0
        for fn in scen:
            sname = fn.__name__
            ea, erra = res_a[sname]
            eb, errb = res_b[sname]
            problems = []
            if erra:
                problems.append("A(%s) raised: %s" % (args.a, erra.strip().splitlines()[-1]))
            if errb:
                problems.append("B(%s) raised: %s" % (args.b, errb.strip().splitlines()[-1]))
            for side, e in (("A", ea), ("B", eb)):
                for f in e.expect_failures:
                    problems.append("%s(%s) violates zk-protocol.md: %s" % (side, e.target, f))
            diffs, allowed = compare(ea.obs, eb.obs)
            problems += ["A/B differ at " + d for d in diffs]
            if args.v:
                for (l, va), (_l, vb) in zip(ea.obs, eb.obs):
                    print("   %-45s A=%s%s" % (l, json.dumps(va, default=str),
                                               "" if va == vb else "  B=" + json.dumps(vb, default=str)))
            for a in allowed:
                print("   note %s/%s: allowed difference %s" % (name, sname, a))
            if problems:
                n_fail += 1
                print("FAIL %s/%s: %d problem(s)" % (name, sname, len(problems)))
                for p in problems:
                    print("   - " + p)
                for side, err in (("A", erra), ("B", errb)):
                    if err:
                        sys.stderr.write("---- %s %s side %s\n%s\n" % (name, sname, side, err))
            else:
                n_pass += 1
                print("PASS %s/%s (%d observations)" % (name, sname, len(ea.obs)))
            sys.stdout.flush()
        print("%s: %d passed, %d failed, 0 skipped in %.1fs" % (name, n_pass, n_fail, time.monotonic() - t0))
        return 1 if n_fail or not scen else 0
    finally:
        for s in servers:
            s.cleanup()


if __name__ == "__main__":
    sys.exit(main())
