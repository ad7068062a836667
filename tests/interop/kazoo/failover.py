#!/usr/bin/env python3
"""kazoo failover workload for the `ensemble` suite (tests/interop/run.py drives it).

  /usr/bin/python3 tests/interop/kazoo/failover.py <host:port,host:port,host:port> [--max-seconds 90]

Three worker clients (each first tries a different member: hosts rotated, randomize_hosts=False) and
one idle client, all with a bounded KazooRetry policy and a 10 s session, work under a fresh root:
  * Lock + shared counter znode: under the lock, read the counter and write value+1 with the read
    version. A lost connection makes the outcome of that write ambiguous; it is resolved by re-reading
    (still under the lock): version+1 and our value -> it was applied, same version -> write again.
    Every lock hold is recorded as a [acquired, releasing] interval on one monotonic clock.
  * Counter recipe (kazoo.recipe.counter): `counter += 1`, post_value recorded. The recipe retries a
    versioned set after a connection loss, so an increment whose reply was lost can be applied twice:
    such calls (a connection drop of that client during the call) are counted as ambiguous.
  * Ephemeral registration per client, data = its session id.
Protocol: prints READY once every worker has done one increment, then reads stdin lines
`kill <server>`, `restarted <server>`, `stop` (EOF = stop; --max-seconds bounds the run). Then checks:
  failover/kazoo.lock_counter         counter znode == number of increments the clients recorded
  failover/kazoo.lock_exclusion       no two lock hold intervals overlap
  failover/kazoo.counter_recipe       post_values distinct; successes <= value <= successes + ambiguous
  failover/kazoo.sessions_ephemerals  every client kept its session id and its ephemeral (owner == sid)
  failover/kazoo.replicas_agree       a client pinned to each member (after sync) reads the same counters
                                      and registrations: the restarted old leader caught up
  failover/kazoo.progress             no worker errors; increments completed after the kill and after
                                      the restart (when the harness sent them)
"""
import logging
import os
import queue
import random
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient, KazooState
from kazoo.exceptions import BadVersionError, ConnectionLoss, OperationTimeoutError
from kazoo.retry import KazooRetry

logging.basicConfig(level=logging.CRITICAL)

N_WORKERS = 3
SESSION_TIMEOUT = 10.0
LOCK_TIMEOUT = 20.0
NAME = "failover/kazoo"


def retry_policy():
    # bounded: gives up after 20 s; a session expiry is NOT retried (it must not happen here)
    return KazooRetry(max_tries=200, delay=0.05, backoff=1.5, max_jitter=0.05, max_delay=0.5,
                      deadline=20.0, ignore_expire=False)


def make_client(hosts, rotate):
    hs = hosts[rotate % len(hosts):] + hosts[:rotate % len(hosts)]
    c = KazooClient(hosts=",".join(hs), timeout=SESSION_TIMEOUT, randomize_hosts=False,
                    connection_retry=KazooRetry(max_tries=-1, delay=0.05, backoff=1.5, max_delay=0.5),
                    command_retry=retry_policy())
    c.start(timeout=20)
    return c


class Shared:
    def __init__(self):
        self.lock = threading.Lock()
        self.increments = []      # (monotonic time, worker) of each counted lock-guarded increment
        self.ambiguous_set = 0    # lock-guarded writes whose outcome had to be resolved by re-reading
        self.intervals = []       # (start, end, worker)
        self.counter_ok = []      # post_values of successful Counter increments
        self.counter_ambiguous = 0
        self.errors = []
        self.stop = threading.Event()

    def add(self, attr, value):
        with self.lock:
            getattr(self, attr).append(value)


