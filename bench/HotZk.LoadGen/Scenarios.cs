using System.Diagnostics;
using HotZk.Common;

namespace HotZk.LoadGen;

/// <summary>State shared by the workers of a scenario workload.</summary>
internal sealed class ScenarioContext(RunOptions o, IReadOnlyList<Endpoint> endpoints, RunClock clock, string[] opNames)
{
    private readonly List<OpStats[]> _stats = [];
    private long _started;
    private int _connects = -1;

    public RunOptions O { get; } = o;
    public IReadOnlyList<Endpoint> Endpoints { get; } = endpoints;
    public RunClock Clock { get; } = clock;
    public List<string> Failures { get; } = [];
    public long Completed;
    public long LatencySumUs;
    public long ErrorTotal;
    public long Notifications;
    public long LastCompletionTs;

    /// <summary>A stats array owned by one worker (single writer).</summary>
    public OpStats[] NewStats()
    {
        var s = new OpStats[opNames.Length];
        for (int i = 0; i < s.Length; i++) s[i] = new OpStats(opNames[i]);
        lock (_stats) _stats.Add(s);
        return s;
    }

    /// <summary>True when the run must end: time is up, the op budget is spent, or it was stopped.</summary>
    public bool ShouldStop => Clock.Stop || Stopwatch.GetTimestamp() >= Clock.EndTs || Interlocked.Read(ref _started) >= O.Ops;

    /// <summary>Claims one unit of the op budget when measuring; false when the budget is spent.</summary>
    public bool Begin(long ts)
    {
        if (ts < Clock.MeasureStartTs) return true;
        return Interlocked.Increment(ref _started) <= O.Ops;
    }

    public bool Measuring(long ts) => ts >= Clock.MeasureStartTs;

    /// <summary>Records one completed primary op that started at <paramref name="startTs"/>.</summary>
    public void Complete(OpStats st, long startTs, long endTs)
    {
        if (!Measuring(startTs)) return;
        long us = RunClock.ToUs(endTs - startTs);
        st.Record(us);
        Interlocked.Increment(ref Completed);
        Interlocked.Add(ref LatencySumUs, us);
        long last;
        while ((last = Interlocked.Read(ref LastCompletionTs)) < endTs && Interlocked.CompareExchange(ref LastCompletionTs, endTs, last) != last) { }
    }

    /// <summary>Records a secondary op's latency or error.</summary>
    public void Op(OpStats st, long startTs, in Reply r)
    {
        if (!Measuring(startTs)) return;
        if (r.Ok) st.Record(RunClock.ToUs(r.ReceivedTs - startTs));
        else Error(st, r.Err);
    }

    public void Error(OpStats st, int code)
    {
        st.Error(code);
        Interlocked.Increment(ref ErrorTotal);
    }

    public void Fail(string what)
    {
        lock (Failures)
        {
            if (Failures.Count < 100) Failures.Add(what);
        }
    }

    public OpStats[] Merge()
    {
        var merged = new OpStats[opNames.Length];
        for (int i = 0; i < merged.Length; i++) merged[i] = new OpStats(opNames[i]);
        lock (_stats)
        {
            foreach (var s in _stats)
            {
                for (int i = 0; i < merged.Length; i++) merged[i].Merge(s[i]);
            }
        }
        return merged;
    }

    /// <summary>Opens a session; successive sessions go round-robin over the endpoints.</summary>
    public Task<RawClient> ConnectAsync() =>
        RawClient.ConnectAsync(Endpoint.For(Endpoints, Interlocked.Increment(ref _connects)), O.SessionTimeoutMs);
}

/// <summary>A workload of awaited round trips with its own recipe logic (watches, locks, session churn).</summary>
internal abstract class ScenarioWorkload(RunOptions o)
{
    protected RunOptions O { get; } = o;

    protected byte[] Value { get; } = new byte[Math.Max(0, o.ValueSize)];

