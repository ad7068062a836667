using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>
/// Serializes a tree in slices so the engine thread can interleave snapshotting with requests.
/// The image is fuzzy like ZooKeeper's: it starts at <c>zxid</c> and nodes visited later may
/// already show later txns; replaying the log after <c>zxid</c> (idempotent apply) makes it exact.
/// ACL lists are captured as nodes are visited and written at the end, so lists created while
/// the snapshot runs are included.
/// </summary>
public sealed class SnapshotWriter
{
    internal const int Magic = 0x485A534E; // "HZSN"
    internal const int Version = 2;

    private readonly DataTree _tree;
    private readonly string[] _paths;
    private readonly Dictionary<long, Acl[]> _acls = [];
    private readonly List<(long Id, int Timeout)> _sessions;
    private readonly long _zxid;
    private int _next = -1;

    /// <summary>Captures the node list and sessions of <paramref name="tree"/> as of <paramref name="zxid"/>.</summary>
    public SnapshotWriter(DataTree tree, long zxid, IEnumerable<(long Id, int Timeout)> sessions)
    {
        _tree = tree;
        _zxid = zxid;
        _sessions = sessions.ToList();
        _paths = new string[tree.NodeCount];
        int i = 0;
        foreach (var kv in tree.Nodes)
        {
            if (i == _paths.Length) break;
            _paths[i++] = kv.Key;
        }
        if (i < _paths.Length) Array.Resize(ref _paths, i);
    }

    /// <summary>The zxid the image starts at.</summary>
    public long Zxid => _zxid;

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
            _next = 0;
        }
        int end = Math.Min(_paths.Length, _next + maxNodes);
        for (; _next < end; _next++)
        {
            string path = _paths[_next];
            var node = _tree.GetNode(path);
            if (node is null) continue; // deleted since the capture; the log replays the delete
            if (node.AclRef != AclCache.OpenAclRef && !_acls.ContainsKey(node.AclRef)) _acls[node.AclRef] = _tree.Acls.Get(node.AclRef);
            w.WriteByte(1);
            w.WriteString(path);
            w.WriteBuffer(node.Data);
            w.WriteLong(node.AclRef);
            w.WriteLong(node.Czxid);
            w.WriteLong(node.Mzxid);
            w.WriteLong(node.Ctime);
            w.WriteLong(node.Mtime);
            w.WriteInt(node.Version);
            w.WriteInt(node.Cversion);
            w.WriteInt(node.Aversion);
            w.WriteLong(node.EphemeralOwner);
            w.WriteLong(node.Pzxid);
        }
        if (_next < _paths.Length) return false;
        w.WriteByte(0);
        w.WriteInt(_acls.Count);
        foreach (var (r, acl) in _acls)
        {
            w.WriteLong(r);
            Acl.WriteList(w, acl);
        }
        Finished = true;
        return true;
    }
}
