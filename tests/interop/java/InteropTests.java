// Java client + Curator 5 interop suite for HotZk / Apache ZooKeeper 3.8.
// Compiled at test time by run.sh; prints PASS/FAIL/SKIP lines and exits 1 on any failure.
// Usage: java InteropTests <connect> [--ttl-connect host:port] [testName ...]

import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.curator.framework.api.transaction.CuratorTransactionResult;
import org.apache.curator.framework.api.transaction.OperationType;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.*;
import org.apache.zookeeper.Watcher.Event.EventType;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs.Ids;
import org.apache.zookeeper.data.ClientInfo;
import org.apache.zookeeper.data.Stat;

public class InteropTests {
    interface Body { void run(Ctx c) throws Exception; }

    static String connect;
    static String ttlConnect;
    static final LinkedHashMap<String, Body> TESTS = new LinkedHashMap<>();

    // ---------------------------------------------------------------- infrastructure

    /** Per-test context: unique root znode, all clients closed afterwards. */
    static final class Ctx implements AutoCloseable {
        final String root;
        final List<AutoCloseable> closeables = new ArrayList<>();
        ZooKeeper zk;

        Ctx(String name) throws Exception {
            root = "/j-" + name + "-" + Long.toHexString(new Random().nextLong() & 0xffffffffL);
            zk = zk(connect);
            zk.create(root, new byte[0], Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
        }

        String p(String rel) { return root + "/" + rel; }

        ZooKeeper zk(String cs) throws Exception { return zk(cs, 20000, null); }

        ZooKeeper zk(String cs, int timeout, Watcher extra) throws Exception {
            CountDownLatch connected = new CountDownLatch(1);
            ZooKeeper z = new ZooKeeper(cs, timeout, e -> {
                if (e.getState() == KeeperState.SyncConnected) connected.countDown();
                if (extra != null) extra.process(e);
            });
            closeables.add(z::close);
            check(connected.await(20, TimeUnit.SECONDS), "ZooKeeper client did not connect to " + cs);
            return z;
        }

        CuratorFramework curator(String cs) throws Exception {
            CuratorFramework c = CuratorFrameworkFactory.builder().connectString(cs)
                .sessionTimeoutMs(20000).connectionTimeoutMs(15000)
                .retryPolicy(new RetryNTimes(3, 200)).build();
            closeables.add(c);
            c.start();
            check(c.blockUntilConnected(20, TimeUnit.SECONDS), "Curator did not connect");
            return c;
        }

        <T extends AutoCloseable> T track(T t) { closeables.add(t); return t; }

        @Override public void close() {
            try { ZKUtil.deleteRecursive(zk, root); } catch (Exception ignored) { }
            Collections.reverse(closeables);
            for (AutoCloseable a : closeables) { try { a.close(); } catch (Exception ignored) { } }
        }
    }

    static final class AssertionFailed extends RuntimeException {
        AssertionFailed(String m) { super(m); }
    }

    static void check(boolean cond, String msg) { if (!cond) throw new AssertionFailed(msg); }

    static void eq(Object expected, Object actual, String what) {
        if (!Objects.equals(expected, actual))
            throw new AssertionFailed(what + ": expected <" + expected + "> but was <" + actual + ">");
    }

    static <E extends Throwable> E expectThrows(Class<E> cls, Callable<?> body, String what) throws Exception {
        try {
            body.call();
        } catch (Throwable t) {
            if (cls.isInstance(t)) return cls.cast(t);
            throw new AssertionFailed(what + ": expected " + cls.getSimpleName() + " but got " + t);
        }
        throw new AssertionFailed(what + ": expected " + cls.getSimpleName() + " but nothing was thrown");
    }

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    /** sync() before a read that must see another session's write. ZooKeeper orders each session's own
     *  view only: in an ensemble the reader's server may not have applied a write another session just got
     *  answered for (Apache 3.8 ensembles show it too). No-op in effect on a single server. */
    static void catchUp(ZooKeeper zk, String path) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        zk.sync(path, (rc, p, ctx) -> done.countDown(), null);
        check(done.await(10, TimeUnit.SECONDS), "sync(" + path + ") not answered");
    }