    public abstract string[] OpNames { get; }

    /// <summary>The op whose rate is the workload's throughput.</summary>
    public abstract int PrimaryOp { get; }

    public abstract Task PrepareAsync(RawClient c);

    /// <summary>Connects what must exist before timing starts.</summary>
    public virtual Task SetupAsync(ScenarioContext ctx) => Task.CompletedTask;

    public abstract Task RunAsync(ScenarioContext ctx);

    public virtual Task TeardownAsync(ScenarioContext ctx) => Task.CompletedTask;

    public static ScenarioWorkload? Create(RunOptions o) => o.Workload switch
    {
        "watchfanout" => new WatchFanoutWorkload(o),
        "lock" => new LockWorkload(o),
        "sessionchurn" => new SessionChurnWorkload(o),
        _ => null,
    };

    /// <summary>Time left until the end plus the drain allowance, for waits that must not hang.</summary>
    protected static TimeSpan Remaining(ScenarioContext ctx)
    {
        long left = ctx.Clock.EndTs - Stopwatch.GetTimestamp() + RunClock.FromSeconds(ctx.O.DrainSec);
        return TimeSpan.FromSeconds(Math.Max(0.05, left / (double)Stopwatch.Frequency));
    }
}

/// <summary>
/// One writer, N watcher sessions (--sessions) holding a data watch on one znode. Each round: arm
/// every watch, setData once, wait for all N notifications. "fanout" = write sent → last notification.
/// </summary>
internal sealed class WatchFanoutWorkload(RunOptions o) : ScenarioWorkload(o)
{
    private const int Fanout = 0, Notify = 1, Write = 2, Arm = 3;
    private readonly List<RawClient> _watchers = [];
    private RawClient? _writer;
    private string Path => O.Root + "/fan";

    public override string[] OpNames => ["fanout", "notify", "setdata", "arm"];

    public override int PrimaryOp => Fanout;

    public override async Task PrepareAsync(RawClient c)
    {
        await c.EnsureAsync(O.Root).ConfigureAwait(false);
        await c.EnsureAsync(Path).ConfigureAwait(false);
    }

    public override async Task SetupAsync(ScenarioContext ctx)
    {
        _writer = await ctx.ConnectAsync().ConfigureAwait(false);
        for (int start = 0; start < O.Sessions; start += 64)
        {
            var batch = Enumerable.Range(start, Math.Min(64, O.Sessions - start)).Select(_ => ctx.ConnectAsync());
            _watchers.AddRange(await Task.WhenAll(batch).ConfigureAwait(false));
        }
    }

    public override async Task RunAsync(ScenarioContext ctx)
    {
        var st = ctx.NewStats();
        var notifyLock = new object();
        int remaining = 0;
        long t0 = 0;
        long lastTs = 0;
        TaskCompletionSource? all = null;
        foreach (var w in _watchers)
        {
            w.OnWatch = (type, path, ts) =>
            {
                if (type != (int)EventType.NodeDataChanged || path != Path) return;
                Interlocked.Increment(ref ctx.Notifications);
                lock (notifyLock)
                {
                    if (ctx.Measuring(t0)) st[Notify].Record(RunClock.ToUs(ts - t0));
                    if (ts > lastTs) lastTs = ts;
                }
                if (Interlocked.Decrement(ref remaining) == 0) all?.TrySetResult();
            };
        }
        while (!ctx.ShouldStop)
        {
            long armTs = Stopwatch.GetTimestamp();
            var arms = await Task.WhenAll(_watchers.Select(w => w.PathWatchAsync(OpCode.GetData, Path, true))).ConfigureAwait(false);
            foreach (var a in arms)
            {
                lock (notifyLock) ctx.Op(st[Arm], armTs, a);
            }
            if (ctx.ShouldStop) break;
            all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lastTs = 0;
            Volatile.Write(ref remaining, _watchers.Count);
            t0 = Stopwatch.GetTimestamp();
            if (!ctx.Begin(t0)) break;
            var r = await _writer!.SetDataAsync(Path, Value).ConfigureAwait(false);
            lock (notifyLock) ctx.Op(st[Write], t0, r);
            if (!r.Ok) continue;
            try
            {
                await all.Task.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
                long last;
                lock (notifyLock) last = lastTs;
                lock (notifyLock) ctx.Complete(st[Fanout], t0, last);
            }
            catch (TimeoutException)
            {
                int missing = Volatile.Read(ref remaining);
                lock (notifyLock) ctx.Error(st[Fanout], -7);
                ctx.Fail($"watchfanout: {missing} of {_watchers.Count} notifications missing 10 s after the write");
            }
        }
    }

