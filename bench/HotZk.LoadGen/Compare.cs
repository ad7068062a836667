using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace HotZk.LoadGen;

/// <summary>Settings of <c>hotzk bench compare</c>.</summary>
public sealed class CompareSettings
{
    public int Rounds { get; set; } = 2;
    public double DurationSec { get; set; } = 10;
    public double WarmupSec { get; set; } = 2;
    public double CeilingSec { get; set; } = 5;
    public bool Long { get; set; }
    public List<string> Targets { get; set; } = ["hotzk", "zk"];
    public List<string>? Cases { get; set; }
    public string? OutPath { get; set; }
    public string? BaseDir { get; set; }
    public int TickTime { get; set; } = 2000;
    public bool Verbose { get; set; }
    /// <summary>Servers per target: 1 = standalone, 3 or 5 = an ensemble of that many participants.</summary>
    public int Ensemble { get; set; } = 1;
    public string ZkHeap { get; set; } = "1000m";
}

/// <summary>One load shape run against every target (JSON).</summary>
public sealed class CompareCase
{
    public string Label { get; set; } = "";
    public string Workload { get; set; } = "";
    public int Sessions { get; set; }
    public int Outstanding { get; set; }
    public int ValueSize { get; set; }
    public int Keys { get; set; }
    public long OpsLimit { get; set; }
    public double? CeilingOpsPerSec { get; set; }
    public List<CompareRun> Runs { get; set; } = [];
    public Dictionary<string, TargetSummary> Summary { get; set; } = [];
    /// <summary>hotzk / zk of each summary figure (throughput: higher is better; the rest: lower is better).</summary>
    public Dictionary<string, double?> Ratio { get; set; } = [];

    [System.Text.Json.Serialization.JsonIgnore]
    public RunOptions Options { get; set; } = new();

    [System.Text.Json.Serialization.JsonIgnore]
    public bool HasCeiling { get; set; }
}

/// <summary>One run of one case against one target (JSON).</summary>
public sealed class CompareRun
{
    public int Round { get; set; }
    public string Target { get; set; } = "";
    public string? Error { get; set; }
    public RunResult? Result { get; set; }
    /// <summary>Server figures: sums over the target's members (one member when standalone).</summary>
    public long ServerRssKbBefore { get; set; }
    public long ServerRssKbAfter { get; set; }
    public long ServerPeakRssKb { get; set; }
    public double ServerCpuSec { get; set; }
    public double ServerCpuMsPer1kOps { get; set; }
    /// <summary>The same figures per member (ensemble runs).</summary>
    public List<MemberSample>? Members { get; set; }
}

/// <summary>One member's share of a run (JSON).</summary>
public sealed class MemberSample
{
    public int Id { get; set; }
    public string Mode { get; set; } = "";
    public long RssKbBefore { get; set; }
    public long RssKbAfter { get; set; }
    public long PeakRssKb { get; set; }
    public double CpuSec { get; set; }
}

/// <summary>Medians over the rounds of one case and target (JSON).</summary>
public sealed class TargetSummary
{
    public int Runs { get; set; }
    public double OpsPerSec { get; set; }
    public double P50Us { get; set; }
    public double P99Us { get; set; }
    public double P999Us { get; set; }
    public double ServerRssKb { get; set; }
    public double ServerCpuMsPer1kOps { get; set; }
    public double ClientCpuPct { get; set; }
    public long Errors { get; set; }
    public double? FractionOfCeiling { get; set; }
}

/// <summary>The whole compare result written to perf-baselines/ (JSON).</summary>
public sealed class CompareReport
{
    public string Command { get; set; } = "";
    public string StartedUtc { get; set; } = "";
    public Fingerprint Fingerprint { get; set; } = new();
    /// <summary>What was measured: "standalone" or "N-node ensemble" (clients spread over every member).</summary>
    public string Mode { get; set; } = "standalone";
    public CompareSettings Settings { get; set; } = new();
    public Dictionary<string, string> ServerCommands { get; set; } = [];
    /// <summary>Every server of every target as started, with its mode then.</summary>
    public Dictionary<string, List<MemberInfo>> Members { get; set; } = [];
    public string ZooCfg { get; set; } = "";
    public LimitsResult Limits { get; set; } = new();
    public List<string> Skipped { get; set; } = [];
    public List<string> Incidents { get; set; } = [];
    public List<CompareCase> Cases { get; set; } = [];
}

