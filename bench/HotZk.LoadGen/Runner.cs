using System.Diagnostics;
using System.Globalization;

namespace HotZk.LoadGen;

/// <summary>Runs one workload against one server: prepare, connect, warm up, measure, drain, report.</summary>
internal static class Runner
{
    public static readonly string[] Workloads =
        ["setdata", "getdata", "mixed90", "createdelete", "multi", "watchfanout", "sessionchurn", "lock", "largevalue", "populate"];

    public static async Task<RunResult> RunAsync(RunOptions o, TextWriter log)
    {
        if (PipelinedWorkload.Create(o) is { } pw) return await RunPipelinedAsync(o, pw, log).ConfigureAwait(false);
        if (ScenarioWorkload.Create(o) is { } sw) return await RunScenarioAsync(o, sw, log).ConfigureAwait(false);
        throw new ArgumentException($"unknown workload '{o.Workload}' (one of: {string.Join(", ", Workloads)})");
    }

    private static RunResult NewResult(RunOptions o) => new()
    {
        Workload = o.Workload,
        Connect = o.Connect,
        Sessions = o.Sessions,
        Outstanding = o.Outstanding,
        Loop = o.Rate is null ? "closed" : "open",
        TargetRate = o.Rate,
        ValueSize = o.ValueSize,
        Keys = o.Keys,
        WarmupSec = o.WarmupSec,
        DurationLimitSec = o.DurationSec,
        OpsLimit = o.Ops,
        StartedUtc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
    };

    private static void StartClock(RunClock clock, RunOptions o)
    {
        clock.StartTs = Stopwatch.GetTimestamp();
        clock.MeasureStartTs = clock.StartTs + RunClock.FromSeconds(o.WarmupSec);
        clock.EndTs = clock.MeasureStartTs + RunClock.FromSeconds(o.DurationSec);
    }

