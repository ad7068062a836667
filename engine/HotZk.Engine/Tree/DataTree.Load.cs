using System.Text;
using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>Loading images and imports, and the orphans a fuzzy image can leave until the log replay settles them.</summary>
public sealed partial class DataTree
{
    /// <summary>
    /// Inserts a node as loaded from an image (no watches, no parent stat changes). A built-in node
    /// takes the stored fields. A node whose parent is not loaded yet is held until
    /// <see cref="CompleteLoad"/>. The ACL reference must already be registered in <see cref="Acls"/>.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public void LoadNode(ReadOnlySpan<byte> utf8Path, in ZnodeMeta meta, ReadOnlySpan<byte> data, bool dataIsNull)
    {
        if (utf8Path.Length == 0) utf8Path = "/"u8;
        ulong hash = NodeTable.HashPath(utf8Path);
        int existing = _table.Find(utf8Path, hash);
        if (existing >= 0)
        {
            // A built-in node: it takes the stored fields. Its old ACL reference is not released:
            // an image registers its ACL table (fresh counts) before its nodes.
            ref var e = ref _table[existing];
            if (e.Meta.AclRef != meta.AclRef) Acls.Release(e.Meta.AclRef);
            ApproximateDataSize += (dataIsNull ? 0 : data.Length) - Math.Max(0, e.DataLength);
            if (e.Meta.EphemeralOwner != meta.EphemeralOwner)
            {
                // A later incarnation of the same path (deleted and re-created while the image was written).
                string p = Encoding.UTF8.GetString(utf8Path);
                UnindexKind(p, e.Meta.EphemeralOwner);
                IndexKind(p, meta.EphemeralOwner);
            }
            e.Meta = meta;
            Acls.AddRef(meta.AclRef);
            _table.SetData(existing, data, dataIsNull);
            Rehash(existing);
            return;
        }
        var parentPath = NodeTable.ParentOf(utf8Path, out int slash);
        int parent = slash < 0 ? -1 : FindLoadParent(parentPath);
        if (parent < 0)
        {
            Acls.AddRef(meta.AclRef); // held nodes keep their ACL entry alive
            (_pendingLoad ??= []).Add((utf8Path.Count((byte)'/'), new DataNode(meta, dataIsNull ? null : data.ToArray(), [])
            {
                Path = Encoding.UTF8.GetString(utf8Path),
            }));
            return;
        }
        Acls.AddRef(meta.AclRef);
        int id = _table.Insert(parent, hash, utf8Path[(slash + 1)..], meta, data, dataIsNull);
        Rehash(id);
        // Counted in characters, as create and delete count the path.
        ApproximateDataSize += Encoding.UTF8.GetCharCount(utf8Path) + (dataIsNull ? 0 : data.Length);
        if (EphemeralTypes.KindOf(meta.EphemeralOwner, ExtendedTypesEnabled) != NodeKind.Persistent)
            IndexKind(Encoding.UTF8.GetString(utf8Path), meta.EphemeralOwner);
        if (_orphans.Count > 0) AdoptOrphans(Encoding.UTF8.GetString(utf8Path));
    }

    // Siblings sit next to each other in an image far more often than not: remember the last parent.
    private byte[] _loadParentPath = new byte[256];
    private int _loadParentLength = -1;
    private int _loadParentId = -1;
    private long _loadParentRemovals = -1;

    private int FindLoadParent(ReadOnlySpan<byte> parentPath)
    {
        if (_loadParentLength == parentPath.Length && _loadParentRemovals == _table.Removals
            && _loadParentPath.AsSpan(0, _loadParentLength).SequenceEqual(parentPath))
        {
            return _loadParentId;
        }
        int id = _table.Find(parentPath);
        if (id >= 0)
        {
            if (_loadParentPath.Length < parentPath.Length) _loadParentPath = new byte[parentPath.Length * 2];
            parentPath.CopyTo(_loadParentPath);
            _loadParentLength = parentPath.Length;
            _loadParentId = id;
            _loadParentRemovals = _table.Removals;
        }
        return id;
    }

    /// <summary>Inserts a detached node as loaded from an image (see the span overload).</summary>
    public void LoadNode(string path, DataNode node)
    {
        if (path.Length == 0) path = "/";
        LoadNode(Encoding.UTF8.GetBytes(path), node.Meta, node.Data, node.Data is null);
    }

    /// <summary>
    /// Ends a load: held nodes are inserted parents first; those whose parent never came stay
    /// orphans (a fuzzy image's nodes whose parent was deleted later; the log replay deletes them).
    /// </summary>
    public void CompleteLoad()
    {
        var pending = _pendingLoad;
        _pendingLoad = null;
        if (pending is not null)
        {
            pending.Sort((a, b) => a.Depth.CompareTo(b.Depth));
            foreach (var (_, node) in pending)
            {
                byte[] utf8 = Encoding.UTF8.GetBytes(node.Path!);
                // Still no parent: keep it aside under its parent path.
                if (_table.Find(NodeTable.ParentOf(utf8, out _)) < 0) AddOrphan(node);
                else LoadNode(utf8, node.Meta, node.Data, node.Data is null);
                Acls.Release(node.AclRef); // the hold's reference
            }
        }
        RebuildQuotaIndex();
        Acls.DropUnreferenced();
    }

    private void AddOrphan(DataNode node)
    {
        string parent = PathValidator.Parent(node.Path!);
        if (!_orphans.TryGetValue(parent, out var list)) _orphans[parent] = list = [];
        list.Add(node);
        Acls.AddRef(node.AclRef);
    }

    private void AdoptOrphans(string parentPath)
    {
        if (!_orphans.Remove(parentPath, out var list)) return;
        foreach (var o in list)
        {
            Acls.Release(o.AclRef);
            LoadNode(Encoding.UTF8.GetBytes(o.Path!), o.Meta, o.Data, o.Data is null);
        }
    }

    private void DropOrphan(string path)
    {
        string parent = PathValidator.Parent(path);
        if (!_orphans.TryGetValue(parent, out var list)) return;
        int i = list.FindIndex(o => o.Path == path);
        if (i < 0) return;
        Acls.Release(list[i].AclRef);
        list.RemoveAt(i);
        if (list.Count == 0) _orphans.Remove(parent);
    }

    /// <summary>Moves the descendants of a node into the orphan set (replayed delete of a node a fuzzy image shows with children).</summary>
    private void DetachChildren(int id, string path)
    {
        while (_table[id].FirstChild >= 0)
        {
            int c = _table[id].FirstChild;
            string childPath = (path == "/" ? "" : path) + "/" + Encoding.UTF8.GetString(_table.NameOf(c));
            if (_table[c].ChildCount > 0) DetachChildren(c, childPath);
            ref var r = ref _table[c];
            var copy = new DataNode(r.Meta, r.DataLength < 0 ? null : _table.DataOf(c).ToArray(), []) { Path = childPath };
            _digest -= r.Digest;
            ApproximateDataSize -= childPath.Length + Math.Max(0, r.DataLength);
            UnindexKind(childPath, r.Meta.EphemeralOwner);
            Acls.Release(r.Meta.AclRef);
            _table.Remove(c);
            AddOrphan(copy);
        }
    }

    /// <summary>Paths of nodes held without a parent (must be none after recovery).</summary>
    public List<string> FindOrphans()
    {
        var orphans = new List<string>();
        foreach (var list in _orphans.Values)
        {
            foreach (var o in list) orphans.Add(o.Path!);
        }
        if (_pendingLoad is not null) foreach (var (_, n) in _pendingLoad) orphans.Add(n.Path!);
        return orphans;
    }
}