    public override async Task TeardownAsync(ScenarioContext ctx)
    {
        await Task.WhenAll(_watchers.Select(w => w.DisposeAsync().AsTask())).ConfigureAwait(false);
        if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>
/// N sessions contend for one lock with the ephemeral-sequential recipe (create, getChildren, watch the
/// predecessor, re-check). "acquire" = create sent → lock held; throughput = acquisitions per second.
/// </summary>
internal sealed class LockWorkload(RunOptions o) : ScenarioWorkload(o)
{
    private const int Acquire = 0, Release = 1, CreateOp = 2, Children = 3, Exists = 4;
    private string Dir => O.Root + "/lock";

    public override string[] OpNames => ["acquire", "release", "create", "getchildren", "exists"];

    public override int PrimaryOp => Acquire;

    public override async Task PrepareAsync(RawClient c)
    {
        await c.EnsureAsync(O.Root).ConfigureAwait(false);
        await c.EnsureAsync(Dir).ConfigureAwait(false);
    }

    public override Task RunAsync(ScenarioContext ctx) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, O.Sessions)).Select(_ => Task.Run(() => WorkerAsync(ctx))));

    private async Task WorkerAsync(ScenarioContext ctx)
    {
        var st = ctx.NewStats();
        await using var c = await ctx.ConnectAsync().ConfigureAwait(false);
        TaskCompletionSource? gone = null;
        string? watched = null;
        c.OnWatch = (type, path, ts) =>
        {
            if (path == Volatile.Read(ref watched)) Volatile.Read(ref gone)?.TrySetResult();
        };
        while (!ctx.ShouldStop)
        {
            long t0 = Stopwatch.GetTimestamp();
            if (!ctx.Begin(t0)) break;
            var cr = await c.CreateAsync(Dir + "/lock-", Value, CreateMode.EphemeralSequential).ConfigureAwait(false);
            ctx.Op(st[CreateOp], t0, cr);
            if (!cr.Ok) { ctx.Error(st[Acquire], cr.Err); continue; }
            string mine = RawClient.ReadPath(cr.Body);
            string myName = mine[(mine.LastIndexOf('/') + 1)..];
            bool held = false;
            while (!ctx.Clock.Stop)
            {
                long tc = Stopwatch.GetTimestamp();
                var (err, children) = await c.GetChildrenAsync(Dir).ConfigureAwait(false);
                ctx.Op(st[Children], tc, new Reply(err, 0, [], Stopwatch.GetTimestamp()));
                if (children is null) break;
                children.Sort(StringComparer.Ordinal);
                int idx = children.IndexOf(myName);
                if (idx < 0) { ctx.Fail($"lock: own node {mine} missing from getChildren"); break; }
                if (idx == 0) { held = true; break; }
                string pred = Dir + "/" + children[idx - 1];
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref gone, tcs);
                Volatile.Write(ref watched, pred);
                long te = Stopwatch.GetTimestamp();
                var ex = await c.PathWatchAsync(OpCode.Exists, pred, true).ConfigureAwait(false);
                if (ex.Err == (int)ErrorCode.NoNode) continue;
                ctx.Op(st[Exists], te, ex);
                if (!ex.Ok) break;
                try
                {
                    await tcs.Task.WaitAsync(Remaining(ctx)).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    break; // run is over
                }
            }
            if (held)
            {
                ctx.Complete(st[Acquire], t0, Stopwatch.GetTimestamp());
                if (O.HoldMs > 0) await Task.Delay(O.HoldMs).ConfigureAwait(false);
            }
            long tr = Stopwatch.GetTimestamp();
            var dr = await c.DeleteAsync(mine).ConfigureAwait(false);
            if (held) ctx.Op(st[Release], tr, dr);
        }
    }
}