    /// <summary>
    /// Prints a line per second until <paramref name="done"/> completes; returns the process CPU time
    /// at the start of the measured window.
    /// </summary>
    private static async Task<(TimeSpan Cpu, long Alloc)> ProgressAsync(RunClock clock, RunOptions o, Task done, Func<(long Ops, long LatUs, long Errors, long Inflight)> sample, TextWriter log)
    {
        var proc = Process.GetCurrentProcess();
        TimeSpan? cpuAtMeasure = null;
        long allocAtMeasure = 0;
        long lastOps = 0, lastLat = 0;
        long lastTs = Stopwatch.GetTimestamp();
        int tick = 0;
        while (!done.IsCompleted)
        {
            long now = Stopwatch.GetTimestamp();
            long next = clock.StartTs + RunClock.FromSeconds(++tick);
            if (cpuAtMeasure is null && clock.MeasureStartTs > now && clock.MeasureStartTs < next) next = clock.MeasureStartTs;
            var wait = TimeSpan.FromTicks(Math.Max(1, (next - now) * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
            await Task.WhenAny(done, Task.Delay(wait)).ConfigureAwait(false);
            now = Stopwatch.GetTimestamp();
            if (cpuAtMeasure is null && now >= clock.MeasureStartTs)
            {
                proc.Refresh();
                cpuAtMeasure = proc.TotalProcessorTime;
                allocAtMeasure = GC.GetTotalAllocatedBytes(false);
                o.MeasureStarted?.Invoke();
                if (next == clock.MeasureStartTs) { tick--; continue; }
            }
            if (done.IsCompleted) break;
            var (ops, lat, errors, inflight) = sample();
            double dt = (now - lastTs) / (double)Stopwatch.Frequency;
            long dOps = ops - lastOps;
            string phase = now < clock.MeasureStartTs ? "warmup " : "measure";
            if (!o.Quiet)
            {
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{(now - clock.StartTs) / (double)Stopwatch.Frequency,5:0}s] {phase} {dOps / dt,10:0} ops/s  mean {(dOps > 0 ? (lat - lastLat) / dOps : 0),7}us  total {ops,10}  errors {errors,6}  inflight {inflight,5}"));
            }
            lastOps = ops;
            lastLat = lat;
            lastTs = now;
        }
        if (cpuAtMeasure is null)
        {
            proc.Refresh();
            cpuAtMeasure = proc.TotalProcessorTime;
            allocAtMeasure = GC.GetTotalAllocatedBytes(false);
            o.MeasureStarted?.Invoke();
        }
        return (cpuAtMeasure.Value, allocAtMeasure);
    }

    /// <summary>
    /// Runs <paramref name="prepare"/> through the first endpoint, then syncs every other endpoint.
    /// The prepare writes were acknowledged, so the leader has committed them; a member answers reads
    /// from its own applied state, which may lag, and sync makes it catch up with the leader's commit
    /// point before answering. A member's state only moves forward, so every session opened on it
    /// afterwards sees the prepared keys. One sync per member is cheaper and simpler than preparing
    /// through each one.
    /// </summary>
    public static async Task PrepareAsync(RunOptions o, IReadOnlyList<Endpoint> endpoints, Func<RawClient, Task> prepare)
    {
        await using (var setup = await RawClient.ConnectAsync(endpoints[0], o.SessionTimeoutMs).ConfigureAwait(false))
        {
            await prepare(setup).ConfigureAwait(false);
        }
        foreach (var ep in endpoints.Skip(1).Distinct())
        {
            await using var c = await RawClient.ConnectAsync(ep, o.SessionTimeoutMs).ConfigureAwait(false);
            var r = await c.SyncAsync("/").ConfigureAwait(false);
            if (!r.Ok) throw new IOException($"sync on {ep} after prepare: {Wire.ErrorName(r.Err)}");
        }
    }

    private static async Task<RunResult> RunPipelinedAsync(RunOptions o, PipelinedWorkload wl, TextWriter log)
    {
        var endpoints = Endpoint.ParseList(o.Connect);
        var result = NewResult(o);
        if (o.Workload == "largevalue" && !o.ValueSizeGiven) result.ValueSize = -1;
        await PrepareAsync(o, endpoints, wl.PrepareAsync).ConfigureAwait(false);

        var clock = new RunClock { StartTs = long.MaxValue, MeasureStartTs = long.MaxValue, EndTs = long.MaxValue };
        int s = Math.Max(1, o.Sessions);
        var sessions = new PipelinedSession[s];
        int cap = Math.Max(1, o.Outstanding);
        for (int start = 0; start < s; start += 64)
        {
            var batch = new List<Task<PipelinedSession>>();
            for (int i = start; i < Math.Min(s, start + 64); i++)
            {
                long quota = o.Ops / s + (i < o.Ops % s ? 1 : 0);
                var (host, port) = Endpoint.For(endpoints, i); // sessions spread round-robin, like clients over an ensemble
                batch.Add(PipelinedSession.ConnectAsync(host, port, o.SessionTimeoutMs, wl, clock, i, cap, quota, CancellationToken.None));
            }
            var done = await Task.WhenAll(batch).ConfigureAwait(false);
            done.CopyTo(sessions, start);
        }

        StartClock(clock, o);
        var receivers = new Task[s];
        var senders = new Task[s];
        for (int i = 0; i < s; i++)
        {
            var ss = sessions[i];
            receivers[i] = Task.Run(ss.ReceiveLoopAsync);
            int idx = i;
            senders[i] = o.Rate is { } rate
                ? Task.Run(() => ss.SendOpenLoopAsync(rate / s, idx, s))
                : Task.Run(ss.SendClosedLoopAsync);
        }
        var proc = Process.GetCurrentProcess();
        var allSent = Task.WhenAll(senders);
        var (cpu0, alloc0) = await ProgressAsync(clock, o, allSent, () =>
        {
            long ops = 0, lat = 0, err = 0, inflight = 0;
            foreach (var x in sessions)
            {
                ops += Volatile.Read(ref x.Completed);
                lat += Volatile.Read(ref x.LatencySumUs);
                err += Volatile.Read(ref x.ErrorTotal);
                inflight += x.Inflight;
            }
            return (ops, lat, err, inflight);
        }, log).ConfigureAwait(false);
        await allSent.ConfigureAwait(false);

        // Drain: wait for the replies of what was sent, bounded.
        long drainEnd = Stopwatch.GetTimestamp() + RunClock.FromSeconds(o.DrainSec);
        while (Stopwatch.GetTimestamp() < drainEnd && sessions.Any(x => !x.Failed && x.Inflight > 0)) await Task.Delay(5).ConfigureAwait(false);
        proc.Refresh();
        var cpu1 = proc.TotalProcessorTime;
        long alloc1 = GC.GetTotalAllocatedBytes(false);
        o.MeasureEnded?.Invoke();
        clock.Stop = true;
        foreach (var x in sessions)
        {
            x.Wake();
            if (x.Failed) x.ChargeUnanswered(-4);            // CONNECTIONLOSS
            else if (x.Inflight > 0) x.ChargeUnanswered(-7); // OPERATIONTIMEOUT: no reply within the drain time
        }
        await Task.WhenAll(sessions.Select(x => x.CloseSessionAsync())).ConfigureAwait(false);
        await Task.WhenAny(Task.WhenAll(receivers), Task.Delay(3000)).ConfigureAwait(false);
        foreach (var x in sessions) x.Dispose();
        await Task.WhenAny(Task.WhenAll(receivers), Task.Delay(1000)).ConfigureAwait(false);

        long lastTs = sessions.Max(x => x.LastCompletionTs);
        double elapsed = lastTs > clock.MeasureStartTs ? (lastTs - clock.MeasureStartTs) / (double)Stopwatch.Frequency : o.DurationSec;
        var merged = new OpStats[wl.OpNames.Length];
        for (int i = 0; i < merged.Length; i++)
        {
            merged[i] = new OpStats(wl.OpNames[i]);
            foreach (var x in sessions) merged[i].Merge(x.Stats[i]);
        }
        result.Notifications = sessions.Sum(x => x.Notifications);
        foreach (var x in sessions.Where(x => x.FailReason is not null))
        {
            result.SessionsLost++;
            result.Failures.Add($"session 0x{x.SessionId:x}: {x.FailReason}");
        }
        Finish(result, merged, null, elapsed, (cpu1 - cpu0).TotalSeconds);
        result.ClientAllocBytesPerOp = result.Ops > 0 ? Math.Round((alloc1 - alloc0) / (double)result.Ops, 2) : 0;
        return result;
    }

    private static void Finish(RunResult result, OpStats[] merged, int? primary, double elapsed, double cpuSec)
    {
        result.ElapsedSec = Math.Round(elapsed, 3);
        result.ClientCpuSec = Math.Round(cpuSec, 3);
        foreach (var m in merged) result.ByOp.Add(m.ToResult(elapsed));
        if (primary is { } p)
        {
            result.All = merged[p].ToResult(elapsed);
        }
        else
        {
            var all = new OpStats("all");
            foreach (var m in merged) all.Merge(m);
            result.All = all.ToResult(elapsed);
        }
        result.Ops = result.All.Count;
        result.Errors = merged.Sum(m => m.ErrorCount);
        result.OpsPerSec = Math.Round(result.All.OpsPerSec, 1);
    }

    private static async Task<RunResult> RunScenarioAsync(RunOptions o, ScenarioWorkload wl, TextWriter log)
    {
        var endpoints = Endpoint.ParseList(o.Connect);
        var result = NewResult(o);
        result.Outstanding = 1; // scenario workers await each round trip
        await PrepareAsync(o, endpoints, wl.PrepareAsync).ConfigureAwait(false);
        var clock = new RunClock { StartTs = long.MaxValue, MeasureStartTs = long.MaxValue, EndTs = long.MaxValue };
        var ctx = new ScenarioContext(o, endpoints, clock, wl.OpNames);
        await wl.SetupAsync(ctx).ConfigureAwait(false);
        StartClock(clock, o);
        var proc = Process.GetCurrentProcess();
        var run = Task.Run(() => wl.RunAsync(ctx));
        var (cpu0, alloc0) = await ProgressAsync(clock, o, run, () => (Interlocked.Read(ref ctx.Completed), Interlocked.Read(ref ctx.LatencySumUs), Interlocked.Read(ref ctx.ErrorTotal), 0), log).ConfigureAwait(false);
        try
        {
            await run.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            result.Failures.Add($"{wl.GetType().Name}: {e.GetType().Name}: {e.Message}");
        }
        proc.Refresh();
        var cpu1 = proc.TotalProcessorTime;
        long alloc1 = GC.GetTotalAllocatedBytes(false);
        o.MeasureEnded?.Invoke();
        clock.Stop = true;
        await wl.TeardownAsync(ctx).ConfigureAwait(false);
        var merged = ctx.Merge();
        long lastTs = Interlocked.Read(ref ctx.LastCompletionTs);
        double elapsed = lastTs > clock.MeasureStartTs ? (lastTs - clock.MeasureStartTs) / (double)Stopwatch.Frequency : o.DurationSec;
        result.Notifications = Interlocked.Read(ref ctx.Notifications);
        lock (ctx.Failures) result.Failures.AddRange(ctx.Failures);
        Finish(result, merged, wl.PrimaryOp, elapsed, (cpu1 - cpu0).TotalSeconds);
        result.ClientAllocBytesPerOp = result.Ops > 0 ? Math.Round((alloc1 - alloc0) / (double)result.Ops, 2) : 0;
        return result;
    }
}
