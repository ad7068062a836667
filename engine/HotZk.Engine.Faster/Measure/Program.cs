using System.Diagnostics;
using System.Globalization;
using System.Text;
using FASTER.core;
using HotZk.Engine.Faster;

// FasterNodeStore measurements. Every phase runs in a child process of its own so that each
// resident-memory figure belongs to one data structure only.
//
//   dotnet run -c Release --project engine/HotZk.Engine.Faster/Measure -- [nodes] [dataBytes] [dir]
//
// Defaults: 1,000,000 nodes of 100 bytes under $TMPDIR/hotzk-faster-measure.

static class Program
{
    private static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length > 0 && args[0].StartsWith("child-", StringComparison.Ordinal)) return Child(args);
        int nodes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
        int size = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        string dir = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "hotzk-faster-measure");
        Console.WriteLine($"# FasterNodeStore measurement: {nodes:N0} nodes x {size} B, {Environment.ProcessorCount} cores, {RuntimeInfo()}");
        Run("child-empty");
        Run("child-dict", nodes, size);
        var types = (Environment.GetEnvironmentVariable("HOTZK_MEASURE_TYPES") ?? "FoldOver,Snapshot").Split(',');
        var variants = (Environment.GetEnvironmentVariable("HOTZK_MEASURE_VARIANTS") ?? "children,plain").Split(',');
        foreach (var variant in variants)
        foreach (var type in types)
        {
            var d = Path.Combine(dir, type);
            if (Directory.Exists(d)) Directory.Delete(d, true);
            Run("child-faster", nodes, size, d, type, variant);
            Run("child-recover", nodes, size, d, type, variant);
            Directory.Delete(d, true);
        }
        return 0;
    }

    private static void Run(params object[] args)
    {
        var self = Environment.ProcessPath!;
        var psi = new ProcessStartInfo(self) { RedirectStandardOutput = false, UseShellExecute = false };
        var entry = typeof(Program).Assembly.Location;
        if (Path.GetFileNameWithoutExtension(self) is "dotnet") psi.ArgumentList.Add(entry);
        foreach (var a in args) psi.ArgumentList.Add(Convert.ToString(a, CultureInfo.InvariantCulture)!);
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{args[0]} exited with {p.ExitCode}");
    }

    private static string RuntimeInfo() => $".NET {Environment.Version}, GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}";

    private static int Child(string[] args)
    {
        switch (args[0])
        {
            case "child-empty":
                Settle();
                Console.WriteLine($"empty process: RSS {RssMiB():F0} MiB");
                return 0;
            case "child-dict":
                return Dict(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture));
            case "child-faster":
                return Faster(int.Parse(args[1], CultureInfo.InvariantCulture), int.Parse(args[2], CultureInfo.InvariantCulture), args[3],
                    Enum.Parse<CheckpointType>(args[4]), args.Length > 5 && args[5] == "children");
            case "child-recover":
                return Recover(args[3], Enum.Parse<CheckpointType>(args[4]), args.Length > 5 && args[5] == "children");
            default:
                return 2;
        }
    }

    /// <summary>Node paths shaped like a real tree: 1000 parents, 1000 children each.</summary>
    private static string PathOf(int i) => $"/hotzk/bench/parent-{i % 1000:D4}/node-{i:D7}";

    private static double RssMiB()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
        return double.NaN;
    }

    private static void Settle()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        Thread.Sleep(200);
    }

    /// <summary>The engine's representation today: one object per node with a byte[] and its children set.</summary>
    private sealed class DataNodeLike
    {
        public byte[]? Data;
        public long Czxid, Mzxid, Ctime, Mtime, EphemeralOwner, Pzxid, AclRef;
        public int Version, Cversion, Aversion;
        public HashSet<string>? Children;
    }

    private static int Dict(int nodes, int size)
    {
        var payload = new byte[size];
        new Random(1).NextBytes(payload);
        var sw = Stopwatch.StartNew();
        var map = new Dictionary<string, DataNodeLike>(4096, StringComparer.Ordinal);
        for (int i = 0; i < nodes; i++)
        {
            var path = PathOf(i);
            var parentPath = path[..path.LastIndexOf('/')];
            if (!map.TryGetValue(parentPath, out var parent))
                map[parentPath] = parent = new DataNodeLike { Data = [] };
            (parent.Children ??= new HashSet<string>(StringComparer.Ordinal)).Add(path[(parentPath.Length + 1)..]);
            map[path] = new DataNodeLike { Data = (byte[])payload.Clone(), Czxid = i + 1, Mzxid = i + 1, Ctime = i, Mtime = i, AclRef = 1 };
        }
        sw.Stop();
        Settle();
        var info = GC.GetGCMemoryInfo();
        Console.WriteLine($"managed Dictionary<string, DataNode-like> (+children sets): {map.Count:N0} entries, insert {nodes / sw.Elapsed.TotalSeconds:N0}/s, " +
            $"RSS {RssMiB():F0} MiB, GC heap {info.HeapSizeBytes / 1048576.0:F0} MiB");
        // A full blocking GC over this heap: the pause the engine would see.
        var gc = Stopwatch.StartNew();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        gc.Stop();
        Console.WriteLine($"  full compacting gen2 GC over it: {gc.Elapsed.TotalMilliseconds:F0} ms");
        GC.KeepAlive(map);
        return 0;
    }

    private static FasterNodeStoreOptions Options(string dir, CheckpointType type) => new()
    {
        Directory = dir,
        CheckpointType = type,
        RetainCheckpoints = 2,
        ThrottleCheckpointFlushDelayMs = int.Parse(Environment.GetEnvironmentVariable("HOTZK_MEASURE_THROTTLE") ?? "-1", CultureInfo.InvariantCulture),
    };

    private static int Faster(int nodes, int size, string dir, CheckpointType type, bool children)
    {
        var payload = new byte[size];
        new Random(1).NextBytes(payload);
        using var store = new FasterNodeStore(Options(dir, type));
        store.Recover();
        var childIndex = children ? new Dictionary<string, HashSet<string>>(StringComparer.Ordinal) : null;
        var meta = new NodeMeta { AclRef = 1 };
        var sw = Stopwatch.StartNew();
        long zxid = 0;
        Span<byte> key = stackalloc byte[128];
        for (int i = 0; i < nodes; i++)
        {
            zxid++;
            var path = PathOf(i);
            int n = Encoding.UTF8.GetBytes(path, key);
            meta.Czxid = meta.Mzxid = zxid;
            meta.Ctime = meta.Mtime = i;
            store.Upsert(key[..n], meta, payload, false, zxid);
            if (childIndex is not null)
            {
                int slash = path.LastIndexOf('/');
                var parentPath = path[..slash];
                if (!childIndex.TryGetValue(parentPath, out var set)) childIndex[parentPath] = set = new HashSet<string>(StringComparer.Ordinal);
                set.Add(path[(slash + 1)..]);
            }
        }
        sw.Stop();
        Settle();
        var (begin, head, ro, tail) = store.LogAddresses;
        Console.WriteLine($"FasterNodeStore [{type}]{(children ? " + managed children index" : "")}: {store.Count:N0} nodes, insert {nodes / sw.Elapsed.TotalSeconds:N0}/s, " +
            $"RSS {RssMiB():F0} MiB (log in memory {(tail - head) / 1048576.0:F0} MiB, on disk only {(head - begin) / 1048576.0:F0} MiB, GC heap {GC.GetGCMemoryInfo().HeapSizeBytes / 1048576.0:F0} MiB)");

        // The machine's own scheduling noise: a thread doing nothing but reading the clock.
        Console.WriteLine($"  clock-only loop for 2 s (scheduler noise floor): max gap {ClockJitterMs(TimeSpan.FromSeconds(2)):F2} ms");
        // Writer latency without a checkpoint, for comparison, then during one.
        var rnd = new Random(3);
        var baseline = WriterLoop(store, ref zxid, rnd, nodes, payload, key, TimeSpan.FromSeconds(2), checkpoint: false, out _);
        var during = WriterLoop(store, ref zxid, rnd, nodes, payload, key, TimeSpan.FromMinutes(5), checkpoint: true, out var info);
        Console.WriteLine($"  writer without checkpoint: {baseline}");
        Console.WriteLine($"  checkpoint [{type}, index]: FASTER duration {info!.Duration.TotalMilliseconds:F0} ms, + manifest {info.ManifestDuration.TotalMilliseconds:F0} ms, " +
            $"engine-thread pause in BeginCheckpoint {info.BeginPause.TotalMilliseconds:F2} ms, files {info.Bytes / 1048576.0:F0} MiB");
        Console.WriteLine($"  writer during checkpoint:  {during}");
        // A second checkpoint right after: incremental for FoldOver.
        var during2 = WriterLoop(store, ref zxid, rnd, nodes, payload, key, TimeSpan.FromMinutes(5), checkpoint: true, out var info2);
        Console.WriteLine($"  2nd checkpoint: FASTER duration {info2!.Duration.TotalMilliseconds:F0} ms, BeginCheckpoint pause {info2.BeginPause.TotalMilliseconds:F2} ms, files {info2.Bytes / 1048576.0:F0} MiB; writer: {during2}");
        File.WriteAllText(Path.Combine(dir, "expected.txt"), $"{info2.Zxid} {info2.NodeCount}");
        GC.KeepAlive(childIndex);
        return 0;
    }

    private sealed record Latency(long Ops, TimeSpan Elapsed, double P50us, double P99us, double P999us, double MaxMs, string MaxPhase,
        double GcPauseMs, int Gen2)
    {
        public override string ToString() =>
            $"{Ops:N0} upserts in {Elapsed.TotalMilliseconds:F0} ms ({Ops / Elapsed.TotalSeconds:N0}/s), p50 {P50us:F1} us, p99 {P99us:F1} us, " +
            $"p99.9 {P999us:F1} us, max {MaxMs:F2} ms (phase {MaxPhase}); GC pauses {GcPauseMs:F0} ms total, {Gen2} gen2";
    }

    /// <summary>
    /// The engine thread: updates of random existing nodes (same size: in place or copy-on-write
    /// of checkpointed records) and creates of new ones. With checkpoint: begins one, runs until it
    /// completed; else runs for the given time.
    /// </summary>
    private static Latency WriterLoop(FasterNodeStore store, ref long zxid, Random rnd, int nodes, byte[] payload, Span<byte> key,
        TimeSpan limit, bool checkpoint, out CheckpointInfo? info)
    {
        info = null;
        var lat = new List<long>(1 << 20);
        var meta = new NodeMeta { AclRef = 1 };
        var gcPause0 = GC.GetTotalPauseDuration();
        int gen2 = GC.CollectionCount(2);
        var sw = Stopwatch.StartNew();
        if (checkpoint && !store.BeginCheckpoint(zxid)) throw new InvalidOperationException("checkpoint refused");
        long maxTicks = 0;
        string maxPhase = "";
        int created = 0;
        long last = Stopwatch.GetTimestamp();
        while (sw.Elapsed < limit)
        {
            if (checkpoint && store.TryCompleteCheckpoint(out info)) break;
            zxid++;
            int i = rnd.Next(4) == 0 ? nodes + 10_000_000 + (int)(zxid % 1_000_000_000) + created++ : rnd.Next(nodes);
            int n = Encoding.UTF8.GetBytes(PathOf(i), key);
            meta.Czxid = meta.Mzxid = zxid;
            meta.Version = 1;
            store.Upsert(key[..n], meta, payload, false, zxid);
            long now = Stopwatch.GetTimestamp();
            long d = now - last;
            last = now;
            lat.Add(d);
            if (d > maxTicks)
            {
                maxTicks = d;
                maxPhase = store.CheckpointPhase;
            }
        }
        sw.Stop();
        lat.Sort();
        double Us(double q) => lat.Count == 0 ? 0 : lat[Math.Min(lat.Count - 1, (int)(q * lat.Count))] * 1e6 / Stopwatch.Frequency;
        return new Latency(lat.Count, sw.Elapsed, Us(0.5), Us(0.99), Us(0.999), maxTicks * 1e3 / Stopwatch.Frequency, maxPhase,
            (GC.GetTotalPauseDuration() - gcPause0).TotalMilliseconds, GC.CollectionCount(2) - gen2);
    }

    private static double ClockJitterMs(TimeSpan duration)
    {
        long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        long last = Stopwatch.GetTimestamp(), max = 0;
        while (last < end)
        {
            long now = Stopwatch.GetTimestamp();
            max = Math.Max(max, now - last);
            last = now;
        }
        return max * 1e3 / Stopwatch.Frequency;
    }

    private static int Recover(string dir, CheckpointType type, bool children)
    {
        var parts = File.ReadAllText(Path.Combine(dir, "expected.txt")).Split(' ');
        var sw = Stopwatch.StartNew();
        using var store = new FasterNodeStore(Options(dir, type));
        var r = store.RecoverDetailed();
        var recovered = sw.Elapsed;
        var index = children ? new Dictionary<string, HashSet<string>>(StringComparer.Ordinal) : null;
        long seen = store.Iterate((ReadOnlySpan<byte> p, in NodeMeta m) =>
        {
            if (index is null) return;
            int slash = p.LastIndexOf((byte)'/');
            var parent = Encoding.UTF8.GetString(p[..Math.Max(slash, 1)]);
            if (!index.TryGetValue(parent, out var set)) index[parent] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(Encoding.UTF8.GetString(p[(slash + 1)..]));
        });
        sw.Stop();
        Settle();
        bool ok = r.Zxid.ToString(CultureInfo.InvariantCulture) == parts[0] && seen.ToString(CultureInfo.InvariantCulture) == parts[1] && store.Count == seen;
        Console.WriteLine($"  recovery [{type}]: Recover {recovered.TotalMilliseconds:F0} ms (checkpoint verify + FASTER), + Iterate{(children ? " building children index" : "")} " +
            $"= {sw.Elapsed.TotalMilliseconds:F0} ms total; {seen:N0} nodes, zxid {r.Zxid}, {(ok ? "matches" : $"MISMATCH: expected zxid {parts[0]} count {parts[1]}, Count {store.Count}, skipped {string.Join("; ", r.Skipped)}")}; RSS after {RssMiB():F0} MiB");
        GC.KeepAlive(index);
        return ok ? 0 : 1;
    }
}
