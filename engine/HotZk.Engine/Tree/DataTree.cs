using System.Buffers;
using System.Text;
using HotZk.Common;
using HotZk.Engine.Watches;

namespace HotZk.Engine.Tree;

/// <summary>
/// The znode tree and the rules that apply txns to it. Single-threaded: only the engine thread
/// touches it. Znodes live in a <see cref="NodeTable"/> (struct slots, names and data off the
/// managed heap), so the collector's work does not grow with the tree. Hot paths address a node by
/// its slot id (<see cref="Find(string)"/>); <see cref="GetNode(string)"/> returns a detached copy for tools
/// and tests. Applying is tolerant (replay over a fuzzy snapshot): a create that finds the node, or
/// a delete that misses it, still raises the parent's cversion/pzxid. A running digest of every
/// node (<see cref="Digest"/>) lets recovery prove that image plus log rebuilt the tree exactly.
/// </summary>
public sealed partial class DataTree : IDisposable
{
    /// <summary>Path of the system subtree.</summary>
    public const string ZookeeperPath = "/zookeeper";
    /// <summary>Quota root.</summary>
    public const string QuotaPath = "/zookeeper/quota";
    /// <summary>Dynamic config node.</summary>
    public const string ConfigPath = "/zookeeper/config";

    private const int StackPathBytes = 1024;

    private readonly NodeTable _table = new();
    private readonly Dictionary<long, HashSet<string>> _ephemerals = [];
    private readonly HashSet<string> _containers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _ttls = new(StringComparer.Ordinal);
    private List<(string Path, EventType Type, long Zxid, Acl[] Acl, bool Children)>? _deferred;
    private readonly HashSet<string> _quotaPaths = new(StringComparer.Ordinal);
    // Nodes of a fuzzy image (or of a replayed delete of a non-empty node) whose parent is absent,
    // keyed by the parent path: re-attached when that parent is created, dropped by their own delete.
    private readonly Dictionary<string, List<DataNode>> _orphans = new(StringComparer.Ordinal);
    private List<(int Depth, DataNode Node)>? _pendingLoad;
    private ulong _digest;

