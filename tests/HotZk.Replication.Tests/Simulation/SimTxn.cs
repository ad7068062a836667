using System.Buffers.Binary;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>The model's only txn: set <see cref="Key"/> to <see cref="Value"/>, on behalf of one client operation.</summary>
internal readonly record struct SimTxn(int Key, long Value, long ClientId, long OpId)
{
    public const int Size = 28;

    public byte[] Encode()
    {
        var b = new byte[Size];
        BinaryPrimitives.WriteInt32BigEndian(b, Key);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(4), Value);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(12), ClientId);
        BinaryPrimitives.WriteInt64BigEndian(b.AsSpan(20), OpId);
        return b;
    }

    public static SimTxn Decode(ReadOnlySpan<byte> b)
    {
        if (b.Length != Size) throw new InvalidDataException($"a txn is {Size} bytes, got {b.Length}");
        return new SimTxn(BinaryPrimitives.ReadInt32BigEndian(b), BinaryPrimitives.ReadInt64BigEndian(b[4..]),
            BinaryPrimitives.ReadInt64BigEndian(b[12..]), BinaryPrimitives.ReadInt64BigEndian(b[20..]));
    }

    /// <summary>Folds one applied txn into a state digest: equal digests at a zxid mean equal histories up to it.</summary>
    public static ulong Chain(ulong digest, long zxid, ReadOnlySpan<byte> txn)
    {
        ulong h = digest ^ 0x9E3779B97F4A7C15UL;
        h = Mix(h, (ulong)zxid);
        foreach (byte x in txn) h = (h ^ x) * 1099511628211UL;
        return Mix(h, (ulong)txn.Length);
    }

    private static ulong Mix(ulong h, ulong v)
    {
        h ^= v;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        h *= 0xC4CEB9FE1A85EC53UL;
        return h ^ (h >> 33);
    }

    public override string ToString() => $"k{Key}={Value} (c{ClientId}#{OpId})";
}
