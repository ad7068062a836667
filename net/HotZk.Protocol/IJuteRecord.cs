using HotZk.Common;

namespace HotZk.Protocol;

/// <summary>A jute record that can be encoded and decoded on its own.</summary>
/// <typeparam name="TSelf">The implementing record type.</typeparam>
/// <remarks>
/// Lets generic helpers (<see cref="JuteRecord"/>) encode and decode any record without boxing:
/// callers constrain on the interface and the JIT specialises per struct.
/// </remarks>
public interface IJuteRecord<TSelf> where TSelf : IJuteRecord<TSelf>
{
    /// <summary>Appends the record's fields.</summary>
    void Write(JuteWriter w);

    /// <summary>Reads the record's fields; throws <see cref="JuteException"/> on malformed input.</summary>
    static abstract TSelf Read(ref JuteReader r);
}

/// <summary>Convenience encode/decode helpers over <see cref="IJuteRecord{TSelf}"/>.</summary>
public static class JuteRecord
{
    /// <summary>Decodes one record from the start of <paramref name="bytes"/>; trailing bytes are ignored.</summary>
    public static T Decode<T>(ReadOnlySpan<byte> bytes) where T : IJuteRecord<T>
    {
        var r = new JuteReader(bytes);
        return T.Read(ref r);
    }

    /// <summary>Encodes one record into a new array (tests and cold paths; the hot path writes into a shared buffer).</summary>
    public static byte[] Encode<T>(in T record) where T : IJuteRecord<T>
    {
        using var buffer = new ByteBuffer();
        record.Write(new JuteWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }
}
