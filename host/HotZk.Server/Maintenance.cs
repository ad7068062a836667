using HotZk.Engine.Import;
using HotZk.Engine.Storage;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;
using HotZk.Hosting.Config;

namespace HotZk.Server;

/// <summary>Offline maintenance commands: import, logdump, snapdump, purge.</summary>
internal static class Maintenance
{
    /// <summary><c>import --from &lt;zk dataDir&gt; [--from-log &lt;zk dataLogDir&gt;] --to &lt;hotzk dataDir&gt; [--extended-types]</c>.</summary>
    public static int Import(string[] args)
    {
        string? from = Arg(args, "--from"), fromLog = Arg(args, "--from-log"), to = Arg(args, "--to");
        if (from is null || to is null)
        {
            Console.Error.WriteLine("usage: hotzk import --from <zookeeper dataDir> [--from-log <zookeeper dataLogDir>] --to <hotzk dataDir> [--extended-types]");
            return 2;
        }
        var result = ApacheImporter.Import(Path.GetFullPath(from), fromLog is null ? null : Path.GetFullPath(fromLog), Path.GetFullPath(to),
            args.Contains("--extended-types"), line => Console.Error.WriteLine(line));
        Console.WriteLine($"imported {result.Nodes} nodes and {result.Sessions} sessions up to zxid 0x{result.LastZxid:x} " +
                          $"(snapshot 0x{result.SnapshotZxid:x} + {result.ReplayedTxns} logged txns, {result.SkippedTxns} skipped) into {Path.GetFullPath(to)}");
        return 0;
    }

    /// <summary><c>logdump &lt;dataLogDir|zoo.cfg&gt;</c>: one line per txn.</summary>
    public static int LogDump(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: hotzk logdump <dataLogDir | zoo.cfg>");
            return 2;
        }
        string dir = ResolveDir(args[0], logDir: true);
        int count = 0;
        foreach (var t in TxnLogDump.ReadAll(dir, p => Console.Error.WriteLine("WARN " + p)))
        {
            Console.WriteLine(TxnFormatter.Format(TxnSerializer.Read(t.Txn.Span)));
            count++;
        }
        Console.WriteLine($"EOF reached after {count} txns.");
        return 0;
    }

    /// <summary><c>snapdump &lt;dataDir|zoo.cfg&gt; [-d]</c>: summary of the newest valid snapshot, every node with -d.</summary>
    public static int SnapDump(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: hotzk snapdump <dataDir | zoo.cfg> [-d]");
            return 2;
        }
        string dir = ResolveDir(args[0], logDir: false);
        var store = new FileSnapshotStore(dir);
        var valid = store.ListValid();
        if (valid.Count == 0)
        {
            Console.Error.WriteLine($"no valid snapshot in {dir}");
            return 1;
        }
        var snap = valid[0];
        using var stream = store.Open(snap);
        var (tree, zxid, sessions) = SnapshotSerializer.Read(stream, extendedTypesEnabled: true);
        Console.WriteLine($"snapshot {snap.Path} zxid 0x{zxid:x} bytes {snap.Length}");
        Console.WriteLine($"nodes {tree.NodeCount} sessions {sessions.Count} ephemerals {tree.EphemeralCount} acls {tree.Acls.Count} approxDataSize {tree.ApproximateDataSize}");
        if (args.Contains("-d"))
        {
            foreach (var (path, node) in tree.Nodes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var st = tree.StatOf(node);
                Console.WriteLine($"{path} czxid=0x{st.Czxid:x} mzxid=0x{st.Mzxid:x} pzxid=0x{st.Pzxid:x} version={st.Version} cversion={st.Cversion} aversion={st.Aversion} owner=0x{node.EphemeralOwner:x} dataLength={st.DataLength} numChildren={st.NumChildren}");
            }
            foreach (var (id, timeout) in sessions) Console.WriteLine($"session 0x{id:x} timeout {timeout}");
        }
        return 0;
    }

    /// <summary><c>purge &lt;dataDir|zoo.cfg&gt; [-n count]</c>: keep the newest count snapshots (≥ 3) and the log they need.</summary>
    public static int Purge(string[] args)
    {
        if (args.Length < 1)
        {
            Console.Error.WriteLine("usage: hotzk purge <dataDir | zoo.cfg> [-n count]");
            return 2;
        }
        int keep = int.TryParse(Arg(args, "-n"), out int n) ? Math.Max(3, n) : 3;
        string dataDir = ResolveDir(args[0], logDir: false);
        string logDir = ResolveDir(args[0], logDir: true);
        var store = new FileSnapshotStore(dataDir);
        store.Purge(keep);
        var kept = store.ListValid();
        if (kept.Count > 0)
        {
            using var log = new FileTxnLog(new FileTxnLogOptions(logDir));
            log.PurgeBefore(kept[^1].Zxid);
        }
        Console.WriteLine($"kept {kept.Count} snapshot(s) in {dataDir}");
        return 0;
    }

    private static string ResolveDir(string arg, bool logDir)
    {
        if (File.Exists(arg))
        {
            var cfg = ZooConfigParser.Parse(arg);
            return logDir ? cfg.DataLogDir : cfg.DataDir;
        }
        return Path.GetFullPath(arg);
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