/// <summary>
/// The service-registry pattern: each worker loops connect → create ephemeral under the registry →
/// heartbeats (setData on it) → delete → closeSession. "cycle" = the whole round; throughput = cycles/s.
/// </summary>
internal sealed class SessionChurnWorkload(RunOptions o) : ScenarioWorkload(o)
{
    private const int Cycle = 0, Connect = 1, Register = 2, Heartbeat = 3, Deregister = 4, Close = 5;
    private string Dir => O.Root + "/registry";

    public override string[] OpNames => ["cycle", "connect", "register", "heartbeat", "deregister", "close"];

    public override int PrimaryOp => Cycle;

    public override async Task PrepareAsync(RawClient c)
    {
        await c.EnsureAsync(O.Root).ConfigureAwait(false);
        await c.EnsureAsync(Dir).ConfigureAwait(false);
    }

    public override Task RunAsync(ScenarioContext ctx) =>
        Task.WhenAll(Enumerable.Range(0, Math.Max(1, O.Sessions)).Select(i => Task.Run(() => WorkerAsync(ctx, i))));

    private async Task WorkerAsync(ScenarioContext ctx, int worker)
    {
        var st = ctx.NewStats();
        long n = 0;
        while (!ctx.ShouldStop)
        {
            long t0 = Stopwatch.GetTimestamp();
            if (!ctx.Begin(t0)) break;
            RawClient c;
            try
            {
                c = await ctx.ConnectAsync().ConfigureAwait(false);
            }
            catch (Exception e)
            {
                if (ctx.Measuring(t0)) ctx.Error(st[Cycle], -4);
                ctx.Fail($"sessionchurn connect: {e.Message}");
                await Task.Delay(100).ConfigureAwait(false);
                continue;
            }
            long t1 = Stopwatch.GetTimestamp();
            if (ctx.Measuring(t0)) st[Connect].Record(RunClock.ToUs(t1 - t0));
            bool ok = true;
            string path = $"{Dir}/w{worker}-{n++}";
            try
            {
                var r = await c.CreateAsync(path, Value, CreateMode.Ephemeral).ConfigureAwait(false);
                ctx.Op(st[Register], t1, r);
                ok &= r.Ok;
                for (int h = 0; h < O.Heartbeats && ok; h++)
                {
                    long th = Stopwatch.GetTimestamp();
                    r = await c.SetDataAsync(path, Value).ConfigureAwait(false);
                    ctx.Op(st[Heartbeat], th, r);
                    ok &= r.Ok;
                }
                long td = Stopwatch.GetTimestamp();
                r = await c.DeleteAsync(path).ConfigureAwait(false);
                ctx.Op(st[Deregister], td, r);
                ok &= r.Ok;
            }
            catch (Exception e)
            {
                ok = false;
                ctx.Fail($"sessionchurn: {e.Message}");
            }
            long tx = Stopwatch.GetTimestamp();
            await c.DisposeAsync().ConfigureAwait(false);
            long end = Stopwatch.GetTimestamp();
            if (ctx.Measuring(t0)) st[Close].Record(RunClock.ToUs(end - tx));
            if (ok) ctx.Complete(st[Cycle], t0, end);
            else if (ctx.Measuring(t0)) ctx.Error(st[Cycle], -1);
        }
    }
}
