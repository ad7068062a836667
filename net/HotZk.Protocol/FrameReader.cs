using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace HotZk.Protocol;

/// <summary>Outcome of <see cref="FrameReader.TryReadFrame"/>.</summary>
public enum FrameStatus
{
    /// <summary>Not enough bytes yet; the buffer is untouched, read more and call again.</summary>
    Incomplete,
    /// <summary>A whole frame was split off and the buffer advanced past it.</summary>
    Complete,
    /// <summary>The length prefix is negative or above the limit; the connection must be closed.</summary>
    Invalid,
}

/// <summary>
/// Splits the byte stream into frames (<c>int32 length</c> + payload). Restartable: an incomplete
/// frame is reported, never thrown, and consumes nothing.
/// </summary>
public static class FrameReader
{
    /// <summary>Size of the length prefix.</summary>
    public const int HeaderSize = 4;

    /// <summary>Apache's default <c>jute.maxbuffer</c> (0xFFFFF).</summary>
    public const int DefaultMaxFrameLength = 0xFFFFF;

    /// <summary>Tries to split one frame off the front of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Unconsumed input; advanced past the frame on <see cref="FrameStatus.Complete"/>, unchanged otherwise.</param>
    /// <param name="maxFrameLength">Largest accepted payload length.</param>
    /// <param name="payload">The frame payload (without the length) when complete; a slice of the input.</param>
    public static FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameLength, out ReadOnlySequence<byte> payload)
    {
        if (buffer.IsSingleSegment)
        {
            // Fast path: the whole prefix is in one span.
            var span = buffer.FirstSpan;
            if (span.Length < HeaderSize)
            {
                payload = default;
                return FrameStatus.Incomplete;
            }
            return Split(ref buffer, BinaryPrimitives.ReadInt32BigEndian(span), maxFrameLength, out payload);
        }
        return TryReadFrameMultiSegment(ref buffer, maxFrameLength, out payload);
    }

    /// <summary>Reads the length prefix without consuming anything (e.g. to log an invalid length).</summary>
    /// <returns>False when fewer than 4 bytes are available.</returns>
    public static bool TryPeekLength(in ReadOnlySequence<byte> buffer, out int length)
    {
        if (buffer.Length < HeaderSize)
        {
            length = 0;
            return false;
        }
        Span<byte> prefix = stackalloc byte[HeaderSize];
        buffer.Slice(0, HeaderSize).CopyTo(prefix);
        length = BinaryPrimitives.ReadInt32BigEndian(prefix);
        return true;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static FrameStatus TryReadFrameMultiSegment(ref ReadOnlySequence<byte> buffer, int maxFrameLength, out ReadOnlySequence<byte> payload)
    {
        if (!TryPeekLength(buffer, out int length))
        {
            payload = default;
            return FrameStatus.Incomplete;
        }
        return Split(ref buffer, length, maxFrameLength, out payload);
    }

    private static FrameStatus Split(ref ReadOnlySequence<byte> buffer, int length, int maxFrameLength, out ReadOnlySequence<byte> payload)
    {
        if (length < 0 || length > maxFrameLength)
        {
            payload = default;
            return FrameStatus.Invalid;
        }
        if (buffer.Length - HeaderSize < length)
        {
            payload = default;
            return FrameStatus.Incomplete;
        }
        payload = buffer.Slice(HeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return FrameStatus.Complete;
    }
}

/// <summary>Writes length-prefixed frames into a buffer.</summary>
public static class FrameWriter
{
    /// <summary>Reserves the length prefix; pass the result to <see cref="End"/> after writing the payload.</summary>
    public static int Begin(HotZk.Common.JuteWriter w) => w.ReserveInt();

    /// <summary>Patches the length prefix reserved by <see cref="Begin"/> with the payload size.</summary>
    public static void End(HotZk.Common.JuteWriter w, int start) =>
        w.PatchInt(start, w.Buffer.Length - start - FrameReader.HeaderSize);
}
