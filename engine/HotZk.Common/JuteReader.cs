using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace HotZk.Common;

/// <summary>
/// Reads jute-encoded fields (big-endian) from a span without copying.
/// Malformed input raises <see cref="JuteException"/>; callers map it to MARSHALLINGERROR.
/// </summary>
public ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _maxFieldLength;
    private int _position;

    /// <summary>Creates a reader over <paramref name="buffer"/>.</summary>
    /// <param name="buffer">The bytes of one record (or a frame payload).</param>
    /// <param name="maxFieldLength">Largest accepted buffer/ustring length.</param>
    public JuteReader(ReadOnlySpan<byte> buffer, int maxFieldLength = int.MaxValue)
    {
        _buffer = buffer;
        _maxFieldLength = maxFieldLength;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool End => _position >= _buffer.Length;

    /// <summary>The bytes not yet consumed.</summary>
    public readonly ReadOnlySpan<byte> Rest => _buffer[_position..];

    /// <summary>Reads one byte.</summary>
    public byte ReadByte()
    {
        if (_position >= _buffer.Length) ThrowTruncated();
        return _buffer[_position++];
    }

    /// <summary>Reads a boolean (any non-zero byte is true).</summary>
    public bool ReadBool() => ReadByte() != 0;

    /// <summary>Reads a big-endian int.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int ReadInt()
    {
        if (_buffer.Length - _position < 4) ThrowTruncated();
        int v = BinaryPrimitives.ReadInt32BigEndian(_buffer.Slice(_position, 4));
        _position += 4;
        return v;
    }

    /// <summary>Reads a big-endian long.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long ReadLong()
    {
        if (_buffer.Length - _position < 8) ThrowTruncated();
        long v = BinaryPrimitives.ReadInt64BigEndian(_buffer.Slice(_position, 8));
        _position += 8;
        return v;
    }

    /// <summary>Reads a length-prefixed buffer as a slice of the input. Returns false for a null buffer (length -1).</summary>
    public bool ReadBuffer(out ReadOnlySpan<byte> value)
    {
        int len = ReadInt();
        if (len == -1)
        {
            value = default;
            return false;
        }
        if (len < -1 || len > _maxFieldLength) ThrowBadLength(len);
        if (_buffer.Length - _position < len) ThrowTruncated();
        value = _buffer.Slice(_position, len);
        _position += len;
        return true;
    }

    /// <summary>Reads a buffer into a new array (null stays null).</summary>
    public byte[]? ReadBufferArray() => ReadBuffer(out var span) ? span.ToArray() : null;

    /// <summary>Reads a ustring as its UTF-8 bytes. Returns false for null.</summary>
    public bool ReadUtf8(out ReadOnlySpan<byte> value) => ReadBuffer(out value);

    /// <summary>Reads a ustring (null stays null).</summary>
    public string? ReadString()
    {
        if (!ReadBuffer(out var span)) return null;
        return span.Length == 0 ? string.Empty : Encoding.UTF8.GetString(span);
    }

    /// <summary>Reads a ustring that must not be null; null reads as the empty string.</summary>
    public string ReadStringNotNull() => ReadString() ?? string.Empty;

    /// <summary>Reads a vector count (-1 means null).</summary>
    public int ReadVectorCount()
    {
        int n = ReadInt();
        if (n < -1) ThrowBadLength(n);
        // Each element takes at least one byte; a larger count can only be garbage.
        if (n > Remaining) ThrowTruncated();
        return n;
    }

    /// <summary>Skips <paramref name="count"/> bytes.</summary>
    public void Skip(int count)
    {
        if (count < 0 || _buffer.Length - _position < count) ThrowTruncated();
        _position += count;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowTruncated() => throw new JuteException("record is truncated");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowBadLength(int len) => throw new JuteException($"invalid length {len}");
}
