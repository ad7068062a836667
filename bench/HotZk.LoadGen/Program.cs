using System.Globalization;
using System.Text.Json;
using HotZk.LoadGen;

// hotzk bench [run|nullserver|limits|compare|failover] [options]; see Usage below.
return await Cli.MainAsync(args).ConfigureAwait(false);

/// <summary>Command-line entry: argument parsing and subcommand dispatch.</summary>
internal static class Cli
{
    private const string Usage = """
        Usage: hotzk bench [run] [options]        run one workload against a ZooKeeper-compatible server
               hotzk bench nullserver --port P [--value-size N]
               hotzk bench limits [--dir D] [--sessions N --outstanding M --duration S] [--json out.json]
               hotzk bench compare [--rounds N] [--duration S] [--warmup S] [--long] [--cases a,b]
                                   [--targets hotzk,zk] [--ensemble 1|3|5] [--out file.json] [--html file.html]
                                   [--base-dir D] [--verbose]
               hotzk bench failover [--targets hotzk,zk] [--nodes 3] [--znodes 100000] [--value-size 100]
                                    [--kills 5] [--out file.json] [--base-dir D] [--verbose]

        run options:
          --connect h:p[,h:p]   server, or an ensemble's members: session i uses address i mod n,
                                setup goes through the first and is synced on the others (default 127.0.0.1:2181)
          --workload W          setdata | getdata | mixed90 | createdelete | multi | watchfanout |
                                sessionchurn | lock | largevalue | populate      (default setdata)
          --sessions N          sessions, one socket each (default 32); watchers / contenders / workers
          --outstanding M       pipelined requests per session, closed loop (default 16); cap in open loop
          --ops N               stop after N measured ops (default 10000000)
          --duration S          stop after S measured seconds (default 10); whichever comes first
          --warmup S            unmeasured warmup seconds (default 2)
          --rate R              open loop at R ops/s in total; latency from the intended send time
          --value-size B        value bytes (default 1024; largevalue cycles 100 KiB..1000 KiB unless given)
          --keys K              keys prepared before timing (default 1000)
          --heartbeats H        sessionchurn heartbeats per cycle (default 3)
          --hold-ms T           lock hold time (default 0)
          --json out.json       write the result as JSON
          --html out.html       write a self-contained HTML page: latency-by-percentile chart (inline SVG,
                                one line per op type, x 0..99.999 % on a log scale, y in ms) and the summary table
          --quiet               no progress lines

        compare: HotZk and Apache ZooKeeper 3.8 with identical zoo.cfg, the same cases alternating.
          --ensemble N          servers per target: 1 = standalone (default), 3 or 5 = an ensemble of N
                                participants; clients spread over every member, RSS/CPU summed over members;
                                the warmup defaults to 10 s then (N JITs share the cores)
          --html file.html      also write an HTML page: per case one latency-by-percentile chart with HotZk and
                                ZooKeeper overlaid (all op types, the rounds' histograms merged) and their table

        failover: per target an N-member ensemble, --znodes znodes of --value-size bytes, then --kills times:
          a writer on every member but the leader (setData, 1 outstanding), SIGKILL the leader, time to the
          first write the new leader committed, restart the killed member and time it until it is a follower.
          Writes perf-baselines/failover-<date>.json unless --out is given. Also: --kill-timeout S (60),
          --restart-timeout S (600), --tick-time MS (2000), --zk-heap SIZE (1000m).
        """;

