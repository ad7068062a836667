using System.Buffers.Binary;

namespace HotZk.Replication.Zab;

/// <summary>Big-endian encodings of the small fixed payloads of ZAB packets.</summary>
internal static class Payload
{
    public static byte[] Longs(long a)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, a);
        return b;
    }

    public static byte[] Longs(long a, long b)
    {
        var buf = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(buf, a);
        BinaryPrimitives.WriteInt64BigEndian(buf.AsSpan(8), b);
        return buf;
    }

    /// <summary>The <paramref name="index"/>-th long of <paramref name="data"/>, or <paramref name="fallback"/> when it is too short.</summary>
    public static long Long(ReadOnlyMemory<byte> data, int index, long fallback = 0) =>
        data.Length >= (index + 1) * 8 ? BinaryPrimitives.ReadInt64BigEndian(data.Span[(index * 8)..]) : fallback;

    public static long Epoch(long zxid) => zxid >>> 32;
}