    static boolean waitFor(Callable<Boolean> cond, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (Boolean.TRUE.equals(cond.call())) return true;
            Thread.sleep(50);
        }
        return Boolean.TRUE.equals(cond.call());
    }

    /** Watcher that queues events. */
    static final class Q implements Watcher {
        final BlockingQueue<WatchedEvent> q = new LinkedBlockingQueue<>();
        public void process(WatchedEvent e) { if (e.getType() != EventType.None) q.add(e); }
        WatchedEvent next(long ms) throws InterruptedException { return q.poll(ms, TimeUnit.MILLISECONDS); }
        void expect(EventType t, String path) throws InterruptedException {
            WatchedEvent e = next(10000);
            check(e != null, "expected " + t + " " + path + " but no event arrived");
            eq(t + " " + path, e.getType() + " " + e.getPath(), "event");
        }
        void expectNone(long ms) throws InterruptedException {
            WatchedEvent e = next(ms);
            check(e == null, "unexpected event " + (e == null ? "" : e.getType() + " " + e.getPath()));
        }
    }

    static void test(String name, Body body) { TESTS.put(name, body); }

    // ---------------------------------------------------------------- plain ZooKeeper client

    static {
        test("crud", c -> {
            ZooKeeper zk = c.zk;
            String p = c.p("a");
            eq(p, zk.create(p, b("v0"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT), "create path");
            Stat st = new Stat();
            eq("v0", new String(zk.getData(p, false, st), StandardCharsets.UTF_8), "data");
            eq(0, st.getVersion(), "version");
            Stat st2 = zk.setData(p, b("v1"), 0);
            eq(1, st2.getVersion(), "version after set");
            expectThrows(KeeperException.BadVersionException.class, () -> zk.setData(p, b("x"), 0), "stale set");
            expectThrows(KeeperException.NodeExistsException.class,
                () -> zk.create(p, null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT), "dup create");
            zk.create(p + "/kid", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            expectThrows(KeeperException.NotEmptyException.class, () -> { zk.delete(p, -1); return null; }, "delete parent");
            eq(null, zk.getData(p + "/kid", false, null), "null data reads back as null");
            zk.delete(p + "/kid", -1);
            zk.delete(p, 1);
            eq(null, zk.exists(p, false), "exists after delete");
            expectThrows(KeeperException.NoNodeException.class, () -> zk.getData(p, false, null), "get missing");
            expectThrows(KeeperException.NoNodeException.class,
                () -> zk.create(c.p("no/parent"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT), "missing parent");
            expectThrows(KeeperException.BadArgumentsException.class, () -> { zk.delete("/zookeeper", -1); return null; },
                "delete /zookeeper");
        });

        test("create2StatFields", c -> {
            ZooKeeper zk = c.zk;
            Stat st = new Stat();
            String par = c.p("par");
            zk.create(par, b("12345"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, st);
            check(st.getCzxid() > 0, "czxid set");
            eq(st.getCzxid(), st.getMzxid(), "czxid==mzxid on create");
            eq(st.getCzxid(), st.getPzxid(), "pzxid==czxid on create");
            eq(st.getCtime(), st.getMtime(), "ctime==mtime on create");
            eq(0, st.getVersion(), "version");
            eq(0, st.getCversion(), "cversion");
            eq(0, st.getAversion(), "aversion");
            eq(0L, st.getEphemeralOwner(), "ephemeralOwner");
            eq(5, st.getDataLength(), "dataLength");
            eq(0, st.getNumChildren(), "numChildren");
            Stat k1 = new Stat(), k3 = new Stat();
            zk.create(par + "/k1", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT, k1);
            zk.create(par + "/k2", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            zk.create(par + "/k3", null, Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL, k3);
            eq(zk.getSessionId(), k3.getEphemeralOwner(), "ephemeralOwner of ephemeral");
            zk.delete(par + "/k2", -1);
            Stat ps = zk.exists(par, false);
            eq(4, ps.getCversion(), "cversion = creations + deletions");
            eq(2, ps.getNumChildren(), "numChildren");
            check(ps.getPzxid() > k3.getCzxid(), "pzxid moved past last create on delete");
            eq(st.getMzxid(), ps.getMzxid(), "child ops don't touch mzxid");
            eq(0, ps.getVersion(), "child ops don't touch version");
            Stat s2 = zk.setData(par, b("xy"), -1);
            eq(1, s2.getVersion(), "version++");
            eq(2, s2.getDataLength(), "dataLength after set");
            check(s2.getMzxid() > ps.getPzxid(), "mzxid advanced");
            eq(st.getCzxid(), s2.getCzxid(), "czxid stable");
            Stat s3 = zk.setACL(par, Ids.OPEN_ACL_UNSAFE, 0);
            eq(1, s3.getAversion(), "aversion++");
            eq(s2.getMzxid(), s3.getMzxid(), "setACL does not touch mzxid");
            Stat rs = zk.exists("/zookeeper", false);
            check(rs != null && rs.getNumChildren() >= 2, "/zookeeper has quota+config");
        });

        test("multiSuccess", c -> {
            ZooKeeper zk = c.zk;
            zk.create(c.p("e"), b("0"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            List<OpResult> rs = zk.multi(Arrays.asList(
                Op.create(c.p("n"), b("n"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.check(c.p("e"), 0),
                Op.setData(c.p("e"), b("1"), 0),
                Op.create(c.p("s-"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_SEQUENTIAL),
                Op.delete(c.p("n"), 0)));
            eq(5, rs.size(), "result count");
            check(rs.get(0) instanceof OpResult.CreateResult, "create result " + rs.get(0));
            eq(c.p("n"), ((OpResult.CreateResult) rs.get(0)).getPath(), "create path");
            check(rs.get(1) instanceof OpResult.CheckResult, "check result");
            eq(1, ((OpResult.SetDataResult) rs.get(2)).getStat().getVersion(), "setData stat");
            eq(c.p("s-0000000002"), ((OpResult.CreateResult) rs.get(3)).getPath(), "sequential in multi");
            check(rs.get(4) instanceof OpResult.DeleteResult, "delete result");
            eq(null, zk.exists(c.p("n"), false), "deleted in same multi");
        });

        test("multiFailure", c -> {
            ZooKeeper zk = c.zk;
            zk.create(c.p("e"), b("0"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            KeeperException ke = expectThrows(KeeperException.class, () -> zk.multi(Arrays.asList(
                Op.create(c.p("new"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT),
                Op.check(c.p("e"), 42),
                Op.setData(c.p("e"), b("1"), -1))), "multi with bad check");
            eq(KeeperException.Code.BADVERSION, ke.code(), "first error raised");
            List<OpResult> rs = ke.getResults();
            check(rs != null && rs.size() == 3, "3 results: " + rs);
            List<Integer> codes = new ArrayList<>();
            for (OpResult r : rs) codes.add(((OpResult.ErrorResult) r).getErr());
            eq(Arrays.asList(0, -103, -2), codes, "per-op error codes");
            eq(null, zk.exists(c.p("new"), false), "nothing applied");
            eq(0, zk.exists(c.p("e"), false).getVersion(), "nothing applied");
        });

        test("multiRead", c -> {
            ZooKeeper zk = c.zk;
            zk.create(c.p("d"), b("payload"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            zk.create(c.p("d/x"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            zk.create(c.p("d/y"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            List<OpResult> rs = zk.multi(Arrays.asList(Op.getData(c.p("d")), Op.getChildren(c.p("d")),
                Op.getData(c.p("missing"))));
            eq(3, rs.size(), "result count");
            OpResult.GetDataResult gd = (OpResult.GetDataResult) rs.get(0);
            eq("payload", new String(gd.getData(), StandardCharsets.UTF_8), "multiRead data");
            eq(2, gd.getStat().getNumChildren(), "multiRead stat");
            List<String> kids = new ArrayList<>(((OpResult.GetChildrenResult) rs.get(1)).getChildren());
            Collections.sort(kids);
            eq(Arrays.asList("x", "y"), kids, "multiRead children");
            check(rs.get(2) instanceof OpResult.ErrorResult, "missing node -> ErrorResult, got " + rs.get(2));
            eq(-101, ((OpResult.ErrorResult) rs.get(2)).getErr(), "per-op NONODE (multiRead is not atomic)");
        });

        test("getAllChildrenNumber", c -> {
            ZooKeeper zk = c.zk;
            for (String s : new String[]{"a", "a/x", "a/x/y", "b", "c"})
                zk.create(c.p(s), null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            eq(5, zk.getAllChildrenNumber(c.root), "all descendants");
            eq(2, zk.getAllChildrenNumber(c.p("a")), "descendants of a");
            eq(0, zk.getAllChildrenNumber(c.p("c")), "leaf");
            expectThrows(KeeperException.NoNodeException.class, () -> zk.getAllChildrenNumber(c.p("zz")), "missing");
        });

        test("getEphemerals", c -> {
            ZooKeeper zk = c.zk;
            ZooKeeper other = c.zk(connect);
            zk.create(c.p("e1"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            zk.create(c.p("e2"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            zk.create(c.p("p"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            other.create(c.p("o1"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            List<String> mine = new ArrayList<>(zk.getEphemerals(c.root));
            Collections.sort(mine);
            eq(Arrays.asList(c.p("e1"), c.p("e2")), mine, "own ephemerals only");
            eq(Collections.singletonList(c.p("o1")), other.getEphemerals(c.root), "other session");
            eq(Collections.singletonList(c.p("e2")), zk.getEphemerals(c.p("e2")), "prefix match");
        });

        test("addWatchPersistent", c -> {
            ZooKeeper zk = c.zk;
            Q q = new Q();
            String p = c.p("pw");
            zk.addWatch(p, q, AddWatchMode.PERSISTENT); // no existence check at registration
            zk.create(p, null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            q.expect(EventType.NodeCreated, p);
            zk.setData(p, b("1"), -1);
            q.expect(EventType.NodeDataChanged, p);
            zk.setData(p, b("2"), -1);
            q.expect(EventType.NodeDataChanged, p); // still armed
            zk.create(p + "/k", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            q.expect(EventType.NodeChildrenChanged, p);
            zk.create(p + "/k/g", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT); // grandchild: nothing
            zk.setData(p + "/k", b("x"), -1); // child data: nothing
            q.expectNone(400);
            zk.delete(p + "/k/g", -1);
            zk.delete(p + "/k", -1);
            q.expect(EventType.NodeChildrenChanged, p);
            zk.delete(p, -1);
            q.expect(EventType.NodeDeleted, p);
            zk.create(p, null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            q.expect(EventType.NodeCreated, p); // survives delete + re-create
            q.expectNone(300);
        });

        test("addWatchPersistentRecursive", c -> {
            ZooKeeper zk = c.zk;
            Q q = new Q();
            String p = c.p("rw");
            zk.create(p, null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            zk.addWatch(p, q, AddWatchMode.PERSISTENT_RECURSIVE);
            zk.create(p + "/a", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            q.expect(EventType.NodeCreated, p + "/a");
            zk.create(p + "/a/b", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            q.expect(EventType.NodeCreated, p + "/a/b");
            zk.setData(p + "/a/b", b("x"), -1);
            q.expect(EventType.NodeDataChanged, p + "/a/b");
            zk.setData(p, b("y"), -1);
            q.expect(EventType.NodeDataChanged, p);
            zk.delete(p + "/a/b", -1);
            q.expect(EventType.NodeDeleted, p + "/a/b");
            zk.create(c.p("sibling"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT); // outside: nothing
            q.expectNone(400); // in particular never NodeChildrenChanged
        });

        test("removeWatches", c -> {
            ZooKeeper zk = c.zk;
            String p = c.p("rm");
            zk.create(p, null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            BlockingQueue<WatchedEvent> q = new LinkedBlockingQueue<>();
            Watcher w = q::add;
            zk.getData(p, w, null);
            zk.removeWatches(p, w, Watcher.WatcherType.Data, false);
            WatchedEvent e = q.poll(5, TimeUnit.SECONDS);
            check(e != null, "DataWatchRemoved delivered locally");
            eq(EventType.DataWatchRemoved, e.getType(), "removal event");
            zk.setData(p, b("x"), -1);
            WatchedEvent none = q.poll(400, TimeUnit.MILLISECONDS);
            check(none == null, "removed watch must not fire: " + none);
            expectThrows(KeeperException.NoWatcherException.class, () -> {
                zk.removeWatches(p, w, Watcher.WatcherType.Data, false); return null; }, "nothing to remove");
            Q q2 = new Q();
            zk.getChildren(p, q2);
            zk.removeAllWatches(p, Watcher.WatcherType.Children, false);
            q2.expect(EventType.ChildWatchRemoved, p); // client-local removal event
            zk.create(p + "/k", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            q2.expectNone(400);
        });

        test("whoAmI", c -> {
            ZooKeeper zk = c.zk;
            List<ClientInfo> ids = zk.whoAmI();
            check(ids.size() == 1, "one identity without auth: " + ids);
            eq("ip", ids.get(0).getAuthScheme(), "scheme");
            eq("127.0.0.1", ids.get(0).getUser(), "ip user");
            zk.addAuthInfo("digest", b("bob:secret"));
            List<String> got = new ArrayList<>();
            for (ClientInfo ci : zk.whoAmI()) got.add(ci.getAuthScheme() + ":" + ci.getUser());
            Collections.sort(got);
            eq(Arrays.asList("digest:bob", "ip:127.0.0.1"), got, "identities after digest auth");
        });

        test("digestAclNoAuth", c -> {
            ZooKeeper owner = c.zk(connect);
            owner.addAuthInfo("digest", b("bob:secret"));
            String p = c.p("sec");
            owner.create(p, b("s"), ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT);
            List<org.apache.zookeeper.data.ACL> acl = owner.getACL(p, new Stat());
            eq("digest", acl.get(0).getId().getScheme(), "auth expanded to digest");
            eq("bob:fyVmFCwVbTJYrznoSu1koqYEYF0=", acl.get(0).getId().getId(), "digest id");
            catchUp(c.zk, p);
            expectThrows(KeeperException.NoAuthException.class, () -> c.zk.getData(p, false, null), "anonymous read");
            expectThrows(KeeperException.InvalidACLException.class,
                () -> c.zk.create(c.p("x"), null, ZooDefs.Ids.CREATOR_ALL_ACL, CreateMode.PERSISTENT),
                "auth ACL without credentials");
            owner.delete(p, -1);
        });

        test("sessionExpired", c -> {
            BlockingQueue<KeeperState> states = new LinkedBlockingQueue<>();
            ZooKeeper victim = c.zk(connect, 6000, e -> states.add(e.getState()));
            victim.create(c.p("eph"), null, Ids.OPEN_ACL_UNSAFE, CreateMode.EPHEMERAL);
            // Attach a second client to the same session (moves the connection), then close it:
            // the victim's reconnect finds the session gone -> Expired.
            ZooKeeper thief = new ZooKeeper(connect, 6000, e -> { }, victim.getSessionId(), victim.getSessionPasswd());
            check(waitFor(() -> thief.getState() == ZooKeeper.States.CONNECTED, 15000), "thief connected");
            eq(victim.getSessionId(), thief.getSessionId(), "same session");
            thief.close();
            check(waitFor(() -> states.contains(KeeperState.Expired), 20000), "victim saw Expired: " + states);
            catchUp(c.zk, c.p("eph"));
            eq(null, c.zk.exists(c.p("eph"), false), "ephemerals of closed session gone");
            expectThrows(KeeperException.SessionExpiredException.class, () -> victim.exists(c.root, false),
                "ops on an expired handle");
        });

        test("ttlRejectedWithoutExtendedTypes", c -> {
            KeeperException ke = expectThrows(KeeperException.class, () -> c.zk.create(c.p("ttl"), null,
                Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, new Stat(), 1000), "TTL create");
            eq(KeeperException.Code.UNIMPLEMENTED, ke.code(), "TTL with extendedTypesEnabled=false");
        });

        test("ttlNodes", c -> {
            if (ttlConnect == null) throw new SkipTest("no server with extendedTypesEnabled=true (--ttl-connect)");
            ZooKeeper zk = c.zk(ttlConnect);
            String root = c.root + "-ttl";
            zk.create(root, null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            try {
                Stat st = new Stat();
                zk.create(root + "/t", b("x"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, st, 500);
                eq(0L, st.getEphemeralOwner(), "TTL node reports ephemeralOwner 0");
                String seq = zk.create(root + "/s-", null, Ids.OPEN_ACL_UNSAFE,
                    CreateMode.PERSISTENT_SEQUENTIAL_WITH_TTL, new Stat(), 500);
                eq(root + "/s-0000000001", seq, "sequential TTL name");
                zk.create(root + "/keep", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT_WITH_TTL, new Stat(), 500);
                zk.create(root + "/keep/child", null, Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                // (ttl <= 0 is rejected client-side by the Java client; the raw diff test covers the server side)
                check(zk.exists(root + "/t", false) != null, "TTL node exists right after create");
                check(waitFor(() -> zk.exists(root + "/t", false) == null && zk.exists(root + "/s-0000000001", false) == null,
                    15000), "expired TTL nodes reaped");
                check(zk.exists(root + "/keep", false) != null, "TTL node with children is kept");
            } finally {
                ZKUtil.deleteRecursive(zk, root);
            }
        });

        // ---------------------------------------------------------------- Curator

        test("curatorMutex3Clients", c -> {
            final int clients = 3, rounds = 8;
            String lockPath = c.p("mutex");
            AtomicInteger inside = new AtomicInteger(), maxInside = new AtomicInteger(), done = new AtomicInteger();
            c.zk.create(c.p("counter"), b("0"), Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
            ExecutorService ex = Executors.newFixedThreadPool(clients);
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                CuratorFramework cf = c.curator(connect);
                fs.add(ex.submit(() -> {
                    InterProcessMutex m = new InterProcessMutex(cf, lockPath);
                    for (int r = 0; r < rounds; r++) {
                        check(m.acquire(20, TimeUnit.SECONDS), "acquire timed out");
                        try {
                            int now = inside.incrementAndGet();
                            maxInside.accumulateAndGet(now, Math::max);
                            byte[] v = cf.getData().forPath(c.p("counter"));
                            Thread.sleep(2);
                            cf.setData().forPath(c.p("counter"), b(Integer.toString(Integer.parseInt(new String(v)) + 1)));
                            inside.decrementAndGet();
                        } finally {
                            m.release();
                        }
                    }
                    done.incrementAndGet();
                    return null;
                }));
            }
            ex.shutdown();
            for (Future<?> f : fs) f.get(90, TimeUnit.SECONDS);
            eq(clients, done.get(), "all clients finished");
            eq(1, maxInside.get(), "mutual exclusion");
            catchUp(c.zk, c.p("counter"));
            eq(Integer.toString(clients * rounds), new String(c.zk.getData(c.p("counter"), false, null)), "counter");
        });

        test("curatorLeaderLatch", c -> {
            List<LeaderLatch> latches = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                LeaderLatch l = new LeaderLatch(c.curator(connect), c.p("latch"), "id" + i);
                l.start();
                latches.add(l);
            }
            check(waitFor(() -> latches.stream().filter(LeaderLatch::hasLeadership).count() == 1, 15000), "one leader");
            LeaderLatch leader = latches.stream().filter(LeaderLatch::hasLeadership).findFirst().get();
            // leadership can be decided before the slower latches have created their nodes
            check(waitFor(() -> leader.getParticipants().size() == 3, 10000), "3 participants");
            eq(leader.getId(), leader.getLeader().getId(), "getLeader agrees");
            leader.close();
            latches.remove(leader);
            check(waitFor(() -> latches.stream().filter(LeaderLatch::hasLeadership).count() == 1, 15000),
                "leadership handed over");
            for (LeaderLatch l : latches) l.close();
        });

        test("curatorCache", c -> {
            CuratorFramework cf = c.curator(connect);
            String base = c.p("cache");
            cf.create().forPath(base);
            List<String> events = Collections.synchronizedList(new ArrayList<>());
            CountDownLatch init = new CountDownLatch(1);
            CuratorCache cache = c.track(CuratorCache.build(cf, base));
            cache.listenable().addListener(CuratorCacheListener.builder()
                .forCreates(n -> events.add("C " + n.getPath()))
                .forChanges((o, n) -> events.add("U " + n.getPath() + " " + new String(n.getData())))
                .forDeletes(n -> events.add("D " + n.getPath()))
                .forInitialized(init::countDown).build());
            cache.start();
            check(init.await(10, TimeUnit.SECONDS), "cache initialized");
            cf.create().forPath(base + "/a", b("1"));
            cf.create().forPath(base + "/a/deep", b("2"));
            // CuratorCache fetches a node's data after its create event; if the setData lands before that
            // fetch, the cache sees mzxid already at the update and (correctly) reports no change. Wait for
            // the creates to be cached so the update is observable on any server speed.
            check(waitFor(() -> events.contains("C " + base + "/a") && events.contains("C " + base + "/a/deep"), 10000),
                "creates cached: " + events);
            cf.setData().forPath(base + "/a", b("3"));
            check(waitFor(() -> events.contains("U " + base + "/a 3"), 10000), "update seen: " + events);
            cf.delete().forPath(base + "/a/deep");
            List<String> expected = Arrays.asList("C " + base, "C " + base + "/a", "C " + base + "/a/deep",
                "U " + base + "/a 3", "D " + base + "/a/deep");
            check(waitFor(() -> events.size() >= expected.size(), 10000), "events: " + events);
            Thread.sleep(200);
            // CuratorCache fetches data after each event asynchronously, so listener order across
            // different nodes is not deterministic; per node, creation precedes update/deletion.
            List<String> got = new ArrayList<>(events);
            List<String> sortedGot = new ArrayList<>(got), sortedExp = new ArrayList<>(expected);
            Collections.sort(sortedGot);
            Collections.sort(sortedExp);
            eq(sortedExp, sortedGot, "cache events (as a multiset)");
            check(got.indexOf("C " + base + "/a") < got.indexOf("U " + base + "/a 3"), "create before update: " + got);
            check(got.indexOf("C " + base + "/a/deep") < got.indexOf("D " + base + "/a/deep"), "create before delete: " + got);
            check(cache.get(base + "/a").isPresent(), "cache holds /a");
            eq("3", new String(cache.get(base + "/a").get().getData()), "cached data");
        });

        test("curatorServiceRegistry", c -> {
            // curator-x-discovery is not packaged in Debian: emulate its registry layout with ephemerals
            // under containers created by creatingParentContainersIfNeeded().
            String svc = c.p("services/api");
            CuratorFramework a = c.curator(connect), b2 = c.curator(connect), watcher = c.curator(connect);
            a.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
                .forPath(svc + "/inst-a", b("{\"address\":\"10.0.0.1\",\"port\":8080}"));
            b2.create().creatingParentContainersIfNeeded().withMode(CreateMode.EPHEMERAL)
                .forPath(svc + "/inst-b", b("{\"address\":\"10.0.0.2\",\"port\":8080}"));
            catchUp(watcher.getZookeeperClient().getZooKeeper(), svc);
            List<String> kids = new ArrayList<>(watcher.getChildren().forPath(svc));
            Collections.sort(kids);
            eq(Arrays.asList("inst-a", "inst-b"), kids, "registered instances");
            check(new String(watcher.getData().forPath(svc + "/inst-b")).contains("10.0.0.2"), "payload");
            eq(0L, watcher.checkExists().forPath(svc).getEphemeralOwner(), "container reports owner 0");
            CountDownLatch changed = new CountDownLatch(1);
            watcher.getChildren().usingWatcher((Watcher) e -> changed.countDown()).forPath(svc);
            a.close();
            check(changed.await(10, TimeUnit.SECONDS), "child watch fired when an instance left");
            eq(Collections.singletonList("inst-b"), watcher.getChildren().forPath(svc), "remaining instances");
        });

        test("curatorContainerReaped", c -> {
            CuratorFramework cf = c.curator(connect);
            String cont = c.p("cont");
            cf.create().creatingParentContainersIfNeeded().forPath(cont + "/leaf");
            Stat st = cf.checkExists().forPath(cont);
            check(st != null, "container created");
            eq(0L, st.getEphemeralOwner(), "container ephemeralOwner hidden as 0");
            cf.delete().forPath(cont + "/leaf");
            // Apache reaps every znode.container.checkIntervalMs (1000 ms in the test config)
            check(waitFor(() -> cf.checkExists().forPath(cont) == null, 15000), "empty used container reaped");
        });

        test("curatorTransaction", c -> {
            CuratorFramework cf = c.curator(connect);
            cf.create().forPath(c.p("t"), b("0"));
            List<CuratorTransactionResult> rs = cf.transaction().forOperations(
                cf.transactionOp().create().forPath(c.p("n1"), b("x")),
                cf.transactionOp().check().withVersion(0).forPath(c.p("t")),
                cf.transactionOp().setData().forPath(c.p("t"), b("1")),
                cf.transactionOp().delete().forPath(c.p("n1")));
            eq(4, rs.size(), "results");
            eq(OperationType.CREATE, rs.get(0).getType(), "op 0");
            eq(c.p("n1"), rs.get(0).getResultPath(), "created path");
            eq(OperationType.CHECK, rs.get(1).getType(), "op 1");
            eq(1, rs.get(2).getResultStat().getVersion(), "setData stat");
            eq(OperationType.DELETE, rs.get(3).getType(), "op 3");
            CuratorOp bad1 = cf.transactionOp().create().forPath(c.p("n2"));
            CuratorOp bad2 = cf.transactionOp().delete().forPath(c.p("missing"));
            expectThrows(KeeperException.NoNodeException.class, () -> cf.transaction().forOperations(bad1, bad2),
                "failing transaction");
            eq(null, cf.checkExists().forPath(c.p("n2")), "rolled back");
        });

        test("curatorSessionLoss", c -> {
            CuratorFramework cf = CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs(6000).connectionTimeoutMs(15000).retryPolicy(new RetryNTimes(20, 200)).build();
            c.track(cf);
            List<ConnectionState> states = Collections.synchronizedList(new ArrayList<>());
            cf.getConnectionStateListenable().addListener((cl, s) -> states.add(s));
            cf.start();
            check(cf.blockUntilConnected(15, TimeUnit.SECONDS), "connected");
            cf.create().withMode(CreateMode.EPHEMERAL).forPath(c.p("e"));
            ZooKeeper raw = cf.getZookeeperClient().getZooKeeper();
            long sid = raw.getSessionId();
            ZooKeeper thief = new ZooKeeper(connect, 6000, e -> { }, sid, raw.getSessionPasswd());
            check(waitFor(() -> thief.getState() == ZooKeeper.States.CONNECTED, 15000), "thief connected");
            thief.close();
            check(waitFor(() -> states.contains(ConnectionState.LOST), 20000), "LOST reported: " + states);
            check(waitFor(() -> {
                try { return cf.getZookeeperClient().getZooKeeper().getSessionId() != sid
                    && cf.getZookeeperClient().isConnected(); } catch (Exception e) { return false; }
            }, 20000), "new session after expiry");
            eq(null, cf.checkExists().forPath(c.p("e")), "old ephemeral gone");
            cf.create().withMode(CreateMode.EPHEMERAL).forPath(c.p("e"));
        });
    }

    static final class SkipTest extends RuntimeException {
        SkipTest(String m) { super(m); }
    }

    public static void main(String[] args) throws Exception {
        List<String> only = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--ttl-connect")) ttlConnect = args[++i];
            else if (connect == null) connect = args[i];
            else only.add(args[i]);
        }
        if (connect == null) { System.err.println("usage: InteropTests <connect> [--ttl-connect hp] [tests]"); System.exit(2); }
        int pass = 0, fail = 0, skip = 0;
        long t0 = System.nanoTime();
        for (Map.Entry<String, Body> t : TESTS.entrySet()) {
            if (!only.isEmpty() && !only.contains(t.getKey())) continue;
            long s = System.nanoTime();
            String name = "java/" + t.getKey();
            try (Ctx ctx = new Ctx(t.getKey())) {
                t.getValue().run(ctx);
                pass++;
                System.out.printf("PASS %s (%.2fs)%n", name, (System.nanoTime() - s) / 1e9);
            } catch (SkipTest e) {
                skip++;
                System.out.printf("SKIP %s: %s%n", name, e.getMessage());
            } catch (Throwable e) {
                fail++;
                System.out.printf("FAIL %s (%.2fs): %s%n", name, (System.nanoTime() - s) / 1e9,
                    String.valueOf(e).replace('\n', ' '));
                e.printStackTrace();
            }
            System.out.flush();
        }
        System.out.printf("java: %d passed, %d failed, %d skipped in %.1fs%n", pass, fail, skip, (System.nanoTime() - t0) / 1e9);
        if (pass + fail == 0) { System.out.println("FAIL java/<selection>: no tests ran"); System.exit(1); }
        System.exit(fail > 0 ? 1 : 0);
    }
}
