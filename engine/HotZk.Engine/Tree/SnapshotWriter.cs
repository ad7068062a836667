using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>
/// Serializes a tree in slices so the engine thread can interleave snapshotting with requests.
/// The image is fuzzy like ZooKeeper's: it starts at <c>zxid</c> and nodes visited later may
/// already show later txns; replaying the log after <c>zxid</c> (idempotent apply) makes it exact.
/// Nodes are visited in slot order; the slots that exist when the writer is made are the ones
/// visited (a node created later in a lower slot is in the log anyway). The ACL table as of the
/// start is written before the nodes; lists created while the snapshot runs are captured as nodes
/// are visited and written after them. The trailer records the zxid and the tree digest at
/// the moment the last slice was written: recovery checks that image plus log replayed up to that
/// zxid gives exactly that digest.
/// </summary>
public sealed class SnapshotWriter
{
    internal const int Magic = 0x485A534E; // "HZSN"
    internal const int Version = 3;

    private readonly DataTree _tree;
    private readonly int _slots;
    private readonly Dictionary<long, Acl[]> _acls = [];
    private readonly HashSet<long> _headerAcls = [];
    private readonly List<(long Id, int Timeout)> _sessions;
    private readonly long _zxid;
    private int _next = -1;

    /// <summary>Captures the slot range and sessions of <paramref name="tree"/> as of <paramref name="zxid"/>.</summary>
    public SnapshotWriter(DataTree tree, long zxid, IEnumerable<(long Id, int Timeout)> sessions)
    {
        _tree = tree;
        _zxid = zxid;
        _sessions = sessions.ToList();
        _slots = tree.SlotCount;
    }

    /// <summary>The zxid the image starts at.</summary>
    public long Zxid => _zxid;

    /// <summary>The zxid the trailer's digest belongs to (valid once <see cref="Finished"/>).</summary>
    public long DigestZxid { get; private set; }

    /// <summary>The tree digest at <see cref="DigestZxid"/> (valid once <see cref="Finished"/>).</summary>
    public ulong Digest { get; private set; }

    /// <summary>True once the whole image was written.</summary>
    public bool Finished { get; private set; }

    /// <summary>Appends up to <paramref name="maxNodes"/> nodes; returns true when the image is complete.</summary>
    public bool WriteSlice(ByteBuffer output, int maxNodes)
    {
        if (Finished) return true;
        var w = new JuteWriter(output);
        if (_next < 0)
        {
            w.WriteInt(Magic);
            w.WriteInt(Version);
            w.WriteLong(_zxid);
            w.WriteInt(_sessions.Count);
            foreach (var (id, timeout) in _sessions)
            {
                w.WriteLong(id);
                w.WriteInt(timeout);
            }
            w.WriteInt(_tree.NodeCount); // a size hint: the reader sizes its tables once
            // The ACL table as of the start goes first, so a reader can insert nodes as they come.
            var entries = _tree.Acls.Entries().ToList();
            w.WriteInt(entries.Count);
            foreach (var (r, acl) in entries)
            {
                _headerAcls.Add(r);
                w.WriteLong(r);
                Acl.WriteList(w, acl);
            }
            _next = 0;
        }
        Span<byte> path = stackalloc byte[1024];
        int end = Math.Min(_slots, _next + maxNodes);
        for (; _next < end; _next++)
        {
            int id = _next;
            if (!_tree.Exists(id)) continue; // free slot, or deleted since the capture: the log replays the delete
            ref readonly var m = ref _tree.MetaOf(id);
            if (m.AclRef != AclCache.OpenAclRef && !_headerAcls.Contains(m.AclRef) && !_acls.ContainsKey(m.AclRef)) _acls[m.AclRef] = _tree.Acls.Get(m.AclRef);
            int len = _tree.PathLengthOf(id);
            Span<byte> p = len <= path.Length ? path : new byte[len];
            _tree.WritePath(id, p);
            w.WriteByte(1);
            w.WriteBuffer(p[..len]);
            if (_tree.DataIsNull(id)) w.WriteInt(-1);
            else w.WriteBuffer(_tree.DataOf(id));
            w.WriteLong(m.AclRef);
            w.WriteLong(m.Czxid);
            w.WriteLong(m.Mzxid);
            w.WriteLong(m.Ctime);
            w.WriteLong(m.Mtime);
            w.WriteInt(m.Version);
            w.WriteInt(m.Cversion);
            w.WriteInt(m.Aversion);
            w.WriteLong(m.EphemeralOwner);
            w.WriteLong(m.Pzxid);
        }
        if (_next < _slots) return false;
        w.WriteByte(0);
        w.WriteInt(_acls.Count);
        foreach (var (r, acl) in _acls)
        {
            w.WriteLong(r);
            Acl.WriteList(w, acl);
        }
        DigestZxid = _tree.LastProcessedZxid;
        Digest = _tree.Digest;
        w.WriteLong(DigestZxid);
        w.WriteLong((long)Digest);
        Finished = true;
        return true;
    }
}