/// <summary>
/// <c>hotzk bench compare</c>: HotZk and Apache ZooKeeper on loopback, standalone or as N-member
/// ensembles, with identical zoo.cfg (fsync on), the same workloads against each, alternating, with
/// server RSS and CPU (summed over members) sampled from /proc around each measured window; prints the
/// ratio table and writes perf-baselines/compare-*.json.
/// </summary>
internal static class Compare
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Sends a four-letter word and returns the reply ("" when nothing answered).</summary>
    public static string FourLetter(string host, int port, string cmd)
    {
        try
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.ReceiveTimeout = 2000;
            s.SendTimeout = 2000;
            var ar = s.BeginConnect(host, port, null, null);
            if (!ar.AsyncWaitHandle.WaitOne(1000)) return "";
            s.EndConnect(ar);
            s.Send(Encoding.ASCII.GetBytes(cmd));
            var sb = new StringBuilder();
            var buf = new byte[4096];
            int n;
            while ((n = s.Receive(buf)) > 0) sb.Append(Encoding.UTF8.GetString(buf, 0, n));
            return sb.ToString();
        }
        catch (Exception)
        {
            return "";
        }
    }

    public static string FindRepoRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "HotZk.sln"))) return d.FullName;
            }
        }
        throw new IOException("cannot find the repository root (HotZk.sln) above the current directory");
    }

    private static List<CompareCase> BuildCases(CompareSettings co)
    {
        RunOptions O(string workload, int sessions, int outstanding, int valueSize = 1024, int keys = 1000, long ops = 10_000_000, double? duration = null) => new()
        {
            Workload = workload,
            Sessions = sessions,
            Outstanding = outstanding,
            ValueSize = valueSize,
            Keys = keys,
            Ops = ops,
            DurationSec = duration ?? co.DurationSec,
            WarmupSec = co.WarmupSec,
            Quiet = !co.Verbose,
        };
        var cases = new List<CompareCase>
        {
            new() { Label = "write", Options = O("setdata", 32, 16), HasCeiling = true },
            new() { Label = "read", Options = O("getdata", 32, 16), HasCeiling = true },
            new() { Label = "mixed90", Options = O("mixed90", 32, 16), HasCeiling = true },
            new() { Label = "write-1c", Options = O("setdata", 1, 1), HasCeiling = true },
            new() { Label = "read-1c", Options = O("getdata", 1, 1), HasCeiling = true },
        };
        if (co.Long)
        {
            cases.Add(new() { Label = "createdelete", Options = O("createdelete", 32, 16), HasCeiling = true });
            cases.Add(new() { Label = "multi", Options = O("multi", 32, 16), HasCeiling = true });
            cases.Add(new() { Label = "largevalue", Options = O("largevalue", 8, 2, keys: 16), HasCeiling = true });
            cases.Add(new() { Label = "watchfanout", Options = O("watchfanout", 200, 1, valueSize: 16) });
            cases.Add(new() { Label = "lock", Options = O("lock", 16, 1, valueSize: 0) });
            cases.Add(new() { Label = "sessionchurn", Options = O("sessionchurn", 16, 1, valueSize: 64) });
            cases.Add(new() { Label = "populate-1M", Options = O("populate", 32, 16, valueSize: 100, ops: 1_000_000, duration: 600) });
        }
        if (co.Cases is { Count: > 0 } only) cases = cases.Where(c => only.Contains(c.Label) || only.Contains(c.Options.Workload)).ToList();
        foreach (var c in cases)
        {
            c.Workload = c.Options.Workload;
            c.Sessions = c.Options.Sessions;
            c.Outstanding = c.Options.Outstanding;
            c.ValueSize = c.Options.ValueSize;
            c.Keys = c.Options.Keys;
            c.OpsLimit = c.Options.Ops;
        }
        return cases;
    }

    public static async Task<int> RunAsync(CompareSettings co, string commandLine, TextWriter log, string? htmlPath = null)
    {
        string root = FindRepoRoot();
        if (co.Long && co.Rounds == 2 && co.DurationSec == 10) { co.Rounds = 3; co.DurationSec = 30; }
        string stamp = DateTime.UtcNow.ToString("yyyy-MM-dd-HHmm", CultureInfo.InvariantCulture);
        string baseDir = co.BaseDir ?? Path.Combine(Path.GetTempPath(), $"hotzk-compare-{stamp}-{Environment.ProcessId}");
        Directory.CreateDirectory(baseDir);
        var report = new CompareReport
        {
            Command = commandLine,
            StartedUtc = DateTime.UtcNow.ToString("o", CultureInfo.InvariantCulture),
            Settings = co,
            Fingerprint = ProcInfo.Fingerprint(root),
        };
        var cases = BuildCases(co);
        report.Cases = cases;
        report.Mode = ServerGroup.Describe(co.Ensemble);
        report.ZooCfg = ZooCfg.Template(co.TickTime, co.Ensemble);
        if (co.Ensemble <= 1)
        {
            const string ensembleNote = "ensembles: not measured in this run (standalone); run with --ensemble 3 for 3-node ensembles";
            report.Skipped.Add(ensembleNote);
            log.WriteLine(ensembleNote);
        }
        log.WriteLine($"mode: {report.Mode}" + (co.Ensemble > 1 ? " per target; clients spread round-robin over every member" : ""));
        log.WriteLine($"machine: {report.Fingerprint.Nproc} cores, {report.Fingerprint.CpuModel}, kernel {report.Fingerprint.Kernel}, load {report.Fingerprint.LoadAvgAtStart}");
        log.WriteLine($"plan: {cases.Count} cases x {co.Targets.Count} targets x {co.Rounds} rounds, {co.WarmupSec}+{co.DurationSec} s each; data under {baseDir}");

        log.WriteLine("--- physical limits ---");
        report.Limits = await Limits.MeasureAsync(baseDir,
            cases.Where(c => c.HasCeiling).Select(c =>
            {
                var o = c.Options.Clone();
                o.DurationSec = Math.Min(o.DurationSec, co.CeilingSec);
                o.WarmupSec = Math.Min(o.WarmupSec, 1);
                return (c.Label, o);
            }), log).ConfigureAwait(false);
        report.Fingerprint.FsyncPerSec = report.Limits.FsyncPerSec;
        foreach (var c in cases)
        {
            if (report.Limits.Ceiling.TryGetValue(c.Label, out var ceil)) c.CeilingOpsPerSec = ceil.OpsPerSec;
        }

        var targets = co.Targets.Select(name => ServerTarget.Create(name, root, co.ZkHeap)).ToList();
        var servers = new Dictionary<string, ServerGroup>();
        try
        {
            log.WriteLine("--- servers ---");
            foreach (var t in targets)
            {
                try
                {
                    var g = ServerGroup.Start(t, Path.Combine(baseDir, t.Name), co.Ensemble, co.TickTime, log);
                    servers[t.Name] = g;
                    report.ServerCommands[t.Name] = t.Describe(g.Members[0].Cfg, g.IsEnsemble) + (g.IsEnsemble ? $" (one per member, each with its own zoo.cfg: {co.Ensemble} members)" : "");
                    report.Members[t.Name] = g.Info(g.Modes());
                    if (t.Name == "zk") report.Fingerprint.ZooKeeper = FourLetter("127.0.0.1", g.Members[0].Port, "srvr").Split('\n')[0];
                }
                catch (Exception e)
                {
                    report.Incidents.Add($"{t.Name} failed to start: {e.Message}");
                    log.WriteLine($"{t.Name} failed to start: {e.Message}");
                }
            }
            log.WriteLine("--- runs ---");
            for (int round = 1; round <= co.Rounds; round++)
            {
                foreach (var c in cases)
                {
                    var order = round % 2 == 1 ? targets : Enumerable.Reverse(targets).ToList();
                    foreach (var t in order)
                    {
                        if (!servers.TryGetValue(t.Name, out var inst)) continue;
                        var run = await RunOneAsync(c, inst, round, report, log).ConfigureAwait(false);
                        c.Runs.Add(run);
                    }
                }
            }
        }
        finally
        {
            foreach (var g in servers.Values) g.Stop();
        }

        Summarize(report, co);
        string table = RatioTable(report);
        log.WriteLine();
        log.WriteLine(table);
        string suffix = co.Ensemble > 1 ? $"-ens{co.Ensemble}" : "";
        string outPath = co.OutPath ?? Path.Combine(root, "perf-baselines", $"compare-{stamp}{suffix}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outPath))!);
        await File.WriteAllTextAsync(outPath, JsonSerializer.Serialize(report, Json)).ConfigureAwait(false);
        log.WriteLine($"wrote {outPath}");
        if (htmlPath is not null)
        {
            await File.WriteAllTextAsync(htmlPath, HtmlLatencyReport.ForCompare(report)).ConfigureAwait(false);
            log.WriteLine($"wrote {htmlPath}");
        }
        foreach (var i in report.Incidents) log.WriteLine("INCIDENT: " + i);
        return report.Incidents.Count == 0 ? 0 : 3;
    }

    private static async Task<CompareRun> RunOneAsync(CompareCase c, ServerGroup group, int round, CompareReport report, TextWriter log)
    {
        string name = group.Target.Name;
        var run = new CompareRun { Round = round, Target = name };
        if (group.Members.Any(m => m.Dead || m.Exited))
        {
            run.Error = "server not running";
            foreach (var m in group.Members.Where(m => m.Exited)) m.Dead = true;
            return run;
        }
        var members = group.Members;
        var pids = members.Select(m => m.Process.Id).ToArray();
        var modes = group.IsEnsemble ? members.Select(m => m.Mode()).ToArray() : members.Select(_ => "standalone").ToArray();
        var o = c.Options.Clone();
        o.Connect = group.Connect;
        static ProcSample[] SampleAll(int[] pids) => pids.Select(ProcInfo.Sample).ToArray();
        ProcSample[] before = SampleAll(pids), start = before, end = [];
        o.MeasureStarted = () => start = SampleAll(pids);
        o.MeasureEnded = () => end = SampleAll(pids);
        try
        {
            var r = await Runner.RunAsync(o, log).ConfigureAwait(false);
            run.Result = r;
        }
        catch (Exception e)
        {
            run.Error = $"{e.GetType().Name}: {e.Message}";
        }
        if (end.Length == 0) end = SampleAll(pids);
        run.ServerRssKbBefore = before.Sum(x => x.RssKb);
        run.ServerRssKbAfter = end.Sum(x => x.RssKb);
        run.ServerPeakRssKb = end.Sum(x => x.PeakRssKb);
        run.ServerCpuSec = Math.Round(end.Sum(x => x.CpuSec) - start.Sum(x => x.CpuSec), 3);
        if (group.IsEnsemble)
        {
            run.Members = members.Select((m, i) => new MemberSample
            {
                Id = m.Id,
                Mode = modes[i],
                RssKbBefore = before[i].RssKb,
                RssKbAfter = end[i].RssKb,
                PeakRssKb = end[i].PeakRssKb,
                CpuSec = Math.Round(end[i].CpuSec - start[i].CpuSec, 3),
            }).ToList();
        }
        long ops = run.Result?.Ops ?? 0;
        run.ServerCpuMsPer1kOps = ops > 0 ? Math.Round(1000.0 * run.ServerCpuSec / ops * 1000, 3) : 0;
        foreach (var m in members.Where(m => m.Exited))
        {
            m.Dead = true;
            string msg = $"{name} member {m.Id} EXITED (code {m.Process.ExitCode}) during round {round} case {c.Label} ({c.Workload} {c.Sessions}x{c.Outstanding}, {c.ValueSize} B):\n{m.LogTail()}";
            report.Incidents.Add(msg);
            run.Error ??= "server exited";
        }
        var res = run.Result;
        if (res is not null && (res.SessionsLost > 0 || res.Errors > 0 || res.Failures.Count > 0))
        {
            report.Incidents.Add($"{name} round {round} case {c.Label}: {res.Errors} errors, {res.SessionsLost} sessions lost; " +
                string.Join("; ", res.Failures.Take(3)) + " " + string.Join(", ", res.ByOp.SelectMany(b => b.ErrorsByCode.Select(e => $"{b.Op} {e.Key} x{e.Value}"))));
        }
        string rssWhat = group.IsEnsemble ? $"server RSS (sum of {members.Count})" : "server RSS";
        log.WriteLine(res is null
            ? $"round {round} {c.Label,-12} {name,-5} FAILED: {run.Error}"
            : string.Create(CultureInfo.InvariantCulture,
                $"round {round} {c.Label,-12} {name,-5} {res.OpsPerSec,10:0} ops/s  p50 {Report.Us(res.All.P50Us),7}  p99 {Report.Us(res.All.P99Us),7}  p99.9 {Report.Us(res.All.P999Us),7}  max {Report.Us(res.All.MaxUs),7}  err {res.Errors}  {rssWhat} {run.ServerRssKbAfter / 1024.0:0} MiB, CPU {run.ServerCpuMsPer1kOps:0.0} ms/1k ops  client CPU {100 * res.ClientCpuSec / Math.Max(0.001, res.ElapsedSec):0}%"));
        return run;
    }

    private static double Median(IEnumerable<double> xs)
    {
        var a = xs.OrderBy(x => x).ToArray();
        if (a.Length == 0) return 0;
        return a.Length % 2 == 1 ? a[a.Length / 2] : (a[a.Length / 2 - 1] + a[a.Length / 2]) / 2;
    }

    private static void Summarize(CompareReport report, CompareSettings co)
    {
        foreach (var c in report.Cases)
        {
            foreach (var name in co.Targets)
            {
                var runs = c.Runs.Where(r => r.Target == name && r.Result is not null).ToList();
                if (runs.Count == 0) continue;
                var s = new TargetSummary
                {
                    Runs = runs.Count,
                    OpsPerSec = Math.Round(Median(runs.Select(r => r.Result!.OpsPerSec)), 1),
                    P50Us = Median(runs.Select(r => (double)r.Result!.All.P50Us)),
                    P99Us = Median(runs.Select(r => (double)r.Result!.All.P99Us)),
                    P999Us = Median(runs.Select(r => (double)r.Result!.All.P999Us)),
                    ServerRssKb = Median(runs.Select(r => (double)r.ServerRssKbAfter)),
                    ServerCpuMsPer1kOps = Math.Round(Median(runs.Select(r => r.ServerCpuMsPer1kOps)), 3),
                    ClientCpuPct = Math.Round(Median(runs.Select(r => 100 * r.Result!.ClientCpuSec / Math.Max(0.001, r.Result.ElapsedSec))), 1),
                    Errors = runs.Sum(r => r.Result!.Errors),
                };
                if (c.CeilingOpsPerSec is > 0) s.FractionOfCeiling = Math.Round(s.OpsPerSec / c.CeilingOpsPerSec.Value, 4);
                c.Summary[name] = s;
            }
            if (c.Summary.TryGetValue("hotzk", out var h) && c.Summary.TryGetValue("zk", out var z))
            {
                static double? R(double a, double b) => b > 0 ? Math.Round(a / b, 3) : null;
                c.Ratio["throughput"] = R(h.OpsPerSec, z.OpsPerSec);
                c.Ratio["p50"] = R(h.P50Us, z.P50Us);
                c.Ratio["p99"] = R(h.P99Us, z.P99Us);
                c.Ratio["p99.9"] = R(h.P999Us, z.P999Us);
                c.Ratio["rss"] = R(h.ServerRssKb, z.ServerRssKb);
                c.Ratio["cpuPer1kOps"] = R(h.ServerCpuMsPer1kOps, z.ServerCpuMsPer1kOps);
            }
        }
    }

    /// <summary>The readable ratio table (HotZk / ZooKeeper).</summary>
    public static string RatioTable(CompareReport report)
    {
        var sb = new StringBuilder();
        string X(double? v, string suffix = "") => v is { } d ? d.ToString("0.00", CultureInfo.InvariantCulture) + suffix : "-";
        string P(double? v) => v is { } d ? (100 * d).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "-";
        string mode = report.Mode == "standalone" ? "standalone" : $"{report.Mode}s (clients spread over every member; RSS and CPU summed over members)";
        sb.AppendLine($"HotZk / Apache ZooKeeper, {mode}, fsync on, medians of the rounds (throughput: higher is better; latency, RSS, CPU: lower is better)");
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"{"case",-13} {"shape",-10} {"hotzk op/s",10} {"zk op/s",10} {"x-put",6} {"p50",5} {"p99",5} {"p99.9",5} {"RSS",5} {"CPU/op",6} | {"hotzk p50",9} {"zk p50",8} {"hotzk p99",9} {"zk p99",8} | {"ceiling",9} {"hotzk%",7} {"zk%",6}"));
        foreach (var c in report.Cases)
        {
            c.Summary.TryGetValue("hotzk", out var h);
            c.Summary.TryGetValue("zk", out var z);
            c.Ratio.TryGetValue("throughput", out var tp);
            c.Ratio.TryGetValue("p50", out var p50);
            c.Ratio.TryGetValue("p99", out var p99);
            c.Ratio.TryGetValue("p99.9", out var p999);
            c.Ratio.TryGetValue("rss", out var rss);
            c.Ratio.TryGetValue("cpuPer1kOps", out var cpu);
            sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Label,-13} {$"{c.Sessions}x{c.Outstanding}",-10} {(h is null ? "-" : h.OpsPerSec.ToString("0", CultureInfo.InvariantCulture)),10} {(z is null ? "-" : z.OpsPerSec.ToString("0", CultureInfo.InvariantCulture)),10} {X(tp),6} {X(p50),5} {X(p99),5} {X(p999),5} {X(rss),5} {X(cpu),6} | {(h is null ? "-" : Report.Us((long)h.P50Us)),9} {(z is null ? "-" : Report.Us((long)z.P50Us)),8} {(h is null ? "-" : Report.Us((long)h.P99Us)),9} {(z is null ? "-" : Report.Us((long)z.P99Us)),8} | {(c.CeilingOpsPerSec is { } ce ? ce.ToString("0", CultureInfo.InvariantCulture) : "-"),9} {P(h?.FractionOfCeiling),7} {P(z?.FractionOfCeiling),6}"));
        }
        sb.AppendLine(string.Create(CultureInfo.InvariantCulture,
            $"limits: fsync {report.Limits.FsyncPerSec:0}/s (p50 {report.Limits.FsyncP50Us}us), loopback ping-pong {report.Limits.PingPongPerSec:0}/s (p50 {report.Limits.PingPongP50Us}us), pipelined echo {report.Limits.PipelinedEchoFramesPerSec:0} frames/s; ceiling = this load generator vs its null server on the same {report.Fingerprint.Nproc} cores"));
        foreach (var s in report.Skipped) sb.AppendLine(s);
        return sb.ToString();
    }
}