class Worker(threading.Thread):
    def __init__(self, idx, client, root, shared):
        super().__init__(daemon=True, name="worker-%d" % idx)
        self.idx, self.c, self.root, self.sh = idx, client, root, shared
        self.suspensions = 0
        self.c.add_listener(self._on_state)
        self.lock = client.Lock(root + "/lock", "w%d" % idx)
        self.counter = client.Counter(root + "/kcounter")
        self.counter_path = root + "/counter"
        self.done_first = threading.Event()

    def _on_state(self, state):
        # runs in the connection thread before it reconnects, so any call that outlives a drop of
        # this client's connection sees the count change
        if state != KazooState.CONNECTED:
            self.suspensions += 1

    def versioned_increment(self):
        """Under the lock: read, write value+1 with the read version; resolve lost replies by re-reading."""
        c, path = self.c, self.counter_path
        data, st = c.retry(c.get, path)
        value, version = int(data), st.version
        new = str(value + 1).encode()
        time.sleep(random.uniform(0, 0.003))
        deadline = time.monotonic() + 25
        attempt = 0
        while time.monotonic() < deadline:
            attempt += 1
            try:
                c.set(path, new, version=version)
                return attempt > 1
            except (ConnectionLoss, OperationTimeoutError):
                data2, st2 = c.retry(c.get, path)
                if st2.version == version + 1 and data2 == new:
                    return True  # applied; only the reply was lost
                if st2.version != version:
                    raise AssertionError("counter changed under the lock: v%d %r -> v%d %r"
                                         % (version, data, st2.version, data2))
                time.sleep(0.05)
            except BadVersionError:
                data2, st2 = c.retry(c.get, path)
                if attempt > 1 and st2.version == version + 1 and data2 == new:
                    return True  # an earlier attempt was applied
                raise AssertionError("BadVersion under the lock (someone else wrote): v%d %r -> v%d %r"
                                     % (version, data, st2.version, data2))
        raise AssertionError("versioned write not settled within 25 s")

    def run(self):
        try:
            while not self.sh.stop.is_set():
                if not self.lock.acquire(timeout=LOCK_TIMEOUT):
                    raise AssertionError("lock not acquired within %.0f s" % LOCK_TIMEOUT)
                t0 = time.monotonic()
                try:
                    ambiguous = self.versioned_increment()
                    t_inc = time.monotonic()
                finally:
                    t1 = time.monotonic()
                    self.sh.add("intervals", (t0, t1, self.idx))
                    self.lock.release()
                self.sh.add("increments", (t_inc, self.idx))
                if ambiguous:
                    with self.sh.lock:
                        self.sh.ambiguous_set += 1
                g0 = self.suspensions
                try:
                    self.counter += 1
                    post = self.counter.post_value
                except Exception:
                    with self.sh.lock:
                        self.sh.counter_ambiguous += 1
                    raise
                if self.suspensions != g0:
                    with self.sh.lock:
                        self.sh.counter_ambiguous += 1
                self.sh.add("counter_ok", post)
                self.done_first.set()
                time.sleep(random.uniform(0.005, 0.02))
        except Exception as e:  # noqa
            self.sh.add("errors", "w%d: %s: %s" % (self.idx, type(e).__name__, e))
        finally:
            self.done_first.set()


FAILED = []


def result(ok, check, detail=""):
    if not ok:
        FAILED.append(check)
    if ok:
        print("PASS %s.%s" % (NAME, check), flush=True)
    else:
        print("FAIL %s.%s: %s" % (NAME, check, detail[:800].replace("\n", " | ")), flush=True)
    return ok


