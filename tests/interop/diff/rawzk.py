"""Minimal raw-socket ZooKeeper (jute) client: every byte on the wire is under the test's control.

Layouts follow /work/shared/docs/zk-protocol.md §1–§4. No pings are sent: keep scenarios short
(sessions are opened with a 30 s timeout).
"""
import socket
import struct
import time

OP = dict(notification=0, create=1, delete=2, exists=3, getData=4, setData=5, getACL=6, setACL=7,
          getChildren=8, sync=9, ping=11, getChildren2=12, check=13, multi=14, create2=15, reconfig=16,
          checkWatches=17, removeWatches=18, createContainer=19, deleteContainer=20, createTTL=21,
          multiRead=22, auth=100, setWatches=101, sasl=102, getEphemerals=103, getAllChildrenNumber=104,
          setWatches2=105, addWatch=106, whoAmI=107, closeSession=-11)

WORLD_ALL = [(31, "world", "anyone")]


# ------------------------------------------------------------------ encoding
class W:
    def __init__(self):
        self.parts = []

    def int(self, v):
        self.parts.append(struct.pack(">i", v)); return self

    def long(self, v):
        self.parts.append(struct.pack(">q", v)); return self

    def bool(self, v):
        self.parts.append(b"\x01" if v else b"\x00"); return self

    def byte(self, v):
        self.parts.append(struct.pack(">b", v)); return self

    def buf(self, b):
        if b is None:
            return self.int(-1)
        self.int(len(b)); self.parts.append(b); return self

    def str(self, s):
        return self.buf(None if s is None else s.encode("utf-8"))

    def strs(self, lst):
        self.int(len(lst))
        for s in lst:
            self.str(s)
        return self

    def acl(self, acls):
        self.int(len(acls))
        for perms, scheme, ident in acls:
            self.int(perms).str(scheme).str(ident)
        return self

    def raw(self, b):
        self.parts.append(b); return self

    def bytes(self):
        return b"".join(self.parts)


class R:
    def __init__(self, data):
        self.d = data
        self.o = 0

    def left(self):
        return len(self.d) - self.o

    def int(self):
        v = struct.unpack_from(">i", self.d, self.o)[0]; self.o += 4; return v

    def long(self):
        v = struct.unpack_from(">q", self.d, self.o)[0]; self.o += 8; return v

    def bool(self):
        v = self.d[self.o] != 0; self.o += 1; return v

    def buf(self):
        n = self.int()
        if n < 0:
            return None
        v = self.d[self.o:self.o + n]; self.o += n; return v

    def str(self):
        b = self.buf()
        return None if b is None else b.decode("utf-8")

    def strs(self):
        n = self.int()
        return None if n < 0 else [self.str() for _ in range(n)]

    def stat(self):
        keys = ("czxid", "mzxid", "ctime", "mtime", "version", "cversion", "aversion", "ephemeralOwner",
                "dataLength", "numChildren", "pzxid")
        fmt = ">qqqqiiiqiiq"
        vals = struct.unpack_from(fmt, self.d, self.o)
        self.o += struct.calcsize(fmt)
        return dict(zip(keys, vals))

    def acl(self):
        n = self.int()
        return [(self.int(), self.str(), self.str()) for _ in range(n)]


# ------------------------------------------------------------------ request bodies
def create_body(path, data=b"", acl=WORLD_ALL, flags=0, ttl=None):
    w = W().str(path).buf(data).acl(acl).int(flags)
    if ttl is not None:
        w.long(ttl)
    return w.bytes()


def path_watch(path, watch=False):
    return W().str(path).bool(watch).bytes()


def path_only(path):
    return W().str(path).bytes()


def path_version(path, version):
    return W().str(path).int(version).bytes()


def set_data_body(path, data, version=-1):
    return W().str(path).buf(data).int(version).bytes()


def set_acl_body(path, acl, version=-1):
    return W().str(path).acl(acl).int(version).bytes()


def multi_body(ops):
    """ops: list of (type, body bytes). MultiHeader{type, done=false, err=-1} + body ... end marker."""
    w = W()
    for t, body in ops:
        w.int(t).bool(False).int(-1).raw(body)
    w.int(-1).bool(True).int(-1)
    return w.bytes()


def parse_multi(body):
    r = R(body)
    out = []
    while True:
        t, done, err = r.int(), r.bool(), r.int()
        if done:
            break
        if t == -1:
            out.append({"type": -1, "err": r.int()})
        elif t == 1:
            out.append({"type": 1, "path": r.str()})
        elif t in (15, 19, 21):
            out.append({"type": t, "path": r.str(), "stat": r.stat()})
        elif t in (2, 13):
            out.append({"type": t})
        elif t == 5:
            out.append({"type": 5, "stat": r.stat()})
        elif t == 4:
            out.append({"type": 4, "data": r.buf(), "stat": r.stat()})
        elif t == 8:
            out.append({"type": 8, "children": sorted(r.strs())})
        else:
            out.append({"type": t, "unparsed": r.left()})
            break
    return out


# ------------------------------------------------------------------ connection
class Closed(Exception):
    pass


class Reply:
    def __init__(self, xid, zxid, err, body):
        self.xid, self.zxid, self.err, self.body = xid, zxid, err, body

    def r(self):
        return R(self.body)


