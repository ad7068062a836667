// Curator failover workload for the `ensemble` suite (tests/interop/run.py drives it); the Curator
// counterpart of kazoo/failover.py. Compiled by run.sh:  run.sh --main FailoverTests <h:p,h:p,h:p> [maxSeconds]
//
// Three Curator clients (10 s sessions, bounded exponential-backoff retry) work under a fresh root:
//  * InterProcessMutex + shared counter znode: under the mutex, read the counter and write value+1 with
//    the read version. Curator retries a write whose connection was lost; a retried write that had been
//    applied comes back as BadVersion, resolved by re-reading under the mutex (version+1 and our value:
//    applied). Every hold is recorded as an [acquired, releasing] interval on one clock (System.nanoTime).
//  * DistributedAtomicLong.increment(): postValue recorded. The recipe's versioned set can be applied
//    twice when its reply is lost (Curator retries it, then the optimistic loop retries on BadVersion), so
//    calls during which that client's connection was SUSPENDED/LOST are counted as ambiguous.
//  * LeaderLatch per client: leadership intervals from a LeaderLatchListener must not overlap; at the
//    end exactly one latch leads and all three agree on the leader.
//  * An ephemeral registration per client (plus an idle client), data = its session id.
// Protocol: prints READY once every worker did one increment; reads stdin lines `kill <server>`,
// `restarted <server>`, `stop` (EOF = stop; maxSeconds, default 90, bounds the run). Then prints
// PASS/FAIL lines failover/java.{lock_counter,lock_exclusion,atomic_long,leader_latch,sessions_ephemerals,progress}.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.*;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.BoundedExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

public class FailoverTests {
    static final String NAME = "failover/java";
    static final int WORKERS = 3;
    static final long T0 = System.nanoTime();
    static final List<String> failed = Collections.synchronizedList(new ArrayList<>());

    static double now() { return (System.nanoTime() - T0) / 1e9; }

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static CuratorFramework client(String connect) throws Exception {
        CuratorFramework cf = CuratorFrameworkFactory.builder().connectString(connect)
            .sessionTimeoutMs(10000).connectionTimeoutMs(5000)
            .retryPolicy(new BoundedExponentialBackoffRetry(50, 500, 40)).build();  // gives up after ~20 s
        cf.start();
        if (!cf.blockUntilConnected(20, TimeUnit.SECONDS)) throw new IllegalStateException("Curator did not connect");
        return cf;
    }

    static long sessionId(CuratorFramework cf) throws Exception {
        return cf.getZookeeperClient().getZooKeeper().getSessionId();
    }

    static void result(boolean ok, String check, String detail) {
        if (ok) System.out.println("PASS " + NAME + "." + check);
        else {
            failed.add(check);
            String d = detail.replace('\n', ' ');
            System.out.println("FAIL " + NAME + "." + check + ": " + (d.length() > 800 ? d.substring(0, 800) : d));
        }
        System.out.flush();
    }

    // ------------------------------------------------------------------------- shared records
    static final List<double[]> intervals = Collections.synchronizedList(new ArrayList<>());   // start, end, worker
    static final List<double[]> increments = Collections.synchronizedList(new ArrayList<>());  // time, worker
    static final List<Long> dalOk = Collections.synchronizedList(new ArrayList<>());
    static final List<String> errors = Collections.synchronizedList(new ArrayList<>());
    static final AtomicInteger resolvedWrites = new AtomicInteger(), dalAmbiguous = new AtomicInteger();
    static volatile boolean stop;

    static final class Worker extends Thread {
        final int idx;
        final CuratorFramework cf;
        final String root, counterPath;
        final InterProcessMutex mutex;
        final DistributedAtomicLong dal;
        final LeaderLatch latch;
        final List<Double> drops = Collections.synchronizedList(new ArrayList<>());   // SUSPENDED/LOST times
        final List<double[]> leadership = Collections.synchronizedList(new ArrayList<>()); // [from, to]
        volatile double leaderSince = -1;
        final CountDownLatch first = new CountDownLatch(1);

        Worker(int idx, CuratorFramework cf, String root) throws Exception {
            super("worker-" + idx);
            setDaemon(true);
            this.idx = idx;
            this.cf = cf;
            this.root = root;
            this.counterPath = root + "/counter";
            cf.getConnectionStateListenable().addListener((c, s) -> {
                if (s == ConnectionState.SUSPENDED || s == ConnectionState.LOST) drops.add(now());
            });
            mutex = new InterProcessMutex(cf, root + "/mutex");
            dal = new DistributedAtomicLong(cf, root + "/along", new RetryNTimes(200, 5));
            latch = new LeaderLatch(cf, root + "/latch", "w" + idx);
            latch.addListener(new LeaderLatchListener() {
                public void isLeader() { synchronized (Worker.this) { leaderSince = now(); } }
                public void notLeader() {
                    synchronized (Worker.this) {
                        if (leaderSince >= 0) leadership.add(new double[] {leaderSince, now()});
                        leaderSince = -1;
                    }
                }
            });
        }