def stdin_reader(q):
    for line in sys.stdin:
        q.put(line.strip())
    q.put("stop")  # EOF


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    hosts = argv[1].split(",")
    max_seconds = float(argv[argv.index("--max-seconds") + 1]) if "--max-seconds" in argv else 90.0
    t_start = time.monotonic()
    root = "/failover-kazoo-%s" % uuid.uuid4().hex[:8]
    sh = Shared()
    clients = []
    try:
        admin = make_client(hosts, 0)
        clients.append(admin)
        admin.create(root + "/members", makepath=True)
        admin.create(root + "/counter", b"0")
        workers = []
        regs = {}  # name -> (client, session id)
        for i in range(N_WORKERS):
            c = make_client(hosts, i)
            clients.append(c)
            workers.append(Worker(i, c, root, sh))
        idle = make_client(hosts, N_WORKERS)
        clients.append(idle)
        for name, c in [("w%d" % i, w.c) for i, w in enumerate(workers)] + [("idle", idle)]:
            sid = c.client_id[0]
            c.create(root + "/members/" + name, b"%x" % sid, ephemeral=True)
            regs[name] = (c, sid)
        for w in workers:
            w.start()
        for w in workers:
            w.done_first.wait(20)
        print("READY", flush=True)

        # harness events, bounded by --max-seconds
        events = {}
        q = queue.Queue()
        threading.Thread(target=stdin_reader, args=(q,), daemon=True).start()
        while True:
            left = max_seconds - (time.monotonic() - t_start)
            if left <= 0:
                sh.add("errors", "no 'stop' from the harness within %.0f s" % max_seconds)
                break
            try:
                cmd = q.get(timeout=min(left, 1.0))
            except queue.Empty:
                continue
            word = cmd.split()[0] if cmd else ""
            if word in ("kill", "restarted"):
                events[word] = time.monotonic()
                print("   %s: '%s' at +%.2fs" % (NAME, cmd, events[word] - t_start), flush=True)
            elif word == "stop":
                break
        sh.stop.set()
        for w in workers:
            w.join(LOCK_TIMEOUT + 30)
        hung = [w.name for w in workers if w.is_alive()]
        if hung:
            sh.add("errors", "workers still running after stop: %s" % hung)

        # ---------------------------------------------------------------- checks
        verify = make_client(hosts, 1)
        clients.append(verify)
        verify.sync(root)
        final = int(verify.get(root + "/counter")[0])
        n_inc = len(sh.increments)
        result(n_inc > 0 and final == n_inc, "lock_counter",
               "counter znode %d != %d increments recorded by the clients (%d resolved after a lost reply)"
               % (final, n_inc, sh.ambiguous_set))

        iv = sorted(sh.intervals)
        overlaps = [(a, b) for a, b in zip(iv, iv[1:]) if b[0] < a[1]]
        result(not overlaps, "lock_exclusion", "%d overlapping lock holds, first: %s" % (
            len(overlaps), overlaps[:1]))

        kfinal = int(verify.get(root + "/kcounter")[0] or b"0")
        posts = sh.counter_ok
        dup = sorted(set(p for p in posts if posts.count(p) > 1))
        ok_c = not dup and len(posts) <= kfinal <= len(posts) + sh.counter_ambiguous and \
            (not posts or max(posts) <= kfinal)
        result(ok_c, "counter_recipe", "value %d, %d successful increments, %d ambiguous, duplicate post_values %s"
               % (kfinal, len(posts), sh.counter_ambiguous, dup[:5]))

        bad = []
        members = set(verify.get_children(root + "/members"))
        for name, (c, sid) in sorted(regs.items()):
            if c.client_id is None or c.client_id[0] != sid:
                bad.append("%s: session 0x%x -> %s" % (name, sid, c.client_id and hex(c.client_id[0])))
                continue
            st = c.exists(root + "/members/" + name)
            if st is None or name not in members:
                bad.append("%s: registration gone" % name)
            elif st.ephemeralOwner != sid:
                bad.append("%s: ephemeralOwner 0x%x != session 0x%x" % (name, st.ephemeralOwner, sid))
        result(not bad, "sessions_ephemerals", "; ".join(bad))

        # every member (the restarted old leader included) serves the same values after a sync
        views = []
        for h in hosts:
            one = KazooClient(hosts=h, timeout=SESSION_TIMEOUT, command_retry=retry_policy())
            clients.append(one)
            try:
                one.start(timeout=20)
                one.sync(root)
                views.append((h, int(one.get(root + "/counter")[0]), int(one.get(root + "/kcounter")[0] or b"0"),
                              sorted(one.get_children(root + "/members"))))
            except Exception as e:  # noqa
                views.append((h, "%s: %s" % (type(e).__name__, e)))
        want = (final, kfinal, sorted(members))
        differ = [v for v in views if v[1:] != want]
        result(not differ, "replicas_agree", "expected counter/kcounter/members %s; differing members: %s"
               % (want, differ))

        times = sorted(t for t, _ in sh.increments)
        prog = []
        for ev in ("kill", "restarted"):
            if ev in events and not any(t > events[ev] for t in times):
                prog.append("no increment completed after '%s'" % ev)
        per_worker = [sum(1 for _, w in sh.increments if w == i) for i in range(N_WORKERS)]
        if min(per_worker) == 0:
            prog.append("a worker made no increment: %s" % per_worker)
        result(not sh.errors and not prog, "progress", "; ".join(sh.errors + prog))
        gaps = [b - a for a, b in zip(times, times[1:])]
        print("   %s: %d locked increments (per worker %s, %d resolved after a lost reply), counter recipe %d "
              "(%d ambiguous), connection drops per worker %s, longest pause between increments %.2fs"
              % (NAME, n_inc, per_worker, sh.ambiguous_set, kfinal, sh.counter_ambiguous,
                 [w.suspensions for w in workers], max(gaps) if gaps else 0.0), flush=True)
        try:
            verify.delete(root, recursive=True)
        except Exception:  # noqa
            pass
    except Exception as e:  # noqa
        import traceback
        traceback.print_exc()
        print("FAIL %s.<setup>: %s: %s" % (NAME, type(e).__name__, str(e)[:500]), flush=True)
        sh.stop.set()
        return 1
    finally:
        sh.stop.set()
        for c in clients:
            try:
                c.stop()
                c.close()
            except Exception:  # noqa
                pass
    return 1 if FAILED else 0


if __name__ == "__main__":
    rc = main(sys.argv)
    sys.stdout.flush()
    os._exit(rc)  # daemon threads (stdin reader, a hung worker) must not delay the exit
