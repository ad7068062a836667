using HotZk.Common;
using HotZk.Engine.Txns;
using HotZk.Engine.Watches;

namespace HotZk.Engine.Tree;

/// <summary>
/// The in-memory znode tree and the rules that apply txns to it. Single-threaded: only the
/// engine thread touches it. Applying is tolerant (replay over a fuzzy snapshot): a create that
/// finds the node, or a delete that misses it, still raises the parent's cversion/pzxid.
/// </summary>
public sealed class DataTree
{
    /// <summary>Path of the system subtree.</summary>
    public const string ZookeeperPath = "/zookeeper";
    /// <summary>Quota root.</summary>
    public const string QuotaPath = "/zookeeper/quota";
    /// <summary>Dynamic config node.</summary>
    public const string ConfigPath = "/zookeeper/config";

    private readonly Dictionary<string, DataNode> _nodes = new(4096, StringComparer.Ordinal);
    private readonly Dictionary<long, HashSet<string>> _ephemerals = [];
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ttls = new(StringComparer.Ordinal);
    private List<(string Path, EventType Type, long Zxid, Acl[] Acl, bool Children)>? _deferred;
    private readonly HashSet<string> _quotaPaths = new(StringComparer.Ordinal);

    private readonly Dictionary<string, DataNode>.AlternateLookup<ReadOnlySpan<char>> _byChars;

    /// <summary>Creates a tree holding the built-in nodes.</summary>
    public DataTree(bool extendedTypesEnabled = false)
    {
        _byChars = _nodes.GetAlternateLookup<ReadOnlySpan<char>>();
        ExtendedTypesEnabled = extendedTypesEnabled;
        var root = new DataNode { Data = [], AclRef = AclCache.OpenAclRef };
        _nodes["/"] = root;
        var zk = new DataNode { Data = [], AclRef = AclCache.OpenAclRef };
        _nodes[ZookeeperPath] = zk;
        root.AddChild("zookeeper");
        _nodes[QuotaPath] = new DataNode { Data = [], AclRef = AclCache.OpenAclRef };
        zk.AddChild("quota");
        _nodes[ConfigPath] = new DataNode { Data = [], AclRef = Acls.Add(Acl.ReadAclUnsafe), Aversion = -1 };
        zk.AddChild("config");
    }

    /// <summary>Whether TTL encodings of ephemeralOwner are recognised.</summary>
    public bool ExtendedTypesEnabled { get; }

    /// <summary>The ACL dedup cache.</summary>
    public AclCache Acls { get; } = new();

    /// <summary>Watch tables; triggers fire as txns apply.</summary>
    public WatchManager Watches { get; } = new();

    /// <summary>Last applied zxid.</summary>
    public long LastProcessedZxid { get; set; }

    /// <summary>Number of znodes (the root counted once).</summary>
    public int NodeCount => _nodes.Count;

    /// <summary>Approximate bytes of paths and data.</summary>
    public long ApproximateDataSize { get; private set; }

    /// <summary>Session id → its ephemeral paths.</summary>
    public IReadOnlyDictionary<long, HashSet<string>> Ephemerals => _ephemerals;

    /// <summary>Container paths.</summary>
    public IReadOnlyCollection<string> Containers => _containers;

    /// <summary>TTL node paths.</summary>
    public IReadOnlyCollection<string> Ttls => _ttls;

    /// <summary>Number of ephemeral nodes.</summary>
    public int EphemeralCount
    {
        get
        {
            int n = 0;
            foreach (var s in _ephemerals.Values) n += s.Count;
            return n;
        }
    }

    /// <summary>Looks a node up ("" aliases the root).</summary>
    public DataNode? GetNode(string path)
    {
        if (path.Length == 0) path = "/";
        return _nodes.TryGetValue(path, out var n) ? n : null;
    }

    /// <summary>Looks a node up by its UTF-8 path without making a string ("" aliases the root).</summary>
    public DataNode? GetNode(ReadOnlySpan<byte> utf8Path)
    {
        if (utf8Path.Length == 0) return GetNode("/");
        Span<char> chars = utf8Path.Length <= 512 ? stackalloc char[utf8Path.Length] : new char[utf8Path.Length];
        int n = System.Text.Encoding.UTF8.GetChars(utf8Path, chars);
        return _byChars.TryGetValue(chars[..n], out var node) ? node : null;
    }

