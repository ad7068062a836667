using System.Buffers.Binary;
using System.Text;

namespace HotZk.Common;

/// <summary>Writes jute-encoded fields (big-endian) into a <see cref="ByteBuffer"/>.</summary>
public readonly struct JuteWriter
{
    private readonly ByteBuffer _buffer;

    /// <summary>Creates a writer appending to <paramref name="buffer"/>.</summary>
    public JuteWriter(ByteBuffer buffer) => _buffer = buffer;

    /// <summary>The underlying buffer.</summary>
    public ByteBuffer Buffer => _buffer;

    /// <summary>Writes one byte.</summary>
    public void WriteByte(byte v)
    {
        _buffer.GetSpan(1)[0] = v;
        _buffer.Advance(1);
    }

    /// <summary>Writes a boolean as 0/1.</summary>
    public void WriteBool(bool v) => WriteByte(v ? (byte)1 : (byte)0);

    /// <summary>Writes a big-endian int.</summary>
    public void WriteInt(int v)
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer.GetSpan(4), v);
        _buffer.Advance(4);
    }

    /// <summary>Writes a big-endian long.</summary>
    public void WriteLong(long v)
    {
        BinaryPrimitives.WriteInt64BigEndian(_buffer.GetSpan(8), v);
        _buffer.Advance(8);
    }

    /// <summary>Writes bytes that are already jute-encoded (no length prefix).</summary>
    public void WriteRaw(ReadOnlySpan<byte> encoded) => _buffer.Write(encoded);

    /// <summary>Writes a length-prefixed buffer.</summary>
    public void WriteBuffer(ReadOnlySpan<byte> v)
    {
        WriteInt(v.Length);
        _buffer.Write(v);
    }

    /// <summary>Writes a buffer, or length -1 when null.</summary>
    public void WriteBuffer(byte[]? v)
    {
        if (v is null) { WriteInt(-1); return; }
        WriteBuffer(v.AsSpan());
    }

    /// <summary>Writes a ustring, or length -1 when null.</summary>
    public void WriteString(string? v)
    {
        if (v is null) { WriteInt(-1); return; }
        int max = Encoding.UTF8.GetMaxByteCount(v.Length);
        var span = _buffer.GetSpan(4 + max);
        int n = Encoding.UTF8.GetBytes(v, span[4..]);
        BinaryPrimitives.WriteInt32BigEndian(span, n);
        _buffer.Advance(4 + n);
    }

    /// <summary>Writes a ustring already in UTF-8.</summary>
    public void WriteUtf8(ReadOnlySpan<byte> utf8) => WriteBuffer(utf8);

    /// <summary>Reserves 4 bytes for a length or count to be patched later; returns its offset.</summary>
    public int ReserveInt()
    {
        int at = _buffer.Length;
        WriteInt(0);
        return at;
    }

    /// <summary>Patches an int written earlier at <paramref name="offset"/>.</summary>
    public void PatchInt(int offset, int value) => BinaryPrimitives.WriteInt32BigEndian(_buffer.WrittenSpan.Slice(offset, 4), value);
}
