using System.Globalization;
using System.Runtime.InteropServices;
using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Engine.Processing;

/// <summary>
/// Turns a write request into the txn to log: validates path, flags, ACL, versions and
/// permissions against the tree plus the writes still in flight, in ZooKeeper's check order.
/// A failed check yields an error txn (it still consumes a zxid, as in ZooKeeper).
/// Engine-thread only.
/// </summary>
public sealed class PrepProcessor
{
    private readonly DataTree _tree;
    private readonly EngineOptions _options;
    private readonly Dictionary<string, ChangeRecord> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ChangeRecord>.AlternateLookup<ReadOnlySpan<char>> _pendingBySpan;

    // Steady-state prep allocates no bookkeeping: one scratch list for the records a prepare produces
    // (Prepare is not reentrant: a multi's sub-ops go through PrepareOp), records recycled once they
    // leave _pending, and tree reads rented for the duration of one Prepare.
    private const int MaxFreeRecords = 1024;
    private readonly List<ChangeRecord> _scratch = new(4);
    private readonly List<ChangeRecord> _temps = new(4);
    private readonly Stack<ChangeRecord> _free = new();
    private const int MaxFreeTxns = 1024;
    private readonly Stack<Txn> _freeTxns = new();

    /// <summary>Creates the processor over <paramref name="tree"/>.</summary>
    public PrepProcessor(DataTree tree, EngineOptions options)
    {
        _tree = tree;
        _options = options;
        _pendingBySpan = _pending.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Number of paths with in-flight changes.</summary>
    public int PendingCount => _pending.Count;

    /// <summary>Outcome of a failed check.</summary>
    private sealed class PrepException(ErrorCode code) : Exception(code.ToString())
    {
        public ErrorCode Code { get; } = code;
    }

    /// <summary>Builds the txn for <paramref name="req"/> with the given zxid and time.</summary>
    /// <remarks>The txn may be a recycled one: hand it back with <see cref="Release"/> once nothing reads it any more.</remarks>
    public Txn Prepare(Request req, long zxid, long time)
    {
        var txn = _freeTxns.TryPop(out var free) ? free : new Txn();
        txn.ClientId = req.SessionId;
        txn.Cxid = req.Xid;
        txn.Zxid = zxid;
        txn.Time = time;
        txn.Type = req.Op;
        var auth = req.Connection?.Auth;
        if (req.Malformed)
        {
            txn.Type = OpCode.Error;
            txn.Err = ErrorCode.MarshallingError;
            return txn;
        }
        try
        {
            switch (req.Op)
            {
                case OpCode.Multi:
                    PrepareMulti(req, txn, auth);
                    break;
                case OpCode.CreateSession:
                    txn.Timeout = req.Session?.Timeout ?? 0;
                    break;
                case OpCode.CloseSession:
                    PrepareClose(req.SessionId, txn);
                    break;
                default:
                    PrepareOp(req, txn, auth, zxid, _scratch);
                    foreach (var c in _scratch) Publish(c);
                    _scratch.Clear();
                    break;
            }
        }
        catch (PrepException e)
        {
            txn.Type = OpCode.Error;
            txn.Err = e.Code;
        }
        finally
        {
            // Records of a failed prepare were never published.
            foreach (var c in _scratch) Recycle(c);
            _scratch.Clear();
            foreach (var c in _temps) Recycle(c);
            _temps.Clear();
        }
        return txn;
    }

    /// <summary>Makes <paramref name="c"/> the in-flight state of its path; the record it replaces is recycled.</summary>
    private void Publish(ChangeRecord c)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_pending, c.Path, out bool exists);
        if (exists && !ReferenceEquals(slot, c)) Recycle(slot!);
        slot = c;
    }

    /// <summary>A record to fill (every field is set by the caller through <see cref="ChangeRecord.Set"/>).</summary>
    private ChangeRecord Rent() => _free.TryPop(out var r) ? r : new ChangeRecord();

    /// <summary>Takes back a record nothing references any more (out of _pending, not published, or a finished tree read).</summary>
    private void Recycle(ChangeRecord r)
    {
        r.Path = "";
        r.Acl = [];
        if (_free.Count < MaxFreeRecords) _free.Push(r);
    }

    /// <summary><see cref="ChangeRecord.Duplicate"/> into a recycled record.</summary>
    private ChangeRecord Duplicate(ChangeRecord from, long zxid) =>
        Rent().Set(zxid, from.Path, from.Exists, from.Version, from.Cversion, from.Aversion, from.EphemeralOwner, from.ChildCount, from.Acl);

    /// <summary>Forgets the in-flight records produced by <paramref name="txn"/> once it is applied.</summary>
    public void Applied(Txn txn)
    {
        if (_pending.Count == 0) return;
        Forget(txn);
    }

    /// <summary>
    /// Takes back a txn that has been logged, applied and answered: nothing may read it afterwards
    /// (its path, data and ACL references are dropped; a multi's sub-txns are left to the GC).
    /// </summary>
    public void Release(Txn txn)
    {
        if (_freeTxns.Count >= MaxFreeTxns) return;
        txn.Reset();
        _freeTxns.Push(txn);
    }

    /// <summary>Drops every in-flight record (log failure: those txns will never apply).</summary>
    public void Reset() => _pending.Clear();

    private void Forget(Txn txn)
    {
        switch (txn.Type)
        {
            case OpCode.Multi:
                if (txn.Ops is not null) foreach (var op in txn.Ops) { op.Zxid = txn.Zxid; Forget(op); }
                break;
            case OpCode.CloseSession:
                {
                    // Records of the deleted ephemerals and their parents.
                    var stale = new List<string>();
                    foreach (var kv in _pending) if (kv.Value.Zxid == txn.Zxid) stale.Add(kv.Key);
                    foreach (var p in stale)
                    {
                        if (_pending.Remove(p, out var r)) Recycle(r);
                    }
                    break;
                }
            default:
                if (txn.Path.Length == 0) return;
                ForgetPath(txn.Path, txn.Zxid);
                var parent = ParentOf(txn.Path);
                if (parent.Length > 0) ForgetPath(parent, txn.Zxid);
                break;
        }
    }

    private void ForgetPath(ReadOnlySpan<char> path, long zxid)
    {
        if (_pendingBySpan.TryGetValue(path, out var r) && r.Zxid <= zxid)
        {
            _pendingBySpan.Remove(path);
            Recycle(r);
        }
    }

    /// <summary><see cref="PathValidator.Parent"/> without making a string.</summary>
    private static ReadOnlySpan<char> ParentOf(string path)
    {
        int i = path.LastIndexOf('/');
        if (i <= 0) return path.Length <= 1 ? default : "/";
        return path.AsSpan(0, i);
    }

    /// <summary>The state of a path including in-flight writes, or null when it does not exist.</summary>
    /// <remarks>An in-flight record is returned as is: read it before the next Prepare or Applied (it is recycled once applied).</remarks>
    public ChangeRecord? GetRecord(string path) => GetRecord(path, pooled: false);

    /// <summary>As <see cref="GetRecord(string)"/>; a tree read into a pooled record lives until the current Prepare ends.</summary>
    private ChangeRecord? GetRecord(string path, bool pooled)
    {
        if (path.Length == 0) path = "/";
        if (_pending.TryGetValue(path, out var r)) return r.Exists ? r : null;
        int id = _tree.Find(path);
        if (id < 0) return null;
        ref readonly var m = ref _tree.MetaOf(id);
        if (pooled) _temps.Add(r = Rent());
        else r = new ChangeRecord();
        return r.Set(0, path, true, m.Version, m.Cversion, m.Aversion, m.EphemeralOwner, _tree.ChildCountOf(id), _tree.AclOf(id));
    }

    private int CurrentDataLength(string path)
    {
        if (_tree.QuotaPaths.Count == 0) return 0; // only quota checks need it
        int id = _tree.Find(path);
        return id < 0 ? 0 : _tree.DataLengthOf(id);
    }

    private ChangeRecord? Lookup(string path, List<ChangeRecord> local)
    {
        if (path.Length == 0) path = "/";
        for (int i = local.Count - 1; i >= 0; i--)
        {
            if (local[i].Path == path) return local[i].Exists ? local[i] : null;
        }
        return GetRecord(path, pooled: true);
    }

    private void PrepareMulti(Request req, Txn txn, AuthInfo? auth)
    {
        var ops = req.Ops ?? [];
        var subs = new List<Txn>(ops.Count);
        var local = _scratch;
        ErrorCode failure = ErrorCode.Ok;
        foreach (var op in ops)
        {
            var sub = new Txn { ClientId = txn.ClientId, Cxid = txn.Cxid, Zxid = txn.Zxid, Time = txn.Time, Type = op.Op };
            if (failure != ErrorCode.Ok)
            {
                sub.Type = OpCode.Error;
                sub.Err = ErrorCode.RuntimeInconsistency;
            }
            else
            {
                try
                {
                    op.SessionId = req.SessionId;
                    op.Connection = req.Connection;
                    PrepareOp(op, sub, auth, txn.Zxid, local);
                }
                catch (PrepException e)
                {
                    failure = e.Code;
                    sub.Type = OpCode.Error;
                    sub.Err = e.Code;
                }
            }
            subs.Add(sub);
        }
        txn.Ops = subs;
        // All or nothing: a failed multi leaves no in-flight state behind.
        if (failure == ErrorCode.Ok)
        {
            foreach (var c in local) Publish(c);
            local.Clear();
        }
        // Otherwise Prepare recycles what is left in the scratch list.
    }

    private void PrepareClose(long sessionId, Txn txn)
    {
        var paths = new HashSet<string>(_tree.EphemeralsOf(sessionId), StringComparer.Ordinal);
        foreach (var kv in _pending)
        {
            var r = kv.Value;
            if (!r.Exists) paths.Remove(r.Path);
            else if (r.EphemeralOwner == sessionId && EphemeralTypes.KindOf(r.EphemeralOwner, _options.ExtendedTypesEnabled) == NodeKind.Ephemeral) paths.Add(r.Path);
        }
        var list = new List<string>(paths);
        list.Sort(StringComparer.Ordinal);
        txn.PathsToDelete = list;
        foreach (var p in list)
        {
            Publish(Rent().Set(txn.Zxid, p, false, 0, 0, 0, 0, 0, []));
            string parentPath = PathValidator.Parent(p);
            var parent = GetRecord(parentPath, pooled: true);
            if (parent is not null)
            {
                var np = Duplicate(parent, txn.Zxid);
                np.ChildCount = Math.Max(0, np.ChildCount - 1);
                Publish(np);
            }
        }
    }

    private void PrepareOp(Request req, Txn txn, AuthInfo? auth, long zxid, List<ChangeRecord> local)
    {
        switch (req.Op)
        {
            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            case OpCode.CreateTtl:
                PrepareCreate(req, txn, auth, zxid, local);
                break;
            case OpCode.Delete:
            case OpCode.DeleteContainer:
                PrepareDelete(req, txn, auth, zxid, local);
                break;
            case OpCode.SetData:
                {
                    ValidatePath(req.Path);
                    var rec = Lookup(req.Path, local) ?? throw new PrepException(ErrorCode.NoNode);
                    CheckAcl(rec.Acl, Perms.Write, auth);
                    CheckQuota(req.Path, 0, req.DataLength - CurrentDataLength(req.Path));
                    int newVersion = CheckAndIncVersion(rec.Version, req.Version);
                    txn.Path = req.Path;
                    // No copy: the txn is released (ZkEngine.ApplyDurable) before its request goes back to the pool.
                    req.LendData(txn);
                    txn.Version = newVersion;
                    var n = Duplicate(rec, zxid);
                    n.Version = newVersion;
                    local.Add(n);
                    break;
                }
            case OpCode.SetAcl:
                {
                    ValidatePath(req.Path);
                    var acl = AclChecker.Fixup(req.Acl, auth) ?? throw new PrepException(ErrorCode.InvalidAcl);
                    var rec = Lookup(req.Path, local) ?? throw new PrepException(ErrorCode.NoNode);
                    CheckAcl(rec.Acl, Perms.Admin, auth);
                    int newVersion = CheckAndIncVersion(rec.Aversion, req.Version);
                    txn.Path = req.Path;
                    txn.Acl = acl;
                    txn.Version = newVersion;
                    var n = Duplicate(rec, zxid);
                    n.Aversion = newVersion;
                    n.Acl = acl;
                    local.Add(n);
                    break;
                }
            case OpCode.Check:
                {
                    ValidatePath(req.Path);
                    var rec = Lookup(req.Path, local) ?? throw new PrepException(ErrorCode.NoNode);
                    CheckAcl(rec.Acl, Perms.Read, auth);
                    // CheckVersionTxn logs current + 1, as ZooKeeper does.
                    txn.Version = CheckAndIncVersion(rec.Version, req.Version);
                    txn.Path = req.Path;
                    break;
                }
            case OpCode.Reconfig:
                {
                    if (!_options.ReconfigEnabled) throw new PrepException(ErrorCode.ReconfigDisabled);
                    var rec = GetRecord(DataTree.ConfigPath, pooled: true);
                    if (rec is not null) CheckAcl(rec.Acl, Perms.Write, auth);
                    // Standalone servers cannot reconfigure.
                    throw new PrepException(ErrorCode.Unimplemented);
                }
            default:
                throw new PrepException(ErrorCode.Unimplemented);
        }
    }

    private void PrepareCreate(Request req, Txn txn, AuthInfo? auth, long zxid, List<ChangeRecord> local)
    {
        CreateMode mode;
        if (req.Op == OpCode.CreateTtl)
        {
            if (req.Flags < 0 || req.Flags > 6) throw new PrepException(ErrorCode.BadArguments);
            if (!_options.ExtendedTypesEnabled) throw new PrepException(ErrorCode.Unimplemented);
            if (req.Flags is not (5 or 6)) throw new PrepException(ErrorCode.BadArguments);
            if (req.Ttl <= 0 || req.Ttl > EphemeralTypes.MaxTtl) throw new PrepException(ErrorCode.BadArguments);
            mode = (CreateMode)req.Flags;
        }
        else
        {
            if (req.Flags < 0 || req.Flags > 6) throw new PrepException(ErrorCode.BadArguments);
            mode = (CreateMode)req.Flags;
            if (mode.IsTtl())
            {
                if (!_options.ExtendedTypesEnabled) throw new PrepException(ErrorCode.Unimplemented);
                throw new PrepException(ErrorCode.BadArguments);
            }
            // Flag 4 through create/create2 is a plain persistent node; opcode 19 makes the container.
            if (mode == CreateMode.Container) mode = CreateMode.Persistent;
        }

        string path = req.Path;
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash == -1 || path.Contains('\0')) throw new PrepException(ErrorCode.BadArguments);
        var acl = AclChecker.Fixup(req.Acl, auth) ?? throw new PrepException(ErrorCode.InvalidAcl);
        string parentPath = PathInterner.Shared.Get(path.AsSpan(0, lastSlash)); // as path[..lastSlash], without a new string when cached
        var parent = Lookup(parentPath, local) ?? throw new PrepException(ErrorCode.NoNode);
        CheckAcl(parent.Acl, Perms.Create, auth);
        int parentCversion = parent.Cversion;
        if (mode.IsSequential()) path += SequenceSuffix(parentCversion);
        ValidatePath(path);
        if (Lookup(path, local) is not null) throw new PrepException(ErrorCode.NodeExists);
        if (EphemeralTypes.KindOf(parent.EphemeralOwner, _options.ExtendedTypesEnabled) == NodeKind.Ephemeral)
            throw new PrepException(ErrorCode.NoChildrenForEphemerals);
        CheckQuota(path, 1, req.DataLength);

        int newCversion = parentCversion + 1;
        long owner;
        if (req.Op == OpCode.CreateContainer)
        {
            txn.Type = OpCode.CreateContainer;
            owner = EphemeralTypes.ContainerOwner;
        }
        else if (req.Op == OpCode.CreateTtl)
        {
            txn.Type = OpCode.CreateTtl;
            txn.Ttl = req.Ttl;
            owner = EphemeralTypes.TtlOwner(req.Ttl);
        }
        else
        {
            txn.Ephemeral = mode.IsEphemeral();
            owner = txn.Ephemeral ? req.SessionId : 0;
        }
        txn.Path = path;
        req.LendData(txn);
        txn.Acl = acl;
        txn.ParentCversion = newCversion;

        var np = Duplicate(parent, zxid);
        np.Cversion = newCversion;
        np.ChildCount++;
        local.Add(np);
        local.Add(Rent().Set(zxid, path, true, 0, 0, 0, owner, 0, acl));
    }

    private void PrepareDelete(Request req, Txn txn, AuthInfo? auth, long zxid, List<ChangeRecord> local)
    {
        string path = req.Path;
        int lastSlash = path.LastIndexOf('/');
        if (lastSlash == -1 || path.Contains('\0') || IsSpecialPath(path)) throw new PrepException(ErrorCode.BadArguments);
        string parentPath = PathInterner.Shared.Get(path.AsSpan(0, lastSlash)); // as path[..lastSlash], without a new string when cached
        var parent = Lookup(parentPath, local) ?? throw new PrepException(ErrorCode.NoNode);
        if (req.Op != OpCode.DeleteContainer) CheckAcl(parent.Acl, Perms.Delete, auth);
        var node = Lookup(path, local) ?? throw new PrepException(ErrorCode.NoNode);
        if (req.Op == OpCode.DeleteContainer)
        {
            var kind = EphemeralTypes.KindOf(node.EphemeralOwner, _options.ExtendedTypesEnabled);
            if (kind is not (NodeKind.Container or NodeKind.Ttl)) throw new PrepException(ErrorCode.BadVersion);
        }
        else
        {
            CheckAndIncVersion(node.Version, req.Version);
        }
        if (node.ChildCount > 0) throw new PrepException(ErrorCode.NotEmpty);
        txn.Path = path;
        var np = Duplicate(parent, zxid);
        np.ChildCount--;
        local.Add(np);
        local.Add(Rent().Set(zxid, path, false, 0, 0, 0, 0, 0, []));
    }

    /// <summary>Java's <c>%010d</c>: ten characters including a minus sign (after 2^31 creations).</summary>
    public static string SequenceSuffix(int counter) => counter >= 0
        ? counter.ToString("D10", CultureInfo.InvariantCulture)
        : "-" + (-(long)counter).ToString("D9", CultureInfo.InvariantCulture);

    private static bool IsSpecialPath(string path) =>
        path is "/" or DataTree.ZookeeperPath or DataTree.QuotaPath or DataTree.ConfigPath;

    private static void ValidatePath(string path)
    {
        if (!PathValidator.IsValid(path)) throw new PrepException(ErrorCode.BadArguments);
    }

    private void CheckAcl(Acl[] acl, Perms perm, AuthInfo? auth)
    {
        if (!AclChecker.Check(acl, perm, auth, _options.SkipAcl)) throw new PrepException(ErrorCode.NoAuth);
    }

    /// <summary>enforceQuota: the covering quota's hard limits (countHardLimit, byteHardLimit) must hold after the change.</summary>
    private void CheckQuota(string path, long countDiff, long bytesDiff)
    {
        if (!_options.EnforceQuota) return;
        string? q = _tree.MaxPrefixWithQuota(path);
        if (q is null) return;
        var (stats, limits) = _tree.QuotaOf(q);
        if (limits.CountHardLimit > -1 && Math.Max(0, stats.Count) + countDiff > limits.CountHardLimit) throw new PrepException(ErrorCode.QuotaExceeded);
        if (limits.ByteHardLimit > -1 && Math.Max(0, stats.Bytes) + bytesDiff > limits.ByteHardLimit) throw new PrepException(ErrorCode.QuotaExceeded);
    }

    private static int CheckAndIncVersion(int current, int expected)
    {
        if (expected != -1 && expected != current) throw new PrepException(ErrorCode.BadVersion);
        return unchecked(current + 1);
    }
}