        /** Under the mutex: read, write value+1 with the read version; true when the outcome had to be resolved. */
        boolean versionedIncrement() throws Exception {
            Stat st = new Stat();
            byte[] data = cf.getData().storingStatIn(st).forPath(counterPath);
            long value = Long.parseLong(new String(data, StandardCharsets.UTF_8));
            int version = st.getVersion();
            byte[] nb = b(Long.toString(value + 1));
            Thread.sleep(ThreadLocalRandom.current().nextInt(3));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
            for (int attempt = 1; System.nanoTime() < deadline; attempt++) {
                try {
                    cf.setData().withVersion(version).forPath(counterPath, nb);
                    return attempt > 1;
                } catch (KeeperException.BadVersionException e) {
                    // Curator retried a write after a connection loss: was the first try applied?
                    Stat st2 = new Stat();
                    byte[] d2 = cf.getData().storingStatIn(st2).forPath(counterPath);
                    if (st2.getVersion() == version + 1 && Arrays.equals(d2, nb)) return true;
                    throw new AssertionError("BadVersion under the mutex (someone else wrote): v" + version + " "
                        + value + " -> v" + st2.getVersion() + " " + new String(d2, StandardCharsets.UTF_8));
                } catch (KeeperException.ConnectionLossException e) {
                    Stat st2 = new Stat();
                    byte[] d2 = cf.getData().storingStatIn(st2).forPath(counterPath);
                    if (st2.getVersion() == version + 1 && Arrays.equals(d2, nb)) return true;
                    if (st2.getVersion() != version)
                        throw new AssertionError("counter changed under the mutex: v" + version + " -> v" + st2.getVersion());
                    Thread.sleep(50);
                }
            }
            throw new AssertionError("versioned write not settled within 25 s");
        }

        @Override public void run() {
            try {
                while (!stop) {
                    if (!mutex.acquire(20, TimeUnit.SECONDS)) throw new AssertionError("mutex not acquired within 20 s");
                    double t0 = now(), tInc;
                    boolean resolved;
                    try {
                        resolved = versionedIncrement();
                        tInc = now();
                    } finally {
                        intervals.add(new double[] {t0, now(), idx});
                        mutex.release();
                    }
                    increments.add(new double[] {tInc, idx});
                    if (resolved) resolvedWrites.incrementAndGet();
                    double s = now();
                    AtomicValue<Long> r;
                    try {
                        r = dal.increment();
                    } catch (Exception e) {
                        dalAmbiguous.incrementAndGet();
                        throw e;
                    }
                    boolean dropped = droppedDuring(s, now());
                    if (!r.succeeded()) {
                        dalAmbiguous.incrementAndGet();
                        throw new AssertionError("DistributedAtomicLong.increment() did not succeed");
                    }
                    if (dropped) dalAmbiguous.incrementAndGet();
                    dalOk.add(r.postValue());
                    first.countDown();
                    Thread.sleep(5 + ThreadLocalRandom.current().nextInt(15));
                }
            } catch (Throwable t) {
                errors.add("w" + idx + ": " + t);
            } finally {
                first.countDown();
            }
        }