    /// <summary>All nodes (snapshots, dumps).</summary>
    public IEnumerable<KeyValuePair<string, DataNode>> Nodes => _nodes;

    /// <summary>The ACL of a node.</summary>
    public Acl[] GetAcl(DataNode node) => Acls.Get(node.AclRef);

    /// <summary>The client-visible stat of a node.</summary>
    public Stat StatOf(DataNode node) => node.ToStat(ExtendedTypesEnabled);

    /// <summary>Ephemeral paths of a session.</summary>
    public IReadOnlyCollection<string> EphemeralsOf(long sessionId) =>
        _ephemerals.TryGetValue(sessionId, out var s) ? s : (IReadOnlyCollection<string>)Array.Empty<string>();

    /// <summary>Number of descendants of a node (excluding itself).</summary>
    public int CountDescendants(string path)
    {
        var node = GetNode(path);
        if (node is null) return 0;
        int count = 0;
        var stack = new Stack<(string, DataNode)>();
        stack.Push((path.Length <= 1 ? "" : path, node));
        while (stack.Count > 0)
        {
            var (p, n) = stack.Pop();
            foreach (var c in n.Children)
            {
                string cp = p + "/" + c;
                if (_nodes.TryGetValue(cp, out var cn))
                {
                    count++;
                    stack.Push((cp, cn));
                }
            }
        }
        return count;
    }

    /// <summary>Applies a txn and fires its watches. Returns what the reply needs.</summary>
    public TxnResult ProcessTxn(Txn txn)
    {
        var result = new TxnResult { Type = txn.Type, Path = txn.Path };
        switch (txn.Type)
        {
            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            case OpCode.CreateTtl:
                {
                    long owner = txn.Type switch
                    {
                        OpCode.CreateContainer => EphemeralTypes.ContainerOwner,
                        OpCode.CreateTtl => EphemeralTypes.TtlOwner(txn.Ttl),
                        _ => txn.Ephemeral ? txn.ClientId : 0,
                    };
                    result.Err = CreateNode(txn.Path, txn.Data, txn.Acl, owner, txn.ParentCversion, txn.Zxid, txn.Time, out var stat);
                    result.Stat = stat;
                    break;
                }
            case OpCode.Delete:
            case OpCode.DeleteContainer:
                result.Err = DeleteNode(txn.Path, txn.Zxid);
                break;
            case OpCode.SetData:
            case OpCode.Reconfig:
                result.Err = SetData(txn.Path, txn.Data, txn.Version, txn.Zxid, txn.Time, out result.Stat);
                break;
            case OpCode.SetAcl:
                result.Err = SetAcl(txn.Path, txn.Acl, txn.Version, out result.Stat);
                break;
            case OpCode.CreateSession:
                break;
            case OpCode.CloseSession:
                KillSession(txn.ClientId, txn.PathsToDelete, txn.Zxid);
                break;
            case OpCode.Error:
                result.Err = txn.Err;
                break;
            case OpCode.Check:
                break;
            case OpCode.Multi:
                result.Multi = ProcessMulti(txn);
                break;
        }
        if (txn.Zxid > LastProcessedZxid) LastProcessedZxid = txn.Zxid;
        return result;
    }

    private List<TxnResult> ProcessMulti(Txn txn)
    {
        var ops = txn.Ops ?? [];
        var results = new List<TxnResult>(ops.Count);
        if (txn.IsFailedMulti)
        {
            bool after = false;
            foreach (var op in ops)
            {
                ErrorCode code;
                if (op.Type == OpCode.Error)
                {
                    code = op.Err;
                    after = true;
                }
                else
                {
                    code = after ? ErrorCode.RuntimeInconsistency : ErrorCode.Ok;
                }
                results.Add(new TxnResult { Type = OpCode.Error, Err = code });
            }
            return results;
        }

        // Events of a multi go out after the whole batch is applied, in op order.
        _deferred = [];
        try
        {
            foreach (var op in ops)
            {
                op.ClientId = txn.ClientId;
                op.Zxid = txn.Zxid;
                op.Time = txn.Time;
                var r = ProcessTxn(op);
                results.Add(r);
            }
        }
        finally
        {
            var events = _deferred;
            _deferred = null;
            foreach (var e in events)
            {
                if (e.Children) Watches.TriggerChildren(e.Path, e.Zxid, e.Acl);
                else Watches.TriggerNode(e.Path, e.Type, e.Zxid, e.Acl);
            }
        }
        return results;
    }

