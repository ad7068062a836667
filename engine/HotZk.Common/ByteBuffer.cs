using System.Buffers;

namespace HotZk.Common;

/// <summary>
/// A growable byte buffer over pooled arrays, with random access to what was written so that a
/// frame length can be patched after the body is encoded. Not thread-safe.
/// </summary>
public sealed class ByteBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[] _array;
    private int _length;

    /// <summary>Creates a buffer with the given initial capacity.</summary>
    public ByteBuffer(int initialCapacity = 256)
    {
        _array = ArrayPool<byte>.Shared.Rent(Math.Max(16, initialCapacity));
    }

    /// <summary>Bytes written.</summary>
    public int Length => _length;

    /// <summary>The written bytes.</summary>
    public Span<byte> WrittenSpan => _array.AsSpan(0, _length);

    /// <summary>The written bytes as memory.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _length);

    /// <summary>Current capacity.</summary>
    public int Capacity => _array.Length;

    /// <summary>Forgets the content, keeps the storage (shrinks very large buffers back).</summary>
    public void Clear()
    {
        _length = 0;
        if (_array.Length > 1 << 20)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = ArrayPool<byte>.Shared.Rent(4096);
        }
    }

    /// <summary>Drops the first <paramref name="count"/> bytes.</summary>
    public void Consume(int count)
    {
        if (count >= _length) { _length = 0; return; }
        Buffer.BlockCopy(_array, count, _array, 0, _length - count);
        _length -= count;
    }

    /// <summary>Sets the written length back (used to undo a partially encoded record).</summary>
    public void Truncate(int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, _length);
        _length = length;
    }

    /// <inheritdoc />
    public void Advance(int count) => _length += count;

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_length);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_length);
    }

    /// <summary>Appends bytes.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_array.AsSpan(_length));
        _length += bytes.Length;
    }

    /// <summary>Makes sure at least <paramref name="sizeHint"/> bytes are free.</summary>
    public void Ensure(int sizeHint)
    {
        if (sizeHint < 1) sizeHint = 1;
        if (_array.Length - _length >= sizeHint) return;
        int newSize = Math.Max(_array.Length * 2, _length + sizeHint);
        var next = ArrayPool<byte>.Shared.Rent(newSize);
        Buffer.BlockCopy(_array, 0, next, 0, _length);
        ArrayPool<byte>.Shared.Return(_array);
        _array = next;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        var a = _array;
        _array = [];
        _length = 0;
        if (a.Length > 0) ArrayPool<byte>.Shared.Return(a);
    }
}