        /** A SUSPENDED/LOST of this client during [s, e], or reported up to 2 s later (the state listener
         *  runs on Curator's own thread, which may lag behind the call's completion). */
        boolean droppedDuring(double s, double e) {
            synchronized (drops) {
                return drops.stream().anyMatch(t -> t >= s && t <= e + 2.0);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) { System.err.println("usage: FailoverTests <connect> [maxSeconds]"); System.exit(2); }
        String connect = args[0];
        double maxSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 90;
        String root = "/failover-java-" + Long.toHexString(new Random().nextLong() & 0xffffffffL);
        List<CuratorFramework> clients = new ArrayList<>();
        List<Worker> workers = new ArrayList<>();
        int rc = 0;
        try {
            CuratorFramework admin = client(connect);
            clients.add(admin);
            admin.create().creatingParentsIfNeeded().forPath(root + "/members");
            admin.create().forPath(root + "/counter", b("0"));
            Map<String, Object[]> regs = new TreeMap<>();  // name -> {client, session id}
            for (int i = 0; i < WORKERS; i++) {
                CuratorFramework cf = client(connect);
                clients.add(cf);
                workers.add(new Worker(i, cf, root));
            }
            CuratorFramework idle = client(connect);
            clients.add(idle);
            for (int i = 0; i <= WORKERS; i++) {
                CuratorFramework cf = i < WORKERS ? workers.get(i).cf : idle;
                String name = i < WORKERS ? "w" + i : "idle";
                long sid = sessionId(cf);
                cf.create().withMode(CreateMode.EPHEMERAL).forPath(root + "/members/" + name, b(Long.toHexString(sid)));
                regs.put(name, new Object[] {cf, sid});
            }
            for (Worker w : workers) w.latch.start();
            for (Worker w : workers) w.start();
            for (Worker w : workers) w.first.await(20, TimeUnit.SECONDS);
            System.out.println("READY");
            System.out.flush();

            // harness events, bounded by maxSeconds
            Map<String, Double> events = new HashMap<>();
            BlockingQueue<String> q = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    for (String l; (l = in.readLine()) != null; ) q.add(l.trim());
                } catch (Exception ignored) { }
                q.add("stop");
            });
            reader.setDaemon(true);
            reader.start();
            while (true) {
                double left = maxSeconds - now();
                if (left <= 0) { errors.add("no 'stop' from the harness within " + maxSeconds + " s"); break; }
                String cmd = q.poll((long) Math.min(1000, left * 1000), TimeUnit.MILLISECONDS);
                if (cmd == null) continue;
                String word = cmd.isEmpty() ? "" : cmd.split("\\s+")[0];
                if (word.equals("kill") || word.equals("restarted")) {
                    events.put(word, now());
                    System.out.printf("   %s: '%s' at +%.2fs%n", NAME, cmd, now());
                } else if (word.equals("stop")) break;
            }
            stop = true;
            for (Worker w : workers) w.join(50_000);
            for (Worker w : workers) if (w.isAlive()) errors.add(w.getName() + " still running after stop");

            // ------------------------------------------------------------------ checks
            CuratorFramework verify = client(connect);
            clients.add(verify);
            CountDownLatch synced = new CountDownLatch(1);
            verify.sync().inBackground((c, e) -> synced.countDown()).forPath(root);
            synced.await(10, TimeUnit.SECONDS);
            long fin = Long.parseLong(new String(verify.getData().forPath(root + "/counter"), StandardCharsets.UTF_8));
            int nInc = increments.size();
            result(nInc > 0 && fin == nInc, "lock_counter", "counter znode " + fin + " != " + nInc
                + " increments recorded by the clients (" + resolvedWrites.get() + " resolved after a lost reply)");

            List<double[]> iv = new ArrayList<>(intervals);
            iv.sort(Comparator.comparingDouble(a -> a[0]));
            int overlaps = 0;
            String firstOverlap = "";
            for (int i = 1; i < iv.size(); i++) {
                if (iv.get(i)[0] < iv.get(i - 1)[1]) {
                    if (overlaps++ == 0) firstOverlap = Arrays.toString(iv.get(i - 1)) + " / " + Arrays.toString(iv.get(i));
                }
            }
            result(overlaps == 0, "lock_exclusion", overlaps + " overlapping mutex holds, first: " + firstOverlap);

            DistributedAtomicLong reader2 = new DistributedAtomicLong(verify, root + "/along", new RetryNTimes(3, 100));
            long along = reader2.get().postValue();
            List<Long> posts = new ArrayList<>(dalOk);
            Set<Long> distinct = new HashSet<>(posts);
            long maxPost = posts.stream().mapToLong(Long::longValue).max().orElse(0);
            boolean dalGood = distinct.size() == posts.size() && posts.size() <= along
                && along <= posts.size() + dalAmbiguous.get() && maxPost <= along;
            result(dalGood, "atomic_long", "value " + along + ", " + posts.size() + " successful increments ("
                + (posts.size() - distinct.size()) + " duplicate postValues), " + dalAmbiguous.get() + " ambiguous");