    /// <summary>Creates a node. <paramref name="parentCversion"/> -1 means "parent's current + 1".</summary>
    public ErrorCode CreateNode(string path, byte[]? data, Acl[]? acl, long ephemeralOwner, int parentCversion, long zxid, long time, out Stat stat)
    {
        stat = default;
        string parentPath = PathValidator.Parent(path);
        if (parentPath.Length == 0) return ErrorCode.NodeExists;
        string name = PathValidator.Name(path);
        if (!_nodes.TryGetValue(parentPath, out var parent)) return ErrorCode.NoNode;

        if (parentCversion == -1) parentCversion = parent.Cversion + 1;
        if (_nodes.ContainsKey(path))
        {
            // Replay over a fuzzy snapshot: the node is there already; still move the parent forward.
            if (parentCversion > parent.Cversion)
            {
                parent.Cversion = parentCversion;
                parent.Pzxid = zxid;
            }
            return ErrorCode.NodeExists;
        }

        var node = new DataNode
        {
            Data = data,
            Czxid = zxid,
            Mzxid = zxid,
            Pzxid = zxid,
            Ctime = time,
            Mtime = time,
            EphemeralOwner = ephemeralOwner,
            AclRef = Acls.Add(acl),
        };
        parent.AddChild(name);
        if (parentCversion > parent.Cversion)
        {
            parent.Cversion = parentCversion;
            parent.Pzxid = zxid;
        }
        _nodes[path] = node;
        ApproximateDataSize += path.Length + (data?.Length ?? 0);
        OnQuotaCreate(path, parentPath, name, data);

        IndexKind(path, ephemeralOwner);

        stat = node.ToStat(ExtendedTypesEnabled);
        Trigger(path, EventType.NodeCreated, zxid, Acls.Get(node.AclRef));
        TriggerChildren(parentPath, zxid, Acls.Get(parent.AclRef));
        return ErrorCode.Ok;
    }

    /// <summary>Deletes a node (replay-tolerant: a missing node is NONODE without side effects).</summary>
    public ErrorCode DeleteNode(string path, long zxid)
    {
        string parentPath = PathValidator.Parent(path);
        if (!_nodes.TryGetValue(path, out var node))
        {
            // Replay over a fuzzy snapshot: the child was already gone when it was visited, but
            // the parent may have been captured earlier; its pzxid must still move forward.
            if (_nodes.TryGetValue(parentPath.Length == 0 ? "/" : parentPath, out var p) && zxid > p.Pzxid) p.Pzxid = zxid;
            return ErrorCode.NoNode;
        }
        var acl = Acls.Get(node.AclRef);
        _nodes.Remove(path);
        Acls.Release(node.AclRef);
        ApproximateDataSize -= path.Length + (node.Data?.Length ?? 0);
        OnQuotaDelete(path, parentPath, node.Data);

        UnindexKind(path, node.EphemeralOwner);

        Acl[] parentAcl = Acl.OpenAclUnsafe;
        if (_nodes.TryGetValue(parentPath, out var parent))
        {
            parent.RemoveChild(PathValidator.Name(path));
            if (zxid > parent.Pzxid) parent.Pzxid = zxid;
            parentAcl = Acls.Get(parent.AclRef);
        }

        Trigger(path, EventType.NodeDeleted, zxid, acl);
        TriggerChildren(parentPath.Length == 0 ? "/" : parentPath, zxid, parentAcl);
        return ErrorCode.Ok;
    }

    /// <summary>Sets data; <paramref name="version"/> is the new version.</summary>
    public ErrorCode SetData(string path, byte[]? data, int version, long zxid, long time, out Stat stat)
    {
        stat = default;
        var node = GetNode(path);
        if (node is null) return ErrorCode.NoNode;
        ApproximateDataSize += (data?.Length ?? 0) - (node.Data?.Length ?? 0);
        UpdateQuota(path, 0, (data?.Length ?? 0) - (node.Data?.Length ?? 0));
        node.Data = data;
        node.Version = version;
        node.Mzxid = zxid;
        node.Mtime = time;
        stat = node.ToStat(ExtendedTypesEnabled);
        Trigger(path, EventType.NodeDataChanged, zxid, Acls.Get(node.AclRef));
        return ErrorCode.Ok;
    }

