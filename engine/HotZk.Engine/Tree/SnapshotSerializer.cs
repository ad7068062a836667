using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>
/// Streams a data tree and its sessions to and from a snapshot image (format in
/// engine/STORAGE-FORMAT.md). Nodes are written parents first so loading can link children.
/// </summary>
public static class SnapshotSerializer
{
    private const int Magic = 0x485A534E; // "HZSN"
    private const int Version = 1;
    private const int FlushThreshold = 1 << 16;

    /// <summary>Writes <paramref name="tree"/> and the sessions as of <paramref name="zxid"/>.</summary>
    public static void Write(Stream stream, DataTree tree, long zxid, IEnumerable<(long Id, int Timeout)> sessions)
    {
        using var buf = new ByteBuffer(FlushThreshold * 2);
        var w = new JuteWriter(buf);
        w.WriteInt(Magic);
        w.WriteInt(Version);
        w.WriteLong(zxid);

        var sessionList = sessions.ToList();
        w.WriteInt(sessionList.Count);
        foreach (var (id, timeout) in sessionList)
        {
            w.WriteLong(id);
            w.WriteInt(timeout);
        }

        var acls = tree.Acls.Entries().ToList();
        w.WriteInt(acls.Count);
        foreach (var (r, acl) in acls)
        {
            w.WriteLong(r);
            Acl.WriteList(w, acl);
        }

        var stack = new Stack<string>();
        stack.Push("/");
        while (stack.Count > 0)
        {
            string path = stack.Pop();
            var node = tree.GetNode(path);
            if (node is null) continue;
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
            string prefix = path == "/" ? "/" : path + "/";
            foreach (var c in node.Children) stack.Push(prefix + c);
            if (buf.Length >= FlushThreshold)
            {
                stream.Write(buf.WrittenSpan);
                buf.Clear();
            }
        }
        w.WriteByte(0);
        stream.Write(buf.WrittenSpan);
    }

    /// <summary>Reads an image into a new tree; returns the tree, its zxid and the sessions.</summary>
    public static (DataTree Tree, long Zxid, List<(long Id, int Timeout)> Sessions) Read(Stream stream, bool extendedTypesEnabled)
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        var bytes = ms.GetBuffer().AsSpan(0, (int)ms.Length);
        var r = new JuteReader(bytes);
        if (r.ReadInt() != Magic) throw new InvalidDataException("not a HotZk snapshot");
        int version = r.ReadInt();
        if (version != Version) throw new InvalidDataException($"unsupported snapshot version {version}");
        long zxid = r.ReadLong();
        int sessionCount = r.ReadVectorCount();
        var sessions = new List<(long, int)>(sessionCount);
        for (int i = 0; i < sessionCount; i++) sessions.Add((r.ReadLong(), r.ReadInt()));

        var tree = new DataTree(extendedTypesEnabled);
        int aclCount = r.ReadVectorCount();
        for (int i = 0; i < aclCount; i++)
        {
            long aclRef = r.ReadLong();
            var acl = Acl.ReadList(ref r) ?? [];
            tree.Acls.AddWithRef(aclRef, acl);
        }
        while (r.ReadByte() == 1)
        {
            string path = r.ReadStringNotNull();
            var node = new DataNode
            {
                Data = r.ReadBufferArray(),
                AclRef = r.ReadLong(),
                Czxid = r.ReadLong(),
                Mzxid = r.ReadLong(),
                Ctime = r.ReadLong(),
                Mtime = r.ReadLong(),
                Version = r.ReadInt(),
                Cversion = r.ReadInt(),
                Aversion = r.ReadInt(),
                EphemeralOwner = r.ReadLong(),
                Pzxid = r.ReadLong(),
            };
            tree.Acls.AddRef(node.AclRef);
            tree.LoadNode(path, node);
        }
        tree.LastProcessedZxid = zxid;
        return (tree, zxid, sessions);
    }
}
