using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace HotZk.LoadGen;

/// <summary>
/// <c>hotzk bench failover</c>: per target, an N-member ensemble on loopback (the compare zoo.cfg),
/// populated with znodes; then, repeatedly, a writer connected to every member except the leader
/// writes in a loop, the leader is SIGKILLed, and the time from the kill to the first write committed
/// by the new leader is measured; the killed member is restarted and timed until it is a follower again.
/// Targets run one after the other (only one ensemble up at a time).
/// </summary>
internal static class Failover
{
    private const string KeyPath = "/bench/failover";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
    private static readonly TimeSpan ServingTimeout = TimeSpan.FromSeconds(60);

    public static async Task<int> RunAsync(FailoverSettings fo, string commandLine, TextWriter log)
    {
        // The writer's reconnects must not wait for thread-pool growth while a poll loop is running.
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), Math.Max(io, 16));
        string root = Compare.FindRepoRoot();
        string stamp = DateTime.UtcNow.ToString("yyyy-MM-dd-HHmm", CultureInfo.InvariantCulture);
        string baseDir = fo.BaseDir ?? Path.Combine(Path.GetTempPath(), $"hotzk-failover-{stamp}-{Environment.ProcessId}");
        Directory.CreateDirectory(baseDir);
        var report = new FailoverReport
        {
            Command = commandLine,
            StartedUtc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            Settings = fo,
            Mode = ServerGroup.Describe(fo.Nodes),
            ZooCfg = ZooCfg.Template(fo.TickTime, fo.Nodes),
            Fingerprint = ProcInfo.Fingerprint(root),
        };
        var (fsync, _, _) = Limits.Fsync(baseDir, 1);
        report.Fingerprint.FsyncPerSec = Math.Round(fsync, 1);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"machine: {report.Fingerprint.Nproc} cores, {report.Fingerprint.CpuModel}, load {report.Fingerprint.LoadAvgAtStart}, fsync {fsync:0}/s"));
        log.WriteLine($"plan: {fo.Nodes}-node ensembles of {string.Join(", ", fo.Targets)}, {fo.Znodes} znodes x {fo.ValueSize} B, {fo.Kills} leader kills each; data under {baseDir}");

        foreach (var name in fo.Targets)
        {
            var t = ServerTarget.Create(name, root, fo.ZkHeap);
            var tr = new FailoverTarget { Target = name };
            report.Targets.Add(tr);
            ServerGroup? group = null;
            try
            {
                log.WriteLine($"--- {name} ---");
                group = ServerGroup.Start(t, Path.Combine(baseDir, name), fo.Nodes, fo.TickTime, log);
                tr.Members = group.Info(group.Modes());
                report.ServerCommands[name] = t.Describe(group.Members[0].Cfg, true) + $" (one per member: {fo.Nodes})";
                if (name == "zk") report.Fingerprint.ZooKeeper = Compare.FourLetter("127.0.0.1", group.Members[0].Port, "srvr").Split('\n')[0];
                tr.Populate = await PopulateAsync(group, fo, log).ConfigureAwait(false);
                var value = new byte[Math.Max(1, fo.ValueSize)];
                await Runner.PrepareAsync(new RunOptions(), group.Members.Select(m => m.Endpoint).ToList(), async c =>
                {
                    await c.EnsureAsync("/bench").ConfigureAwait(false);
                    await c.EnsureAsync(KeyPath).ConfigureAwait(false);
                }).ConfigureAwait(false);
                for (int k = 1; k <= fo.Kills; k++)
                {
                    var (kill, healthy) = await KillOnceAsync(group, k, value, fo, log).ConfigureAwait(false);
                    tr.Kills.Add(kill);
                    if (kill.Failed) report.Incidents.Add($"{name} kill {k}: {kill.Error}");
                    if (!healthy)
                    {
                        report.Incidents.Add($"{name}: the ensemble did not recover after kill {k}; remaining kills skipped");
                        break;
                    }
                }
            }
            catch (Exception e)
            {
                report.Incidents.Add($"{name}: {e.GetType().Name}: {e.Message}");
                log.WriteLine($"{name} FAILED: {e.Message}");
            }
            finally
            {
                group?.Stop();
            }
            tr.Summary = Summarize(tr);
        }

        if (report.Targets.FirstOrDefault(x => x.Target == "hotzk")?.Summary is { } h && report.Targets.FirstOrDefault(x => x.Target == "zk")?.Summary is { } z)
        {
            static double? R(double? a, double? b) => a is { } x && b is > 0 ? Math.Round(x / b.Value, 3) : null;
            report.Ratio["medianKillToFirstWrite"] = R(h.MedianKillToFirstWriteMs, z.MedianKillToFirstWriteMs);
            report.Ratio["maxKillToFirstWrite"] = R(h.MaxKillToFirstWriteMs, z.MaxKillToFirstWriteMs);
            report.Ratio["medianRestartToFollower"] = R(h.MedianRestartToFollowerMs, z.MedianRestartToFollowerMs);
        }
        log.WriteLine();
        log.WriteLine(Table(report));
        string outPath = fo.OutPath ?? Path.Combine(root, "perf-baselines", $"failover-{stamp}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(report, Json)).ConfigureAwait(false);
        log.WriteLine($"wrote {outPath}");
        foreach (var i in report.Incidents) log.WriteLine("INCIDENT: " + i);
        return report.Incidents.Count == 0 ? 0 : 3;
    }

    /// <summary>Creates the znodes with the populate workload, sessions spread over every member.</summary>
    private static async Task<FailoverPopulate?> PopulateAsync(ServerGroup group, FailoverSettings fo, TextWriter log)
    {
        if (fo.Znodes <= 0) return null;
        var o = new RunOptions
        {
            Workload = "populate",
            Connect = group.Connect,
            Sessions = 32,
            Outstanding = 16,
            ValueSize = fo.ValueSize,
            ValueSizeGiven = true,
            Ops = fo.Znodes,
            WarmupSec = 0,
            DurationSec = 3600,
            DrainSec = 60,
            Quiet = !fo.Verbose,
        };
        var r = await Runner.RunAsync(o, log).ConfigureAwait(false);
        var p = new FailoverPopulate { Created = r.Ops, Errors = r.Errors, Seconds = r.ElapsedSec, CreatesPerSec = r.OpsPerSec };
        if (group.Leader() is { } leader)
        {
            foreach (var line in Compare.FourLetter("127.0.0.1", leader.Port, "mntr").Split('\n'))
            {
                var f = line.Split('\t');
                if (f.Length == 2 && f[0] == "zk_znode_count" && long.TryParse(f[1].Trim(), CultureInfo.InvariantCulture, out long n)) p.ZnodeCount = n;
            }
            p.LeaderRssKb = ProcInfo.Sample(leader.Process.Id).RssKb;
        }
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"populated {p.Created} znodes x {fo.ValueSize} B in {p.Seconds:0.0} s ({p.CreatesPerSec:0}/s, {p.Errors} errors); leader znode count {p.ZnodeCount?.ToString(CultureInfo.InvariantCulture) ?? "-"}, leader RSS {p.LeaderRssKb / 1024.0:0} MiB"));
        if (p.Created < fo.Znodes || p.Errors > 0) throw new IOException($"populate created {p.Created} of {fo.Znodes} znodes ({p.Errors} errors; {string.Join("; ", r.Failures.Take(3))})");
        return p;
    }

    /// <summary>One kill: writer up, ~1 s of writes, SIGKILL the leader, first new-epoch write, restart, follower again.</summary>
    private static async Task<(FailoverKill Kill, bool Healthy)> KillOnceAsync(ServerGroup group, int index, byte[] value, FailoverSettings fo, TextWriter log)
    {
        var kill = new FailoverKill { Index = index };
        var modes = group.WaitServing(ServingTimeout);
        var leader = group.Members.Single(m => modes[m.Id] == "leader");
        var others = group.Members.Where(m => m != leader).ToList();
        kill.LeaderId = leader.Id;
        kill.LeaderPid = leader.Process.Id;
        kill.WriterMembers = others.Select(m => m.Id).ToList();

        var writer = new FailoverWriter(others.Select(m => m.Endpoint).ToList(), KeyPath, value);
        long killTs = 0;
        WriteSuccess? first = null;
        try
        {
            writer.Start();
            var warm = Stopwatch.StartNew();
            while (true)
            {
                var (count, firstTs) = writer.Progress;
                if (count > 0 && Stopwatch.GetTimestamp() - firstTs >= Stopwatch.Frequency) break;
                if (warm.Elapsed > ServingTimeout)
                {
                    kill.Failed = true;
                    kill.Error = $"the writer had {count} successful writes in {ServingTimeout.TotalSeconds:0} s before the kill; errors: {Errors(writer.Errors())}";
                    log.WriteLine($"{group.Target.Name} kill {index}: {kill.Error}");
                    return (kill, false);
                }
                await Task.Delay(20).ConfigureAwait(false);
            }
            long epoch = writer.Successes().Max(s => s.Zxid) >> 32;
            kill.KilledUtc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture);
            killTs = ServerGroup.Kill(leader);
            long giveUp = killTs + (long)(fo.KillTimeoutSec * Stopwatch.Frequency);
            // A reply after the kill counts only when the new leader committed the write (newer zxid
            // epoch): a write of the old epoch that was in flight at the kill proves nothing about failover.
            while ((first = writer.FirstSuccessAfter(killTs, epoch)) is null && Stopwatch.GetTimestamp() < giveUp)
                await Task.Delay(5).ConfigureAwait(false);
            var all = writer.Successes();
            var before = all.Where(s => s.Ts <= killTs).ToList();
            kill.WritesBeforeKill = before.Count;
            if (before.Count > 0) kill.LastWriteBeforeKillMs = FailoverWriter.Ms(killTs - before[^1].Ts);
            kill.OldEpochRepliesAfterKill = all.Count(s => s.Ts > killTs && (s.Zxid >> 32) <= epoch);
        }
        finally
        {
            await writer.DisposeAsync().ConfigureAwait(false);
        }
        var (created, resumed, expired, connectFailures, readTimeouts, lost) = writer.Counters;
        kill.SessionsCreated = created;
        kill.SessionsResumed = resumed;
        kill.SessionsExpired = expired;
        kill.ConnectFailures = connectFailures;
        kill.ReadTimeouts = readTimeouts;
        kill.ConnectionsLost = lost;
        kill.ErrorsByCode = writer.Errors();
        if (first is { } f)
        {
            kill.KillToFirstWriteMs = FailoverWriter.Ms(f.Ts - killTs);
            kill.FirstWriteMemberId = others[f.Endpoint].Id;
            kill.FirstWriteZxid = $"0x{f.Zxid:x}";
        }
        else
        {
            kill.Failed = true;
            kill.Error = $"no write committed by a new leader within {fo.KillTimeoutSec:0} s of the kill; errors: {Errors(kill.ErrorsByCode)}";
        }

        // The survivors' new leader (bounded), then the restart of the killed member.
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < ServingTimeout && kill.NewLeaderId is null)
        {
            var survivors = others.Select(m => (m.Id, Mode: m.Mode())).ToList();
            if (survivors.Count(s => s.Mode == "leader") == 1 && survivors.All(s => s.Mode is "leader" or "follower"))
                kill.NewLeaderId = survivors.Single(s => s.Mode == "leader").Id;
            else await Task.Delay(20).ConfigureAwait(false);
        }
        bool healthy = true;
        long t0 = Stopwatch.GetTimestamp();
        group.Restart(leader);
        bool follower = await Task.Run(() => ServerGroup.WaitMode(leader, "follower", TimeSpan.FromSeconds(fo.RestartTimeoutSec))).ConfigureAwait(false);
        if (follower)
        {
            kill.RestartToFollowerMs = FailoverWriter.Ms(Stopwatch.GetTimestamp() - t0);
            try
            {
                await Task.Run(() => group.WaitServing(ServingTimeout)).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                healthy = false;
                kill.Error = (kill.Error is null ? "" : kill.Error + "; ") + e.Message;
            }
        }
        else
        {
            healthy = false;
            kill.Failed = true;
            kill.Error = (kill.Error is null ? "" : kill.Error + "; ") +
                $"member {leader.Id} not a follower within {fo.RestartTimeoutSec:0} s of its restart (mode '{leader.Mode()}'):\n{leader.LogTail(15)}";
        }
        // Only integers and preformatted strings below: no culture-dependent formatting.
        log.WriteLine(
            $"{group.Target.Name} kill {index}: leader {kill.LeaderId} (pid {kill.LeaderPid}) killed after {kill.WritesBeforeKill} writes; " +
            $"first new-epoch write after {Ms(kill.KillToFirstWriteMs)} via member {kill.FirstWriteMemberId?.ToString(CultureInfo.InvariantCulture) ?? "-"} " +
            $"(new leader {kill.NewLeaderId?.ToString(CultureInfo.InvariantCulture) ?? "-"}; sessions resumed {kill.SessionsResumed}, new {kill.SessionsCreated}, expired {kill.SessionsExpired}; " +
            $"connect failures {kill.ConnectFailures}, connections lost {kill.ConnectionsLost}); restart -> follower {Ms(kill.RestartToFollowerMs)}" +
            (kill.Error is null ? "" : $"  ERROR: {kill.Error}"));
        return (kill, healthy);
    }

    private static string Errors(Dictionary<string, long> errors) =>
        errors.Count == 0 ? "none" : string.Join(", ", errors.Select(e => $"{e.Key} x{e.Value}"));

    private static string Ms(double? ms) => ms is { } v
        ? v < 10_000 ? v.ToString("0.0", CultureInfo.InvariantCulture) + " ms" : (v / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " s"
        : "-";

    private static double? Median(IEnumerable<double> xs)
    {
        var a = xs.OrderBy(x => x).ToArray();
        if (a.Length == 0) return null;
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    private static FailoverSummary Summarize(FailoverTarget tr)
    {
        var writes = tr.Kills.Where(k => k.KillToFirstWriteMs is not null).Select(k => k.KillToFirstWriteMs!.Value).ToList();
        var restarts = tr.Kills.Where(k => k.RestartToFollowerMs is not null).Select(k => k.RestartToFollowerMs!.Value).ToList();
        return new FailoverSummary
        {
            Kills = tr.Kills.Count,
            Failures = tr.Kills.Count(k => k.Failed),
            MedianKillToFirstWriteMs = Median(writes),
            MaxKillToFirstWriteMs = writes.Count > 0 ? writes.Max() : null,
            MedianRestartToFollowerMs = Median(restarts),
            MaxRestartToFollowerMs = restarts.Count > 0 ? restarts.Max() : null,
        };
    }

    /// <summary>The readable per-kill and summary table.</summary>
    public static string Table(FailoverReport report)
    {
        var s = report.Settings;
        var sb = new StringBuilder();
        sb.AppendLine($"Leader failover, {report.Mode}s, {s.Znodes} znodes x {s.ValueSize} B, fsync on; kill -> first write = SIGKILL of the leader -> reply to the first setData committed by the new leader");
        sb.AppendLine($"{"target",-6} {"kill",4} {"leader",6} {"kill->write",12} {"via",4} {"new ldr",7} {"resumed",7} {"new sess",8} {"restart->follower",18}  error");
        foreach (var t in report.Targets)
        {
            foreach (var k in t.Kills)
            {
                sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"{t.Target,-6} {k.Index,4} {k.LeaderId,6} {Ms(k.KillToFirstWriteMs),12} {k.FirstWriteMemberId?.ToString(CultureInfo.InvariantCulture) ?? "-",4} {k.NewLeaderId?.ToString(CultureInfo.InvariantCulture) ?? "-",7} {k.SessionsResumed,7} {k.SessionsCreated,8} {Ms(k.RestartToFollowerMs),18}  {(k.Error is null ? "" : k.Error.Split('\n')[0])}"));
            }
        }
        sb.AppendLine();
        sb.AppendLine($"{"target",-6} {"kills",5} {"failed",6} {"median kill->write",18} {"max kill->write",15} {"median restart->follower",24} {"max restart->follower",21} {"populate",14}");
        foreach (var t in report.Targets)
        {
            var m = t.Summary;
            string pop = t.Populate is { } p ? string.Create(CultureInfo.InvariantCulture, $"{p.CreatesPerSec:0}/s") : "-";
            sb.AppendLine($"{t.Target,-6} {m.Kills,5} {m.Failures,6} {Ms(m.MedianKillToFirstWriteMs),18} {Ms(m.MaxKillToFirstWriteMs),15} {Ms(m.MedianRestartToFollowerMs),24} {Ms(m.MaxRestartToFollowerMs),21} {pop,14}");
        }
        if (report.Ratio.Count > 0)
        {
            static string X(double? v) => v is { } d ? d.ToString("0.00", CultureInfo.InvariantCulture) : "-";
            sb.AppendLine($"hotzk / zk (lower is better): median kill->write {X(report.Ratio.GetValueOrDefault("medianKillToFirstWrite"))}, max {X(report.Ratio.GetValueOrDefault("maxKillToFirstWrite"))}, median restart->follower {X(report.Ratio.GetValueOrDefault("medianRestartToFollower"))}");
        }
        return sb.ToString();
    }
}
