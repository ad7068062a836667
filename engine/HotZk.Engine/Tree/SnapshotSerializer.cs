using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>
/// Reads and writes whole snapshot images (format in engine/STORAGE-FORMAT.md). The engine
/// writes incrementally through <see cref="SnapshotWriter"/>; this class is the one-shot form.
/// </summary>
public static class SnapshotSerializer
{
    private const int FlushThreshold = 1 << 16;

    /// <summary>Writes <paramref name="tree"/> and the sessions as of <paramref name="zxid"/> in one go.</summary>
    public static void Write(Stream stream, DataTree tree, long zxid, IEnumerable<(long Id, int Timeout)> sessions)
    {
        var writer = new SnapshotWriter(tree, zxid, sessions);
        using var buf = new ByteBuffer(FlushThreshold * 2);
        bool done;
        do
        {
            done = writer.WriteSlice(buf, 512);
            stream.Write(buf.WrittenSpan);
            buf.Clear();
        }
        while (!done);
    }

    /// <summary>Reads an image into a new tree; returns the tree, its zxid and the sessions.</summary>
    public static (DataTree Tree, long Zxid, List<(long Id, int Timeout)> Sessions) Read(Stream stream, bool extendedTypesEnabled)
    {
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        var bytes = ms.GetBuffer().AsSpan(0, (int)ms.Length);
        var r = new JuteReader(bytes);
        if (r.ReadInt() != SnapshotWriter.Magic) throw new InvalidDataException("not a HotZk snapshot");
        int version = r.ReadInt();
        if (version != SnapshotWriter.Version) throw new InvalidDataException($"unsupported snapshot version {version}");
        long zxid = r.ReadLong();
        int sessionCount = r.ReadVectorCount();
        var sessions = new List<(long, int)>(sessionCount);
        for (int i = 0; i < sessionCount; i++) sessions.Add((r.ReadLong(), r.ReadInt()));

        // Nodes come in capture order; bucket them by depth (computed once) so parents load first: O(n).
        var byDepth = new List<List<(string Path, DataNode Node)>>();
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
            int depth = Depth(path);
            while (byDepth.Count <= depth) byDepth.Add([]);
            byDepth[depth].Add((path, node));
        }

        var tree = new DataTree(extendedTypesEnabled);
        int aclCount = r.ReadVectorCount();
        for (int i = 0; i < aclCount; i++)
        {
            long aclRef = r.ReadLong();
            var acl = Acl.ReadList(ref r) ?? [];
            tree.Acls.AddWithRef(aclRef, acl);
        }
        // A fuzzy image may hold a node whose parent was deleted after the node was visited: it is
        // loaded unlinked and the log replay deletes it (the engine checks for leftovers).
        foreach (var level in byDepth)
        {
            foreach (var (path, node) in level)
            {
                tree.Acls.AddRef(node.AclRef);
                tree.LoadNode(path, node);
            }
        }
        tree.RebuildQuotaIndex();
        tree.LastProcessedZxid = zxid;
        return (tree, zxid, sessions);
    }

    private static int Depth(string path) => path == "/" ? 0 : path.AsSpan().Count('/');
}