class RawConn:
    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.xid = 0
        self.events = []   # (type, state, path, zxid)
        self.closed = False
        self.session_id = None
        self.passwd = None

    # -- framing
    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">i", len(payload)) + payload)

    def _recv_exact(self, n, timeout):
        self.sock.settimeout(timeout)
        chunks, got = [], 0
        while got < n:
            try:
                b = self.sock.recv(n - got)
            except socket.timeout:
                if got:
                    raise Closed("partial frame")
                raise
            except (ConnectionResetError, OSError):
                b = b""
            if not b:
                self.closed = True
                raise Closed("connection closed by server")
            chunks.append(b)
            got += len(b)
        return b"".join(chunks)

    def recv_frame(self, timeout=5.0):
        n = struct.unpack(">i", self._recv_exact(4, timeout))[0]
        return self._recv_exact(n, timeout)

    def wait_closed(self, timeout=3.0):
        """True if the server closes the connection within timeout (frames read meanwhile are dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    self.recv_frame(max(0.05, deadline - time.monotonic()))
                except socket.timeout:
                    return False
        except Closed:
            return True
        return False

    # -- handshake
    def connect(self, timeout_ms=30000, session_id=0, passwd=b"\x00" * 16, last_zxid=0, read_only=False,
                send_read_only=True):
        w = W().int(0).long(last_zxid).int(timeout_ms).long(session_id).buf(passwd)
        if send_read_only:
            w.bool(read_only)
        req = w.bytes()
        self.send_frame(req)
        try:
            frame = self.recv_frame(10)
        except Closed:
            return {"closed_without_reply": True, "request_len": len(req)}
        r = R(frame)
        resp = {"request_len": len(req), "response_len": len(frame), "protocolVersion": r.int(),
                "timeOut": r.int(), "sessionId": r.long()}
        pw = r.buf()
        resp["passwd_len"] = None if pw is None else len(pw)
        resp["readOnly"] = r.bool() if r.left() >= 1 else None
        self.session_id, self.passwd = resp["sessionId"], pw
        return resp

    # -- requests
    def send_request(self, op, body=b"", xid=None):
        if xid is None:
            self.xid += 1
            xid = self.xid
        self.send_frame(W().int(xid).int(op).bytes() + body)
        return xid

    def read_reply(self, xid, timeout=5.0):
        """Read frames until the reply for xid; notifications are queued in self.events."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self.recv_frame(max(0.05, deadline - time.monotonic()))
            r = R(frame)
            rxid, zxid, err = r.int(), r.long(), r.int()
            body = frame[16:]
            if rxid == -1:
                ev = R(body)
                self.events.append((ev.int(), ev.int(), ev.str(), zxid))
                continue
            if rxid == xid:
                return Reply(rxid, zxid, err, body)
            if rxid == -2:
                continue  # ping reply
            raise AssertionError("unexpected reply xid %d while waiting for %d" % (rxid, xid))

    def call(self, op, body=b"", xid=None, timeout=5.0):
        """Send and wait. Returns Reply, 'CLOSED' (server closed) or 'NO_REPLY' (timeout)."""
        try:
            x = self.send_request(op, body, xid)
            return self.read_reply(x, timeout)
        except Closed:
            return "CLOSED"
        except socket.timeout:
            return "NO_REPLY"
        except (BrokenPipeError, ConnectionResetError):
            self.closed = True
            return "CLOSED"

    def barrier(self, timeout=10.0):
        """Round-trip a ping (xid -2, type 11). Pings go through the request pipeline, and a server
        queues a notification when the triggering write is applied, i.e. before it replies to anything
        that comes later (zk-protocol.md §3.3) - so after the ping reply every event caused by writes
        already acknowledged to any client has been received. Returns False if the server closed."""
        try:
            self.send_frame(W().int(-2).int(OP["ping"]).bytes())
            deadline = time.monotonic() + timeout
            while True:
                frame = self.recv_frame(max(0.05, deadline - time.monotonic()))
                r = R(frame)
                rxid, zxid, _err = r.int(), r.long(), r.int()
                if rxid == -1:
                    ev = R(frame[16:])
                    self.events.append((ev.int(), ev.int(), ev.str(), zxid))
                elif rxid == -2:
                    return True
        except (socket.timeout, Closed, OSError):
            return False

    def drain(self, settle=0.3):
        """Ping barrier, then collect notifications arriving within `settle` seconds (catches
        duplicates); return and clear them."""
        if not self.closed:
            self.barrier()
        try:
            while True:
                frame = self.recv_frame(settle)
                r = R(frame)
                rxid, zxid, _err = r.int(), r.long(), r.int()
                if rxid == -1:
                    ev = R(frame[16:])
                    self.events.append((ev.int(), ev.int(), ev.str(), zxid))
        except (socket.timeout, Closed):
            pass
        ev, self.events = self.events, []
        return ev

    def auth(self, scheme, auth_bytes):
        return self.call(OP["auth"], W().int(0).str(scheme).buf(auth_bytes).bytes(), xid=-4)

    def close_session(self):
        if self.closed:
            return "CLOSED"
        rep = self.call(OP["closeSession"])
        self.close()
        return rep

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.closed = True
