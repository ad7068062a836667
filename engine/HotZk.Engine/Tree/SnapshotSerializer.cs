using System.Buffers;
using System.Buffers.Binary;
using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>A snapshot image read back: the tree, the zxid it starts at, the sessions, and the digest check point.</summary>
/// <param name="Tree">The loaded (fuzzy) tree, before any log replay.</param>
/// <param name="Zxid">The zxid the image starts at: replay the log after it.</param>
/// <param name="Sessions">Sessions and their timeouts.</param>
/// <param name="DigestZxid">The zxid at which the tree had <paramref name="Digest"/>, or null for an image without one (format 2).</param>
/// <param name="Digest">The tree digest at <paramref name="DigestZxid"/>.</param>
public sealed record SnapshotImage(DataTree Tree, long Zxid, List<(long Id, int Timeout)> Sessions, long? DigestZxid, ulong Digest);

/// <summary>
/// Reads and writes whole snapshot images (format in engine/STORAGE-FORMAT.md). The engine
/// writes incrementally through <see cref="SnapshotWriter"/>; this class is the one-shot form.
/// Reading streams the file through a bounded buffer and inserts nodes straight from it.
/// </summary>
public static class SnapshotSerializer
{
    private const int FlushThreshold = 1 << 16;
    private const int ReadChunk = 1 << 20;
    private const int MaxField = 512 << 20;
    private const int NodeTail = 8 * 7 + 4 * 3; // aclRef, czxid, mzxid, ctime, mtime, version, cversion, aversion, owner, pzxid

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
        var image = ReadImage(stream, extendedTypesEnabled);
        return (image.Tree, image.Zxid, image.Sessions);
    }

    /// <summary>Reads an image into a new tree, with its digest check point.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static SnapshotImage ReadImage(Stream stream, bool extendedTypesEnabled)
    {
        var input = new Input(stream);
        try
        {
            var head = input.Need(20);
            if (BinaryPrimitives.ReadInt32BigEndian(head) != SnapshotWriter.Magic) throw new InvalidDataException("not a HotZk snapshot");
            int version = BinaryPrimitives.ReadInt32BigEndian(head[4..]);
            if (version is not (2 or SnapshotWriter.Version)) throw new InvalidDataException($"unsupported snapshot version {version}");
            long zxid = BinaryPrimitives.ReadInt64BigEndian(head[8..]);
            int sessionCount = BinaryPrimitives.ReadInt32BigEndian(head[16..]);
            input.Consume(20);
            if (sessionCount < 0) throw new InvalidDataException($"bad session count {sessionCount}");
            var sessions = new List<(long, int)>(Math.Min(sessionCount, 1 << 16));
            for (int i = 0; i < sessionCount; i++)
            {
                var s = input.Need(12);
                sessions.Add((BinaryPrimitives.ReadInt64BigEndian(s), BinaryPrimitives.ReadInt32BigEndian(s[8..])));
                input.Consume(12);
            }

            var tree = new DataTree(extendedTypesEnabled);
            if (version >= 3)
            {
                int hint = BinaryPrimitives.ReadInt32BigEndian(input.Need(4));
                input.Consume(4);
                // Every node takes at least 79 bytes of image: a damaged hint cannot reserve more than the file could hold.
                long bound = LengthOf(stream) is long length ? length / 79 : 1 << 20;
                if (hint > 0) tree.Reserve((int)Math.Min(hint, bound));
                ReadAclTable(input, tree.Acls);
            }

            // A node whose ACL list was created while the image was written refers to the table
            // after the nodes: it is held until that table is in (its digest needs the content).
            List<(byte[] Path, ZnodeMeta Meta, byte[]? Data)>? held = null;
            while (true)
            {
                byte flag = input.Need(1)[0];
                input.Consume(1);
                if (flag == 0) break;
                if (flag != 1) throw new InvalidDataException($"bad node marker {flag}");
                int pathLength = BinaryPrimitives.ReadInt32BigEndian(input.Need(4));
                if (pathLength <= 0 || pathLength > MaxField) throw new InvalidDataException($"bad path length {pathLength}");
                var rec = input.Need(4 + pathLength + 4);
                int dataLength = BinaryPrimitives.ReadInt32BigEndian(rec[(4 + pathLength)..]);
                if (dataLength < -1 || dataLength > MaxField) throw new InvalidDataException($"bad data length {dataLength}");
                int total = 4 + pathLength + 4 + Math.Max(0, dataLength) + NodeTail;
                rec = input.Need(total);
                var path = rec.Slice(4, pathLength);
                var data = rec.Slice(8 + pathLength, Math.Max(0, dataLength));
                var t = rec[(8 + pathLength + Math.Max(0, dataLength))..];
                var meta = new ZnodeMeta
                {
                    AclRef = BinaryPrimitives.ReadInt64BigEndian(t),
                    Czxid = BinaryPrimitives.ReadInt64BigEndian(t[8..]),
                    Mzxid = BinaryPrimitives.ReadInt64BigEndian(t[16..]),
                    Ctime = BinaryPrimitives.ReadInt64BigEndian(t[24..]),
                    Mtime = BinaryPrimitives.ReadInt64BigEndian(t[32..]),
                    Version = BinaryPrimitives.ReadInt32BigEndian(t[40..]),
                    Cversion = BinaryPrimitives.ReadInt32BigEndian(t[44..]),
                    Aversion = BinaryPrimitives.ReadInt32BigEndian(t[48..]),
                    EphemeralOwner = BinaryPrimitives.ReadInt64BigEndian(t[52..]),
                    Pzxid = BinaryPrimitives.ReadInt64BigEndian(t[60..]),
                };
                if (tree.Acls.Contains(meta.AclRef)) tree.LoadNode(path, meta, data, dataLength < 0);
                else (held ??= []).Add((path.ToArray(), meta, dataLength < 0 ? null : data.ToArray()));
                input.Consume(total);
            }

            ReadAclTable(input, tree.Acls);
            if (held is not null)
            {
                foreach (var (path, meta, data) in held)
                {
                    if (!tree.Acls.Contains(meta.AclRef)) throw new InvalidDataException($"node {System.Text.Encoding.UTF8.GetString(path)} refers to unknown ACL {meta.AclRef}");
                    tree.LoadNode(path, meta, data, data is null);
                }
            }

            long? digestZxid = null;
            ulong digest = 0;
            if (version >= 3)
            {
                var trailer = input.Need(16);
                digestZxid = BinaryPrimitives.ReadInt64BigEndian(trailer);
                digest = (ulong)BinaryPrimitives.ReadInt64BigEndian(trailer[8..]);
                input.Consume(16);
            }
            tree.CompleteLoad();
            tree.LastProcessedZxid = zxid;
            return new SnapshotImage(tree, zxid, sessions, digestZxid, digest);
        }
        finally
        {
            input.Dispose();
        }
    }

    private static long? LengthOf(Stream stream)
    {
        try
        {
            return stream.Length;
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private static void ReadAclTable(Input input, AclCache acls)
    {
        int count = BinaryPrimitives.ReadInt32BigEndian(input.Need(4));
        input.Consume(4);
        if (count < 0) throw new InvalidDataException($"bad ACL count {count}");
        for (int i = 0; i < count; i++)
        {
            long aclRef = BinaryPrimitives.ReadInt64BigEndian(input.Need(8));
            input.Consume(8);
            int n = BinaryPrimitives.ReadInt32BigEndian(input.Need(4));
            input.Consume(4);
            if (n < -1 || n > 1 << 16) throw new InvalidDataException($"bad ACL length {n}");
            var acl = new Acl[Math.Max(0, n)];
            for (int k = 0; k < acl.Length; k++)
            {
                int perms = BinaryPrimitives.ReadInt32BigEndian(input.Need(4));
                input.Consume(4);
                string scheme = ReadString(input);
                string ident = ReadString(input);
                acl[k] = new Acl((Perms)perms, new Id(scheme, ident));
            }
            acls.AddWithRef(aclRef, acl);
        }
    }

    private static string ReadString(Input input)
    {
        int len = BinaryPrimitives.ReadInt32BigEndian(input.Need(4));
        input.Consume(4);
        if (len < 0) return string.Empty;
        if (len > MaxField) throw new InvalidDataException($"bad string length {len}");
        string s = System.Text.Encoding.UTF8.GetString(input.Need(len));
        input.Consume(len);
        return s;
    }

    /// <summary>A refillable window over the stream: <see cref="Need"/> guarantees contiguous bytes.</summary>
    private sealed class Input(Stream stream) : IDisposable
    {
        private byte[] _buf = ArrayPool<byte>.Shared.Rent(ReadChunk);
        private int _start;
        private int _end;
        private bool _eof;

        public ReadOnlySpan<byte> Need(int count)
        {
            while (_end - _start < count)
            {
                if (_eof) throw new InvalidDataException("snapshot is truncated");
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }
                if (_buf.Length < count)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(count, _buf.Length * 2));
                    Buffer.BlockCopy(_buf, 0, bigger, 0, _end);
                    ArrayPool<byte>.Shared.Return(_buf);
                    _buf = bigger;
                }
                int n = stream.Read(_buf, _end, _buf.Length - _end);
                if (n == 0) _eof = true;
                _end += n;
            }
            return _buf.AsSpan(_start, count);
        }

        public void Consume(int count) => _start += count;

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buf);
    }
}