    public static async Task<int> MainAsync(string[] args)
    {
        try
        {
            string cmd = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
            var rest = args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args;
            var opts = Parse(rest);
            switch (cmd)
            {
                case "run":
                    return await RunAsync(opts).ConfigureAwait(false);
                case "nullserver":
                    return await NullServerAsync(opts).ConfigureAwait(false);
                case "limits":
                    return await LimitsAsync(opts).ConfigureAwait(false);
                case "compare":
                    return await CompareAsync(opts, args).ConfigureAwait(false);
                case "failover":
                    return await FailoverAsync(opts, args).ConfigureAwait(false);
                case "help" or "-h" or "--help":
                    Console.WriteLine(Usage);
                    return 0;
                default:
                    Console.Error.WriteLine($"unknown subcommand '{cmd}'");
                    Console.Error.WriteLine(Usage);
                    return 2;
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine("hotzk bench: " + e.Message);
            return 2;
        }
    }

    private static Dictionary<string, string> Parse(string[] args)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{a}'");
            string key = a[2..];
            int eq = key.IndexOf('=');
            if (eq >= 0) { d[key[..eq]] = key[(eq + 1)..]; continue; }
            if (key is "long" or "quiet" or "verbose" or "help") { d[key] = "true"; continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"--{key} needs a value");
            d[key] = args[++i];
        }
        return d;
    }

    private static double Num(Dictionary<string, string> d, string key, double def) =>
        d.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : def;

    private static RunOptions RunOptionsFrom(Dictionary<string, string> d)
    {
        var o = new RunOptions();
        foreach (var k in d.Keys)
        {
            if (k is not ("connect" or "workload" or "sessions" or "outstanding" or "ops" or "duration" or "warmup" or "rate"
                or "value-size" or "keys" or "json" or "quiet" or "heartbeats" or "hold-ms" or "drain" or "dir" or "session-timeout"))
                throw new ArgumentException($"unknown option --{k}");
        }
        if (d.TryGetValue("connect", out var c)) o.Connect = c;
        if (d.TryGetValue("workload", out var w)) o.Workload = w;
        if (!Runner.Workloads.Contains(o.Workload)) throw new ArgumentException($"unknown workload '{o.Workload}' (one of: {string.Join(", ", Runner.Workloads)})");
        o.Sessions = (int)Num(d, "sessions", o.Workload switch { "watchfanout" => 100, "lock" or "sessionchurn" => 16, "largevalue" => 8, _ => 32 });
        o.Outstanding = (int)Num(d, "outstanding", o.Workload == "largevalue" ? 2 : 16);
        o.Ops = (long)Num(d, "ops", o.Ops);
        o.DurationSec = Num(d, "duration", o.DurationSec);
        o.WarmupSec = Num(d, "warmup", o.WarmupSec);
        o.ValueSizeGiven = d.ContainsKey("value-size");
        o.ValueSize = (int)Num(d, "value-size", o.ValueSize);
        o.Keys = (int)Num(d, "keys", o.Keys);
        o.Heartbeats = (int)Num(d, "heartbeats", o.Heartbeats);
        o.HoldMs = (int)Num(d, "hold-ms", o.HoldMs);
        o.DrainSec = Num(d, "drain", o.DrainSec);
        o.SessionTimeoutMs = (int)Num(d, "session-timeout", o.SessionTimeoutMs);
        if (d.TryGetValue("rate", out _)) o.Rate = Num(d, "rate", 0);
        if (o.Rate is <= 0) throw new ArgumentException("--rate must be positive");
        if (o.Ops <= 0 || o.DurationSec <= 0) throw new ArgumentException("--ops and --duration must be positive: every run is bounded by both");
        if (o.ValueSize < 0 || o.ValueSize > Wire.MaxFrame - 1024) throw new ArgumentException($"--value-size must be 0..{Wire.MaxFrame - 1024}");
        o.JsonPath = d.GetValueOrDefault("json");
        o.Quiet = d.ContainsKey("quiet");
        return o;
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private static async Task<int> RunAsync(Dictionary<string, string> d)
    {
        string? html = d.GetValueOrDefault("html");
        d.Remove("html");
        var o = RunOptionsFrom(d);
        var r = await Runner.RunAsync(o, Console.Out).ConfigureAwait(false);
        Console.WriteLine();
        Console.Write(Report.Table(r));
        if (o.JsonPath is { } path)
        {
            await File.WriteAllTextAsync(path, JsonSerializer.Serialize(r, Json)).ConfigureAwait(false);
            Console.WriteLine($"wrote {path}");
        }
        if (html is not null)
        {
            await File.WriteAllTextAsync(html, HtmlLatencyReport.ForRun(r)).ConfigureAwait(false);
            Console.WriteLine($"wrote {html}");
        }
        return r.SessionsLost > 0 ? 3 : 0;
    }

    private static async Task<int> NullServerAsync(Dictionary<string, string> d)
    {
        int port = (int)Num(d, "port", 2181);
        int size = (int)Num(d, "value-size", 1024);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        using var term = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            cts.Cancel();
        });
        var server = new NullServer(size);
        await server.RunAsync(port, p => Console.WriteLine($"null server listening on 127.0.0.1:{p} (getData returns {size} B)"), cts.Token).ConfigureAwait(false);
        return 0;
    }

    private static async Task<int> LimitsAsync(Dictionary<string, string> d)
    {
        string dir = d.GetValueOrDefault("dir") ?? Path.GetTempPath();
        string? json = d.GetValueOrDefault("json");
        d.Remove("dir");
        d.Remove("json");
        var baseOpts = RunOptionsFrom(d);
        if (!d.ContainsKey("duration")) baseOpts.DurationSec = 5;
        if (!d.ContainsKey("warmup")) baseOpts.WarmupSec = 1;
        baseOpts.Quiet = true;
        var runs = new List<(string, RunOptions)>();
        foreach (var wl in new[] { "setdata", "getdata" })
        {
            var o = baseOpts.Clone();
            o.Workload = wl;
            runs.Add(($"{wl} {o.Sessions}x{o.Outstanding}", o));
            var single = o.Clone();
            single.Sessions = 1;
            single.Outstanding = 1;
            runs.Add(($"{wl} 1x1", single));
        }
        var res = await Limits.MeasureAsync(dir, runs, Console.Out).ConfigureAwait(false);
        if (json is not null)
        {
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(res, Json)).ConfigureAwait(false);
            Console.WriteLine($"wrote {json}");
        }
        return 0;
    }

    private static async Task<int> CompareAsync(Dictionary<string, string> d, string[] all)
    {
        var co = new CompareSettings();
        foreach (var k in d.Keys)
        {
            if (k is not ("rounds" or "duration" or "warmup" or "long" or "cases" or "targets" or "out" or "base-dir" or "verbose" or "ceiling-duration" or "tick-time" or "zk-heap" or "ensemble" or "html"))
                throw new ArgumentException($"unknown compare option --{k}");
        }
        co.Long = d.ContainsKey("long");
        co.Verbose = d.ContainsKey("verbose");
        co.Rounds = (int)Num(d, "rounds", co.Long ? 3 : 2);
        co.DurationSec = Num(d, "duration", co.Long ? 30 : 10);
        co.Ensemble = (int)Num(d, "ensemble", co.Ensemble);
        // N JVMs (or .NET servers) JIT at once on few cores: a trial's ZooKeeper ensemble went from 1.6k to
        // 6.5k writes/s over its first 12 s, so ensemble runs warm up longer unless told otherwise.
        co.WarmupSec = Num(d, "warmup", co.Ensemble > 1 ? 10 : co.WarmupSec);
        co.CeilingSec = Num(d, "ceiling-duration", co.CeilingSec);
        co.TickTime = (int)Num(d, "tick-time", co.TickTime);
        if (co.Ensemble is not (1 or 3 or 5 or 7)) throw new ArgumentException("--ensemble must be 1 (standalone), 3, 5 or 7");
        if (d.TryGetValue("zk-heap", out var heap)) co.ZkHeap = heap;
        if (d.TryGetValue("cases", out var cs)) co.Cases = [.. cs.Split(',', StringSplitOptions.RemoveEmptyEntries)];
        if (d.TryGetValue("targets", out var ts)) co.Targets = [.. ts.Split(',', StringSplitOptions.RemoveEmptyEntries)];
        co.OutPath = d.GetValueOrDefault("out");
        co.BaseDir = d.GetValueOrDefault("base-dir");
        if (co.Rounds < 1 || co.DurationSec <= 0) throw new ArgumentException("--rounds and --duration must be positive");
        return await Compare.RunAsync(co, "hotzk bench " + string.Join(' ', all), Console.Out, d.GetValueOrDefault("html")).ConfigureAwait(false);
    }

    private static async Task<int> FailoverAsync(Dictionary<string, string> d, string[] all)
    {
        var fo = new FailoverSettings();
        foreach (var k in d.Keys)
        {
            if (k is not ("targets" or "nodes" or "znodes" or "value-size" or "kills" or "out" or "base-dir" or "verbose"
                or "kill-timeout" or "restart-timeout" or "tick-time" or "zk-heap"))
                throw new ArgumentException($"unknown failover option --{k}");
        }
        if (d.TryGetValue("targets", out var ts)) fo.Targets = [.. ts.Split(',', StringSplitOptions.RemoveEmptyEntries)];
        fo.Nodes = (int)Num(d, "nodes", fo.Nodes);
        fo.Znodes = (int)Num(d, "znodes", fo.Znodes);
        fo.ValueSize = (int)Num(d, "value-size", fo.ValueSize);
        fo.Kills = (int)Num(d, "kills", fo.Kills);
        fo.KillTimeoutSec = Num(d, "kill-timeout", fo.KillTimeoutSec);
        fo.RestartTimeoutSec = Num(d, "restart-timeout", fo.RestartTimeoutSec);
        fo.TickTime = (int)Num(d, "tick-time", fo.TickTime);
        if (d.TryGetValue("zk-heap", out var heap)) fo.ZkHeap = heap;
        fo.OutPath = d.GetValueOrDefault("out");
        fo.BaseDir = d.GetValueOrDefault("base-dir");
        fo.Verbose = d.ContainsKey("verbose");
        if (fo.Nodes is not (3 or 5 or 7)) throw new ArgumentException("--nodes must be 3, 5 or 7 (a leader kill must leave a quorum)");
        if (fo.Znodes < 0 || fo.Kills < 1) throw new ArgumentException("--znodes must be >= 0 and --kills >= 1");
        if (fo.ValueSize < 0 || fo.ValueSize > Wire.MaxFrame - 1024) throw new ArgumentException($"--value-size must be 0..{Wire.MaxFrame - 1024}");
        if (fo.KillTimeoutSec <= 0 || fo.RestartTimeoutSec <= 0) throw new ArgumentException("--kill-timeout and --restart-timeout must be positive");
        foreach (var t in fo.Targets)
        {
            if (t is not ("hotzk" or "zk")) throw new ArgumentException($"unknown target '{t}' (hotzk, zk)");
        }
        return await Failover.RunAsync(fo, "hotzk bench " + string.Join(' ', all), Console.Out).ConfigureAwait(false);
    }
}
