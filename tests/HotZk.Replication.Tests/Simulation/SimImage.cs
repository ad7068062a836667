using System.Buffers.Binary;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// A snapshot of the model: the key/value map, the last applied zxid, and the history digest. The
/// zxids applied so far ride along as ghost state (no real image has them) so the checkers can
/// compare whole histories of servers that started from images.
/// </summary>
internal sealed record SimImage(long Zxid, ulong Digest, SortedDictionary<int, long> Values, List<long> AppliedZxids)
{
    public byte[] Encode()
    {
        var b = new byte[8 + 8 + 4 + (Values.Count * 12) + 4 + (AppliedZxids.Count * 8)];
        var s = b.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s, Zxid);
        BinaryPrimitives.WriteUInt64BigEndian(s[8..], Digest);
        BinaryPrimitives.WriteInt32BigEndian(s[16..], Values.Count);
        int at = 20;
        foreach (var (k, v) in Values)
        {
            BinaryPrimitives.WriteInt32BigEndian(s[at..], k);
            BinaryPrimitives.WriteInt64BigEndian(s[(at + 4)..], v);
            at += 12;
        }
        BinaryPrimitives.WriteInt32BigEndian(s[at..], AppliedZxids.Count);
        at += 4;
        foreach (long z in AppliedZxids)
        {
            BinaryPrimitives.WriteInt64BigEndian(s[at..], z);
            at += 8;
        }
        return b;
    }

    public static SimImage Decode(ReadOnlySpan<byte> s)
    {
        long zxid = BinaryPrimitives.ReadInt64BigEndian(s);
        ulong digest = BinaryPrimitives.ReadUInt64BigEndian(s[8..]);
        int n = BinaryPrimitives.ReadInt32BigEndian(s[16..]);
        var values = new SortedDictionary<int, long>();
        int at = 20;
        for (int i = 0; i < n; i++, at += 12) values[BinaryPrimitives.ReadInt32BigEndian(s[at..])] = BinaryPrimitives.ReadInt64BigEndian(s[(at + 4)..]);
        int m = BinaryPrimitives.ReadInt32BigEndian(s[at..]);
        at += 4;
        var zxids = new List<long>(m);
        for (int i = 0; i < m; i++, at += 8) zxids.Add(BinaryPrimitives.ReadInt64BigEndian(s[at..]));
        if (at != s.Length) throw new InvalidDataException($"snapshot image has {s.Length - at} trailing bytes");
        return new SimImage(zxid, digest, values, zxids);
    }
}