    /// <summary>Creates a tree holding the built-in nodes.</summary>
    public DataTree(bool extendedTypesEnabled = false)
    {
        ExtendedTypesEnabled = extendedTypesEnabled;
        ref var root = ref _table[NodeTable.RootId];
        root.Meta.AclRef = AclCache.OpenAclRef;
        Rehash(NodeTable.RootId);
        var open = new ZnodeMeta { AclRef = AclCache.OpenAclRef };
        InsertChild(NodeTable.RootId, "/zookeeper"u8, open, [], false);
        int zk = _table.Find("/zookeeper"u8);
        InsertChild(zk, "/zookeeper/quota"u8, open, [], false);
        InsertChild(zk, "/zookeeper/config"u8, new ZnodeMeta { AclRef = Acls.Add(Acl.ReadAclUnsafe), Aversion = -1 }, [], false);
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
    public int NodeCount => _table.Count;

    /// <summary>Approximate bytes of paths and data.</summary>
    public long ApproximateDataSize { get; private set; }

    /// <summary>Native bytes reserved for names and data.</summary>
    public long NativeBytes => _table.NativeBytes;

    /// <summary>Bytes of the node slots (native) and the path index (managed).</summary>
    public long IndexBytes => _table.IndexBytes;

    /// <summary>
    /// Order-independent digest of every node (path, persisted stat, ACL content, data), kept up to
    /// date by every change. Two trees with the same content have the same digest in any process.
    /// </summary>
    public ulong Digest => _digest;

    /// <summary>Slots ever used; every node id is below it (snapshot iteration).</summary>
    public int SlotCount => _table.HighWater;

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

    // ---- lookups by id (hot paths) ----

    /// <summary>The id of a node, or -1 ("" aliases the root).</summary>
    public int Find(string path)
    {
        if (path.Length == 0) return NodeTable.RootId;
        byte[]? rented = null;
        int max = Encoding.UTF8.GetMaxByteCount(path.Length);
        Span<byte> buf = max <= StackPathBytes ? stackalloc byte[StackPathBytes] : (rented = ArrayPool<byte>.Shared.Rent(max));
        int n = Encoding.UTF8.GetBytes(path, buf);
        int id = _table.Find(buf[..n]);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return id;
    }

    /// <summary>The id of a node by its UTF-8 path, or -1 ("" aliases the root).</summary>
    public int Find(ReadOnlySpan<byte> utf8Path)
    {
        if (utf8Path.Length == 0) return NodeTable.RootId;
        // Paths are stored as the UTF-8 of their decoded string; malformed bytes take that route too.
        if (!System.Text.Unicode.Utf8.IsValid(utf8Path)) return Find(Encoding.UTF8.GetString(utf8Path));
        return _table.Find(utf8Path);
    }

    /// <summary>True when <paramref name="id"/> is a live node.</summary>
    public bool Exists(int id) => _table.IsLive(id);

    /// <summary>The persisted fields of a node.</summary>
    public ref readonly ZnodeMeta MetaOf(int id) => ref _table[id].Meta;

    /// <summary>Number of children of a node.</summary>
    public int ChildCountOf(int id) => _table[id].ChildCount;

    /// <summary>Data length of a node (0 for null data, as in a Stat).</summary>
    public int DataLengthOf(int id) => Math.Max(0, _table[id].DataLength);

    /// <summary>True when the node's data is null (not merely empty).</summary>
    public bool DataIsNull(int id) => _table[id].DataLength < 0;

    /// <summary>The node's data; valid until the next change of the tree.</summary>
    public ReadOnlySpan<byte> DataOf(int id) => _table.DataOf(id);

    /// <summary>The ACL of a node.</summary>
    public Acl[] AclOf(int id) => Acls.Get(_table[id].Meta.AclRef);

    /// <summary>The client-visible stat of a node.</summary>
    public Stat StatOf(int id)
    {
        ref var r = ref _table[id];
        return r.Meta.ToStat(r.ChildCount, Math.Max(0, r.DataLength), ExtendedTypesEnabled);
    }

    /// <summary>Appends the child names of a node to <paramref name="dest"/>.</summary>
    public void AddChildNames(int id, List<string> dest)
    {
        foreach (var name in ChildNamesOf(id)) dest.Add(Encoding.UTF8.GetString(name));
    }

    /// <summary>The UTF-8 names of a node's children, without making strings (valid until the tree changes).</summary>
    public ChildNames ChildNamesOf(int id) => new(_table, id);

    /// <summary>The children of one node as UTF-8 names (a foreach-able view).</summary>
    public readonly ref struct ChildNames
    {
        private readonly NodeTable _table;
        private readonly int _parent;

        internal ChildNames(NodeTable table, int parent)
        {
            _table = table;
            _parent = parent;
        }

        /// <summary>Starts the walk.</summary>
        public Enumerator GetEnumerator() => new(_table, _table[_parent].FirstChild);

        /// <summary>Walks the sibling links.</summary>
        public ref struct Enumerator
        {
            private readonly NodeTable _table;
            private int _next;
            private int _current;

            internal Enumerator(NodeTable table, int first)
            {
                _table = table;
                _next = first;
                _current = -1;
            }

            /// <summary>The current child's name.</summary>
            public readonly ReadOnlySpan<byte> Current => _table.NameOf(_current);

            /// <summary>Moves to the next child.</summary>
            public bool MoveNext()
            {
                if (_next < 0) return false;
                _current = _next;
                _next = _table[_current].NextSibling;
                return true;
            }
        }
    }

    /// <summary>The path of a node.</summary>
    public string PathOf(int id)
    {
        int len = _table.PathLength(id);
        byte[]? rented = null;
        Span<byte> buf = len <= StackPathBytes ? stackalloc byte[StackPathBytes] : (rented = ArrayPool<byte>.Shared.Rent(len));
        _table.WritePath(id, buf);
        string s = Encoding.UTF8.GetString(buf[..len]);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        return s;
    }

    /// <summary>Sizes the tree for <paramref name="nodeCount"/> nodes before a load.</summary>
    public void Reserve(int nodeCount) => _table.Reserve(nodeCount);

    /// <summary>Length of a node's UTF-8 path.</summary>
    public int PathLengthOf(int id) => _table.PathLength(id);

    /// <summary>Writes a node's UTF-8 path (at least <see cref="PathLengthOf"/> bytes); returns the length.</summary>
    public int WritePath(int id, Span<byte> dest) => _table.WritePath(id, dest);

    // ---- detached copies (tools, tests) ----

    /// <summary>A detached copy of a node ("" aliases the root), or null. Not for hot paths: it allocates.</summary>
    public DataNode? GetNode(string path)
    {
        int id = Find(path);
        return id < 0 ? null : Copy(id);
    }

    /// <summary>A detached copy of a node by its UTF-8 path, or null.</summary>
    public DataNode? GetNode(ReadOnlySpan<byte> utf8Path)
    {
        int id = Find(utf8Path);
        return id < 0 ? null : Copy(id);
    }

    private DataNode Copy(int id)
    {
        ref var r = ref _table[id];
        var children = new List<string>(r.ChildCount);
        AddChildNames(id, children);
        return new DataNode(r.Meta, r.DataLength < 0 ? null : _table.DataOf(id).ToArray(), children);
    }

    /// <summary>All nodes as detached copies (dumps, tests).</summary>
    public IEnumerable<KeyValuePair<string, DataNode>> Nodes
    {
        get
        {
            for (int id = 0; id < _table.HighWater; id++)
            {
                if (_table.IsLive(id)) yield return new(PathOf(id), Copy(id));
            }
        }
    }

    /// <summary>The ACL of a detached node.</summary>
    public Acl[] GetAcl(DataNode node) => Acls.Get(node.AclRef);

    /// <summary>The client-visible stat of a detached node.</summary>
    public Stat StatOf(DataNode node) => node.ToStat(ExtendedTypesEnabled);

    /// <summary>Ephemeral paths of a session.</summary>
    public IReadOnlyCollection<string> EphemeralsOf(long sessionId) =>
        _ephemerals.TryGetValue(sessionId, out var s) ? s : (IReadOnlyCollection<string>)Array.Empty<string>();

    /// <summary>Number of descendants of a node (excluding itself).</summary>
    public int CountDescendants(string path)
    {
        int id = Find(path);
        if (id < 0) return 0;
        int count = 0;
        var stack = new Stack<int>();
        stack.Push(id);
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            for (int c = _table[n].FirstChild; c >= 0; c = _table[c].NextSibling)
            {
                count++;
                stack.Push(c);
            }
        }
        return count;
    }

    private void InsertChild(int parent, ReadOnlySpan<byte> utf8Path, in ZnodeMeta meta, ReadOnlySpan<byte> data, bool dataIsNull)
    {
        NodeTable.ParentOf(utf8Path, out int slash);
        int id = _table.Insert(parent, NodeTable.HashPath(utf8Path), utf8Path[(slash + 1)..], meta, data, dataIsNull);
        Rehash(id);
    }

    /// <inheritdoc />
    public void Dispose() => _table.Dispose();
}