            // leadership: intervals (closing the open ones now) must not overlap; one leader at the end
            double tEnd = now();
            boolean settled = false;
            for (int i = 0; i < 100 && !settled; i++) {  // bounded: 10 s
                settled = workers.stream().filter(w -> w.latch.hasLeadership()).count() == 1;
                if (!settled) Thread.sleep(100);
            }
            List<double[]> lead = new ArrayList<>();
            for (Worker w : workers) {
                synchronized (w) {
                    for (double[] x : w.leadership) lead.add(new double[] {x[0], x[1], w.idx});
                    if (w.leaderSince >= 0) lead.add(new double[] {w.leaderSince, tEnd, w.idx});
                }
            }
            lead.sort(Comparator.comparingDouble(a -> a[0]));
            List<String> latchBad = new ArrayList<>();
            for (int i = 1; i < lead.size(); i++) {
                if (lead.get(i)[0] < lead.get(i - 1)[1] && lead.get(i)[2] != lead.get(i - 1)[2])
                    latchBad.add("overlapping leadership " + Arrays.toString(lead.get(i - 1)) + " / " + Arrays.toString(lead.get(i)));
            }
            if (!settled) latchBad.add("leaders at the end: " + workers.stream().filter(w -> w.latch.hasLeadership()).count());
            else {
                Worker leader = workers.stream().filter(w -> w.latch.hasLeadership()).findFirst().get();
                for (Worker w : workers) {
                    Participant p = w.latch.getLeader();
                    if (!p.isLeader() || !p.getId().equals(leader.latch.getId()))
                        latchBad.add("w" + w.idx + " sees leader " + p.getId() + " but " + leader.latch.getId() + " leads");
                }
                int parts = leader.latch.getParticipants().size();
                if (parts != WORKERS) latchBad.add(parts + " participants");
            }
            result(latchBad.isEmpty(), "leader_latch", String.join("; ", latchBad));

            List<String> bad = new ArrayList<>();
            Set<String> members = new HashSet<>(verify.getChildren().forPath(root + "/members"));
            for (Map.Entry<String, Object[]> r : regs.entrySet()) {
                CuratorFramework cf = (CuratorFramework) r.getValue()[0];
                long sid = (Long) r.getValue()[1];
                long now = sessionId(cf);
                if (now != sid) { bad.add(r.getKey() + ": session 0x" + Long.toHexString(sid) + " -> 0x" + Long.toHexString(now)); continue; }
                Stat st = cf.checkExists().forPath(root + "/members/" + r.getKey());
                if (st == null || !members.contains(r.getKey())) bad.add(r.getKey() + ": registration gone");
                else if (st.getEphemeralOwner() != sid)
                    bad.add(r.getKey() + ": ephemeralOwner 0x" + Long.toHexString(st.getEphemeralOwner()) + " != 0x" + Long.toHexString(sid));
            }
            result(bad.isEmpty(), "sessions_ephemerals", String.join("; ", bad));

            List<String> prog = new ArrayList<>(errors);
            List<double[]> incs = new ArrayList<>(increments);
            for (String ev : new String[] {"kill", "restarted"}) {
                Double t = events.get(ev);
                if (t != null && incs.stream().noneMatch(x -> x[0] > t)) prog.add("no increment completed after '" + ev + "'");
            }
            int[] perWorker = new int[WORKERS];
            for (double[] x : incs) perWorker[(int) x[1]]++;
            if (Arrays.stream(perWorker).min().getAsInt() == 0) prog.add("a worker made no increment: " + Arrays.toString(perWorker));
            result(prog.isEmpty(), "progress", String.join("; ", prog));

            incs.sort(Comparator.comparingDouble(a -> a[0]));
            double gap = 0;
            for (int i = 1; i < incs.size(); i++) gap = Math.max(gap, incs.get(i)[0] - incs.get(i - 1)[0]);
            List<Integer> dropsPer = new ArrayList<>();
            for (Worker w : workers) dropsPer.add(w.drops.size());
            System.out.printf("   %s: %d locked increments (per worker %s, %d resolved after a lost reply), atomic long %d "
                + "(%d ambiguous), connection drops per worker %s, leadership intervals %d, longest pause between increments %.2fs%n",
                NAME, nInc, Arrays.toString(perWorker), resolvedWrites.get(), along, dalAmbiguous.get(), dropsPer, lead.size(), gap);
            for (Worker w : workers) { try { w.latch.close(); } catch (Exception ignored) { } }
            try { verify.delete().deletingChildrenIfNeeded().forPath(root); } catch (Exception ignored) { }
        } catch (Throwable t) {
            t.printStackTrace();
            System.out.println("FAIL " + NAME + ".<setup>: " + String.valueOf(t).replace('\n', ' '));
            rc = 1;
        } finally {
            stop = true;
            for (CuratorFramework c : clients) { try { c.close(); } catch (Exception ignored) { } }
        }
        System.out.flush();
        System.exit(rc != 0 || !failed.isEmpty() ? 1 : 0);
    }
}