    /// <summary>Sets the ACL; <paramref name="version"/> is the new aversion.</summary>
    public ErrorCode SetAcl(string path, Acl[]? acl, int version, out Stat stat)
    {
        stat = default;
        var node = GetNode(path);
        if (node is null) return ErrorCode.NoNode;
        Acls.Release(node.AclRef);
        node.AclRef = Acls.Add(acl);
        node.Aversion = version;
        stat = node.ToStat(ExtendedTypesEnabled);
        return ErrorCode.Ok;
    }

    /// <summary>Deletes a closed session's ephemerals: the listed paths, then any left of that owner.</summary>
    public void KillSession(long sessionId, List<string>? paths, long zxid)
    {
        if (paths is not null)
        {
            foreach (var p in paths) DeleteNode(p, zxid);
        }
        if (_ephemerals.TryGetValue(sessionId, out var rest))
        {
            // Delete children before parents is not needed (ephemerals have no children).
            foreach (var p in rest.ToArray()) DeleteNode(p, zxid);
        }
    }

    private void Trigger(string path, EventType type, long zxid, Acl[] acl)
    {
        if (_deferred is not null) _deferred.Add((path, type, zxid, acl, false));
        else Watches.TriggerNode(path, type, zxid, acl);
    }

    private void TriggerChildren(string parent, long zxid, Acl[] acl)
    {
        if (_deferred is not null) _deferred.Add((parent, EventType.NodeChildrenChanged, zxid, acl, true));
        else Watches.TriggerChildren(parent, zxid, acl);
    }

    /// <summary>Adds a node to the ephemeral/container/TTL index its owner value puts it in.</summary>
    private void IndexKind(string path, long owner)
    {
        switch (EphemeralTypes.KindOf(owner, ExtendedTypesEnabled))
        {
            case NodeKind.Ephemeral:
                if (!_ephemerals.TryGetValue(owner, out var set))
                {
                    set = new HashSet<string>(StringComparer.Ordinal);
                    _ephemerals[owner] = set;
                }
                set.Add(path);
                break;
            case NodeKind.Container:
                _containers.Add(path);
                break;
            case NodeKind.Ttl:
                _ttls.Add(path);
                break;
        }
    }

    /// <summary>Removes a node from the index <see cref="IndexKind"/> put it in.</summary>
    private void UnindexKind(string path, long owner)
    {
        switch (EphemeralTypes.KindOf(owner, ExtendedTypesEnabled))
        {
            case NodeKind.Ephemeral:
                if (_ephemerals.TryGetValue(owner, out var set))
                {
                    set.Remove(path);
                    if (set.Count == 0) _ephemerals.Remove(owner);
                }
                break;
            case NodeKind.Container:
                _containers.Remove(path);
                break;
            case NodeKind.Ttl:
                _ttls.Remove(path);
                break;
        }
    }

    /// <summary>Paths that carry a quota (a <c>zookeeper_limits</c> node exists for them).</summary>
    public IReadOnlyCollection<string> QuotaPaths => _quotaPaths;

    /// <summary>The deepest path with a quota that covers <paramref name="path"/>, or null.</summary>
    public string? MaxPrefixWithQuota(string path)
    {
        if (_quotaPaths.Count == 0 || path.StartsWith(ZookeeperPath + "/", StringComparison.Ordinal) || path == ZookeeperPath) return null;
        string p = path;
        while (p.Length > 0)
        {
            if (_quotaPaths.Contains(p)) return p;
            if (p == "/") break;
            p = PathValidator.Parent(p);
        }
        return null;
    }

    /// <summary>Current stats and limits of a quota path (stats from its stats node, limits from its limits node).</summary>
    public (QuotaStats Stats, QuotaStats Limits) QuotaOf(string quotaPath) =>
        (QuotaStats.Parse(GetNode(QuotaStats.StatPath(quotaPath))?.Data), QuotaStats.Parse(GetNode(QuotaStats.LimitPath(quotaPath))?.Data));

    private void OnQuotaCreate(string path, string parentPath, string name, byte[]? data)
    {
        if (parentPath.StartsWith(QuotaPath + "/", StringComparison.Ordinal))
        {
            string quotaPath = parentPath[QuotaPath.Length..];
            if (name == QuotaStats.LimitNode) _quotaPaths.Add(quotaPath);
            else if (name == QuotaStats.StatNode) RecountQuota(quotaPath);
            return;
        }
        UpdateQuota(path, 1, data?.Length ?? 0);
    }

