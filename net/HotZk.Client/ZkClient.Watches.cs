using HotZk.Common;
using HotZk.Protocol.Records;

namespace HotZk.Client;

public sealed partial class ZkClient
{
    private readonly object _watchLock = new();
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _dataWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _existWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _childWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _persistentWatches = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<Action<WatchedEvent>>> _recursiveWatches = new(StringComparer.Ordinal);

    // Java splits setWatches into batches of about 128 KB of path characters.
    private const int SetWatchesBatchChars = 128 * 1024;

    /// <summary>Registers a watch after its read's reply (read loop), following the server's rules.</summary>
    internal void RegisterWatch(WatchRegistration reg, ErrorCode err)
    {
        Dictionary<string, HashSet<Action<WatchedEvent>>>? table = (reg.Kind, err) switch
        {
            (WatchKind.Exists, ErrorCode.Ok) => _dataWatches,
            (WatchKind.Exists, ErrorCode.NoNode) => _existWatches,
            (WatchKind.Data, ErrorCode.Ok) => _dataWatches,
            (WatchKind.Child, ErrorCode.Ok) => _childWatches,
            (WatchKind.Persistent, ErrorCode.Ok) => _persistentWatches,
            (WatchKind.PersistentRecursive, ErrorCode.Ok) => _recursiveWatches,
            _ => null,
        };
        if (table is null) return;
        lock (_watchLock)
        {
            if (!table.TryGetValue(reg.ClientPath, out var set)) table[reg.ClientPath] = set = [];
            set.Add(reg.Watcher);
        }
    }

    /// <summary>Delivers a notification to the watchers it triggers (one-shot ones are removed), as the Java client does.</summary>
    internal void DispatchNotification(in WatcherEvent e)
    {
        string path = ToClientPath(e.Path);
        var targets = new HashSet<Action<WatchedEvent>>();
        lock (_watchLock)
        {
            switch (e.Type)
            {
                case EventType.NodeCreated or EventType.NodeDataChanged:
                    Take(_dataWatches, path, targets);
                    Take(_existWatches, path, targets);
                    AddPersistent(path, targets, recursive: true);
                    break;
                case EventType.NodeChildrenChanged:
                    Take(_childWatches, path, targets);
                    AddPersistent(path, targets, recursive: false);
                    break;
                case EventType.NodeDeleted:
                    Take(_dataWatches, path, targets);
                    Take(_existWatches, path, targets);
                    Take(_childWatches, path, targets);
                    AddPersistent(path, targets, recursive: true);
                    break;
            }
        }
        var ev = new WatchedEvent(e.Type, e.State, path);
        foreach (var w in targets) SafeInvoke(w, ev);
    }

    private static void Take(Dictionary<string, HashSet<Action<WatchedEvent>>> table, string path, HashSet<Action<WatchedEvent>> into)
    {
        if (table.Remove(path, out var set)) into.UnionWith(set);
    }

    private void AddPersistent(string path, HashSet<Action<WatchedEvent>> into, bool recursive)
    {
        if (_persistentWatches.TryGetValue(path, out var set)) into.UnionWith(set);
        if (!recursive || _recursiveWatches.Count == 0) return;
        // A recursive watch on the node or any ancestor fires.
        string p = path;
        while (true)
        {
            if (_recursiveWatches.TryGetValue(p, out var r)) into.UnionWith(r);
            if (p == "/") break;
            int slash = p.LastIndexOf('/');
            p = slash <= 0 ? "/" : p[..slash];
        }
    }

    /// <summary>Drops client-side watchers after a successful removeWatches and tells each of them, as Java does.</summary>
    private void RemoveLocalWatches(string path, WatcherType type)
    {
        var removed = new List<(Action<WatchedEvent> Watcher, EventType Type)>();
        lock (_watchLock)
        {
            void From(Dictionary<string, HashSet<Action<WatchedEvent>>> table, EventType evType)
            {
                if (table.Remove(path, out var set))
                {
                    foreach (var w in set) removed.Add((w, evType));
                }
            }
            if (type is WatcherType.Data or WatcherType.Any)
            {
                From(_dataWatches, EventType.DataWatchRemoved);
                From(_existWatches, EventType.DataWatchRemoved);
            }
            if (type is WatcherType.Children or WatcherType.Any) From(_childWatches, EventType.ChildWatchRemoved);
            if (type is WatcherType.Persistent or WatcherType.Any) From(_persistentWatches, EventType.PersistentWatchRemoved);
            if (type is WatcherType.PersistentRecursive or WatcherType.Any) From(_recursiveWatches, EventType.PersistentWatchRemoved);
        }
        foreach (var (w, t) in removed) SafeInvoke(w, new WatchedEvent(t, KeeperState.SyncConnected, path));
    }

    private void ClearWatches()
    {
        lock (_watchLock)
        {
            _dataWatches.Clear();
            _existWatches.Clear();
            _childWatches.Clear();
            _persistentWatches.Clear();
            _recursiveWatches.Clear();
        }
    }

    /// <summary>Builds the setWatches/setWatches2 batches (xid -8) that re-register every watch after a reconnect.</summary>
    private void AddSetWatchesRequests(List<PendingRequest> into)
    {
        List<string> data, exist, child, persistent, recursive;
        lock (_watchLock)
        {
            data = ServerPaths(_dataWatches);
            exist = ServerPaths(_existWatches);
            child = ServerPaths(_childWatches);
            persistent = ServerPaths(_persistentWatches);
            recursive = ServerPaths(_recursiveWatches);
        }
        long zxid = LastZxidSeen;
        int di = 0, ei = 0, ci = 0, pi = 0, ri = 0;
        while (di < data.Count || ei < exist.Count || ci < child.Count || pi < persistent.Count || ri < recursive.Count)
        {
            int budget = SetWatchesBatchChars;
            var d = Batch(data, ref di, ref budget);
            var e = Batch(exist, ref ei, ref budget);
            var c = Batch(child, ref ci, ref budget);
            var p = Batch(persistent, ref pi, ref budget);
            var r = Batch(recursive, ref ri, ref budget);
            // Java uses the older op 101 unless the batch holds persistent watches; 3.5 servers know only 101.
            if (p.Count == 0 && r.Count == 0)
            {
                into.Add(new Request<SetWatches, bool>(OpCode.SetWatches, RequestKind.SetWatches, null,
                    new SetWatches(zxid, d, e, c), static (ZkClient _, in ReplyHeader _, ref HotZk.Common.JuteReader _) => true, true));
            }
            else
            {
                into.Add(new Request<SetWatches2, bool>(OpCode.SetWatches2, RequestKind.SetWatches, null,
                    new SetWatches2(zxid, d, e, c, p, r), static (ZkClient _, in ReplyHeader _, ref HotZk.Common.JuteReader _) => true, true));
            }
        }
    }

    private List<string> ServerPaths(Dictionary<string, HashSet<Action<WatchedEvent>>> table)
    {
        var list = new List<string>(table.Count);
        foreach (var key in table.Keys) list.Add(ToServerPath(key));
        return list;
    }

    private static List<string> Batch(List<string> source, ref int index, ref int budget)
    {
        var batch = new List<string>();
        // Always take at least one path so an oversize path cannot stall the loop.
        while (index < source.Count && (budget > 0 || batch.Count == 0))
        {
            budget -= source[index].Length;
            batch.Add(source[index++]);
            if (budget <= 0) break;
        }
        return batch;
    }
}
