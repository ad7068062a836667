using System.Buffers;
using System.Text;
using HotZk.Common;
using HotZk.Engine.Txns;

namespace HotZk.Engine.Tree;

/// <summary>Applying txns: create, delete, setData, setACL, multi, session close, and the ephemeral/container/TTL index they keep.</summary>
public sealed partial class DataTree
{
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
                    result.Err = CreateNode(txn.Path, txn.DataSpan, txn.DataIsNull, txn.Acl, owner, txn.ParentCversion, txn.Zxid, txn.Time, out var stat);
                    result.Stat = stat;
                    break;
                }
            case OpCode.Delete:
            case OpCode.DeleteContainer:
                result.Err = DeleteNode(txn.Path, txn.Zxid);
                break;
            case OpCode.SetData:
            case OpCode.Reconfig:
                result.Err = SetData(txn.Path, txn.DataSpan, txn.DataIsNull, txn.Version, txn.Zxid, txn.Time, out result.Stat);
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
    public ErrorCode CreateNode(string path, byte[]? data, Acl[]? acl, long ephemeralOwner, int parentCversion, long zxid, long time, out Stat stat) =>
        CreateNode(path, data, data is null, acl, ephemeralOwner, parentCversion, zxid, time, out stat);

    /// <summary>Creates a node from data bytes the tree copies (<paramref name="dataIsNull"/>: null data, not empty).</summary>
    public ErrorCode CreateNode(string path, ReadOnlySpan<byte> data, bool dataIsNull, Acl[]? acl, long ephemeralOwner, int parentCversion, long zxid, long time, out Stat stat)
    {
        stat = default;
        string parentPath = PathInterner.Shared.Parent(path); // no new string per create/delete of a hot path
        if (parentPath.Length == 0) return ErrorCode.NodeExists;

        byte[]? rented = null;
        int max = Encoding.UTF8.GetMaxByteCount(path.Length);
        Span<byte> buf = max <= StackPathBytes ? stackalloc byte[StackPathBytes] : (rented = ArrayPool<byte>.Shared.Rent(max));
        try
        {
            int len = Encoding.UTF8.GetBytes(path, buf);
            var utf8 = buf[..len];
            int parent = _table.Find(NodeTable.ParentOf(utf8, out int slash));
            if (parent < 0) return ErrorCode.NoNode;

            ref var pr = ref _table[parent];
            if (parentCversion == -1) parentCversion = pr.Meta.Cversion + 1;
            ulong hash = NodeTable.HashPath(utf8);
            if (_table.Find(utf8, hash) >= 0)
            {
                // Replay over a fuzzy snapshot: the node is there already; still move the parent forward.
                if (parentCversion > pr.Meta.Cversion)
                {
                    pr.Meta.Cversion = parentCversion;
                    pr.Meta.Pzxid = zxid;
                    Rehash(parent);
                }
                return ErrorCode.NodeExists;
            }

            var meta = new ZnodeMeta
            {
                Czxid = zxid,
                Mzxid = zxid,
                Pzxid = zxid,
                Ctime = time,
                Mtime = time,
                EphemeralOwner = ephemeralOwner,
                AclRef = Acls.Add(acl),
            };
            int id = _table.Insert(parent, hash, utf8[(slash + 1)..], meta, data, dataIsNull);
            Rehash(id);
            pr = ref _table[parent];
            if (parentCversion > pr.Meta.Cversion)
            {
                pr.Meta.Cversion = parentCversion;
                pr.Meta.Pzxid = zxid;
            }
            Rehash(parent);
            ApproximateDataSize += path.Length + data.Length;
            OnQuotaCreate(path, parentPath, data.Length);
            IndexKind(path, ephemeralOwner);
            if (_orphans.Count > 0) AdoptOrphans(path);

            stat = StatOf(id);
            Trigger(path, EventType.NodeCreated, zxid, Acls.Get(meta.AclRef));
            TriggerChildren(parentPath, zxid, AclOf(parent));
            return ErrorCode.Ok;
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Deletes a node (replay-tolerant: a missing node is NONODE without side effects).</summary>
    public ErrorCode DeleteNode(string path, long zxid)
    {
        string parentPath = PathInterner.Shared.Parent(path); // no new string per create/delete of a hot path
        int id = Find(path);
        if (id <= NodeTable.RootId)
        {
            if (id == NodeTable.RootId) return ErrorCode.BadArguments;
            if (_orphans.Count > 0) DropOrphan(path);
            // Replay over a fuzzy snapshot: the child was already gone when it was visited, but
            // the parent may have been captured earlier; its pzxid must still move forward.
            int p = Find(parentPath);
            if (p >= 0 && zxid > _table[p].Meta.Pzxid)
            {
                _table[p].Meta.Pzxid = zxid;
                Rehash(p);
            }
            return ErrorCode.NoNode;
        }

        // Only a replay over a fuzzy image can delete a node that still has children here.
        if (_table[id].ChildCount > 0) DetachChildren(id, path);

        ref var r = ref _table[id];
        var acl = Acls.Get(r.Meta.AclRef);
        long owner = r.Meta.EphemeralOwner;
        int dataLength = Math.Max(0, r.DataLength);
        int parent = r.Parent;
        OnQuotaDelete(path, parentPath, dataLength);
        _digest -= r.Digest;
        Acls.Release(r.Meta.AclRef);
        _table.Remove(id);
        ApproximateDataSize -= path.Length + dataLength;
        UnindexKind(path, owner);

        ref var pr = ref _table[parent];
        if (zxid > pr.Meta.Pzxid) pr.Meta.Pzxid = zxid;
        Rehash(parent);

        Trigger(path, EventType.NodeDeleted, zxid, acl);
        TriggerChildren(parentPath.Length == 0 ? "/" : parentPath, zxid, AclOf(parent));
        return ErrorCode.Ok;
    }

    /// <summary>Sets data; <paramref name="version"/> is the new version.</summary>
    public ErrorCode SetData(string path, byte[]? data, int version, long zxid, long time, out Stat stat) =>
        SetData(path, data, data is null, version, zxid, time, out stat);

    /// <summary>Sets data from bytes the tree copies (<paramref name="dataIsNull"/>: null data, not empty); <paramref name="version"/> is the new version.</summary>
    public ErrorCode SetData(string path, ReadOnlySpan<byte> data, bool dataIsNull, int version, long zxid, long time, out Stat stat)
    {
        stat = default;
        int id = Find(path);
        if (id < 0) return ErrorCode.NoNode;
        int old = Math.Max(0, _table[id].DataLength);
        ApproximateDataSize += data.Length - old;
        UpdateQuota(path, 0, data.Length - old);
        _table.SetData(id, data, dataIsNull);
        ref var m = ref _table[id].Meta;
        m.Version = version;
        m.Mzxid = zxid;
        m.Mtime = time;
        Rehash(id);
        stat = StatOf(id);
        Trigger(path, EventType.NodeDataChanged, zxid, AclOf(id));
        return ErrorCode.Ok;
    }

    /// <summary>Sets the ACL; <paramref name="version"/> is the new aversion.</summary>
    public ErrorCode SetAcl(string path, Acl[]? acl, int version, out Stat stat)
    {
        stat = default;
        int id = Find(path);
        if (id < 0) return ErrorCode.NoNode;
        ref var m = ref _table[id].Meta;
        Acls.Release(m.AclRef);
        m.AclRef = Acls.Add(acl);
        m.Aversion = version;
        Rehash(id);
        stat = StatOf(id);
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
}