    private void OnQuotaDelete(string path, string parentPath, byte[]? data)
    {
        if (parentPath.StartsWith(QuotaPath + "/", StringComparison.Ordinal))
        {
            if (PathValidator.Name(path) == QuotaStats.LimitNode) _quotaPaths.Remove(parentPath[QuotaPath.Length..]);
            return;
        }
        UpdateQuota(path, -1, -(data?.Length ?? 0));
    }

    /// <summary>Keeps <c>zookeeper_stats</c> of the covering quota current (data only; its version does not move, as in ZooKeeper).</summary>
    private void UpdateQuota(string path, long countDiff, long bytesDiff)
    {
        string? q = MaxPrefixWithQuota(path);
        if (q is null) return;
        var stat = GetNode(QuotaStats.StatPath(q));
        if (stat is null) return;
        var cur = QuotaStats.Parse(stat.Data);
        var next = new QuotaStats(Math.Max(0, cur.Count) + countDiff, Math.Max(0, cur.Bytes) + bytesDiff);
        byte[] bytes = next.ToStatsBytes();
        ApproximateDataSize += bytes.Length - (stat.Data?.Length ?? 0);
        stat.Data = bytes;
    }

    /// <summary>Counts a quota'd subtree (the node itself included) into its stats node.</summary>
    private void RecountQuota(string quotaPath)
    {
        var stat = GetNode(QuotaStats.StatPath(quotaPath));
        if (stat is null) return;
        long count = 0, bytes = 0;
        if (GetNode(quotaPath) is { } root)
        {
            var stack = new Stack<(string, DataNode)>();
            stack.Push((quotaPath, root));
            while (stack.Count > 0)
            {
                var (p, n) = stack.Pop();
                count++;
                bytes += n.Data?.Length ?? 0;
                string prefix = p == "/" ? "/" : p + "/";
                foreach (var c in n.Children)
                {
                    if (_nodes.TryGetValue(prefix + c, out var cn)) stack.Push((prefix + c, cn));
                }
            }
        }
        byte[] data = new QuotaStats(count, bytes).ToStatsBytes();
        ApproximateDataSize += data.Length - (stat.Data?.Length ?? 0);
        stat.Data = data;
    }

    /// <summary>Re-derives the quota path set after a snapshot load.</summary>
    public void RebuildQuotaIndex()
    {
        _quotaPaths.Clear();
        string prefix = QuotaPath + "/";
        foreach (var p in _nodes.Keys)
        {
            if (p.StartsWith(prefix, StringComparison.Ordinal) && PathValidator.Name(p) == QuotaStats.LimitNode)
                _quotaPaths.Add(PathValidator.Parent(p)[QuotaPath.Length..]);
        }
    }

    /// <summary>Paths whose parent does not exist (must be none after recovery).</summary>
    public List<string> FindOrphans()
    {
        var orphans = new List<string>();
        foreach (var kv in _nodes)
        {
            if (kv.Key == "/") continue;
            if (!_nodes.ContainsKey(PathValidator.Parent(kv.Key))) orphans.Add(kv.Key);
        }
        return orphans;
    }

    /// <summary>Inserts a node as loaded from a snapshot (no watches, no parent updates beyond linking).</summary>
    public void LoadNode(string path, DataNode node)
    {
        if (path.Length == 0) path = "/";
        if (_nodes.TryGetValue(path, out var existing))
        {
            // Built-in node: keep its children set, take the stored fields.
            ApproximateDataSize += (node.Data?.Length ?? 0) - (existing.Data?.Length ?? 0);
            existing.Data = node.Data;
            existing.Czxid = node.Czxid; existing.Mzxid = node.Mzxid; existing.Ctime = node.Ctime; existing.Mtime = node.Mtime;
            existing.Version = node.Version; existing.Cversion = node.Cversion; existing.Aversion = node.Aversion;
            existing.EphemeralOwner = node.EphemeralOwner; existing.Pzxid = node.Pzxid; existing.AclRef = node.AclRef;
            return;
        }
        _nodes[path] = node;
        string parentPath = PathValidator.Parent(path);
        if (_nodes.TryGetValue(parentPath, out var parent)) parent.AddChild(PathValidator.Name(path));
        ApproximateDataSize += path.Length + (node.Data?.Length ?? 0);
        IndexKind(path, node.EphemeralOwner);
    }
}
