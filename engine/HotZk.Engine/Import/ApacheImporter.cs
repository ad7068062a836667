using HotZk.Common;
using HotZk.Engine.Storage;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Engine.Import;

/// <summary>What an import produced.</summary>
/// <param name="SnapshotZxid">zxid of the Apache snapshot used (0 when none).</param>
/// <param name="LastZxid">Last zxid applied.</param>
/// <param name="Nodes">Nodes in the imported tree.</param>
/// <param name="Sessions">Live sessions carried over.</param>
/// <param name="ReplayedTxns">Txns replayed from Apache logs.</param>
/// <param name="SkippedTxns">Txns skipped (top-level check records Apache itself cannot read).</param>
public readonly record struct ImportResult(long SnapshotZxid, long LastZxid, int Nodes, int Sessions, int ReplayedTxns, int SkippedTxns);

/// <summary>
/// Converts an Apache ZooKeeper data dir (<c>version-2/snapshot.*</c> + <c>log.*</c>) into a HotZk
/// data dir: newest readable snapshot, then every logged txn after it, written out as one HotZk
/// snapshot. Session ids and timeouts are kept, so clients can re-attach (passwords are derived
/// from the id exactly as Apache does).
/// </summary>
public static class ApacheImporter
{
    /// <summary>Builds the tree and sessions from an Apache data dir without writing anything.</summary>
    public static (DataTree Tree, Dictionary<long, int> Sessions, ImportResult Result) Load(string zkDataDir, string? zkDataLogDir, bool extendedTypesEnabled, Action<string>? log = null)
    {
        string snapDir = VersionDir(zkDataDir);
        string logDir = VersionDir(zkDataLogDir ?? zkDataDir);
        if (!Directory.Exists(snapDir) && !Directory.Exists(logDir))
            throw new DirectoryNotFoundException($"{zkDataDir} has no version-2 directory: not an Apache ZooKeeper data dir");

        var tree = new DataTree(extendedTypesEnabled);
        var sessions = new Dictionary<long, int>();
        long snapZxid = 0;
        bool haveSnapshot = false;
        if (Directory.Exists(snapDir))
        {
            foreach (var (zxid, path) in ApacheSnapshotReader.ListSnapshots(snapDir))
            {
                try
                {
                    var snap = ApacheSnapshotReader.Read(path);
                    tree = BuildTree(snap, extendedTypesEnabled);
                    foreach (var (id, timeout) in snap.Sessions) sessions[id] = timeout;
                    snapZxid = zxid;
                    haveSnapshot = true;
                    log?.Invoke($"loaded Apache snapshot {Path.GetFileName(path)}: {snap.Nodes.Count} nodes, {snap.Sessions.Count} sessions");
                    break;
                }
                catch (InvalidDataException e)
                {
                    log?.Invoke($"skipping unreadable snapshot {Path.GetFileName(path)}: {e.Message}");
                }
            }
        }

        var logs = Directory.Exists(logDir) ? ApacheTxnLogReader.ListLogs(logDir) : [];
        if (!haveSnapshot && logs.Count > 0)
        {
            // Apache refuses to start in this state too: a log without its base snapshot may be partial.
            throw new InvalidDataException($"{zkDataDir} has transaction logs but no readable snapshot; refusing to import a possibly partial tree");
        }
        int startIndex = 0;
        for (int i = 0; i < logs.Count; i++) if (logs[i].StartZxid <= snapZxid) startIndex = i;

        int replayed = 0, skipped = 0;
        long last = snapZxid;
        for (int i = startIndex; i < logs.Count; i++)
        {
            foreach (var t in ApacheTxnLogReader.Read(logs[i].Path))
            {
                if (t.Zxid <= snapZxid) continue;
                if (t.Type == (int)OpCode.Check)
                {
                    skipped++;
                    continue;
                }
                var txn = TxnSerializer.Read(t.Payload);
                tree.ProcessTxn(txn);
                if (txn.Type == OpCode.CreateSession) sessions[txn.ClientId] = txn.Timeout;
                else if (txn.Type == OpCode.CloseSession) sessions.Remove(txn.ClientId);
                last = Math.Max(last, txn.Zxid);
                replayed++;
            }
        }
        tree.LastProcessedZxid = last;
        var orphans = tree.FindOrphans();
        if (orphans.Count > 0) throw new InvalidDataException($"imported tree is inconsistent: {orphans.Count} node(s) without a parent, e.g. {orphans[0]}");
        return (tree, sessions, new ImportResult(snapZxid, last, tree.NodeCount, sessions.Count, replayed, skipped));
    }

    /// <summary>Imports into <paramref name="hotzkDataDir"/>, which must not hold HotZk data yet.</summary>
    public static ImportResult Import(string zkDataDir, string? zkDataLogDir, string hotzkDataDir, bool extendedTypesEnabled, Action<string>? log = null)
    {
        if (Directory.Exists(Path.Combine(hotzkDataDir, "hotzk-log")) || Directory.Exists(Path.Combine(hotzkDataDir, "hotzk-snap")))
            throw new IOException($"{hotzkDataDir} already holds HotZk data; import into an empty directory");
        var (tree, sessions, result) = Load(zkDataDir, zkDataLogDir, extendedTypesEnabled, log);
        Directory.CreateDirectory(hotzkDataDir);
        var store = new FileSnapshotStore(hotzkDataDir, log);
        var sessionList = sessions.Select(kv => (kv.Key, kv.Value)).ToList();
        store.Save(result.LastZxid, stream => SnapshotSerializer.Write(stream, tree, result.LastZxid, sessionList));
        return result;
    }

    private static string VersionDir(string dir) => Path.Combine(dir, "version-2");

    private static DataTree BuildTree(ApacheSnapshot snap, bool extendedTypesEnabled)
    {
        var tree = new DataTree(extendedTypesEnabled);
        foreach (var n in snap.Nodes)
        {
            string path = n.Path.Length == 0 ? "/" : n.Path;
            Acl[]? acl = n.AclIndex == -1 ? null : snap.AclCache.TryGetValue(n.AclIndex, out var a) ? a : null;
            var node = new DataNode
            {
                Data = n.Data,
                Czxid = n.Czxid,
                Mzxid = n.Mzxid,
                Ctime = n.Ctime,
                Mtime = n.Mtime,
                Version = n.Version,
                Cversion = n.Cversion,
                Aversion = n.Aversion,
                EphemeralOwner = n.EphemeralOwner,
                Pzxid = n.Pzxid,
                AclRef = tree.Acls.Add(acl),
            };
            tree.LoadNode(path, node);
            tree.Acls.Release(node.AclRef); // LoadNode took its own reference
        }
        tree.CompleteLoad();
        return tree;
    }
}
