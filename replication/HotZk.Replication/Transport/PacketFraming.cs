using System.Buffers.Binary;

namespace HotZk.Replication.Transport;

/// <summary>
/// Wire format of a TCP peer link. Handshake, sent first by the dialer and echoed (ids swapped) by
/// the acceptor: long magic, long sender id, long receiver id. Then frames: int32 length of the rest,
/// byte type, long zxid, data. Everything big-endian.
/// </summary>
public static class PacketFraming
{
    /// <summary>"HzKZAB" and version 1.</summary>
    public const long HandshakeMagic = 0x487A4B5A41420001;

    /// <summary>Bytes in a handshake.</summary>
    public const int HandshakeSize = 24;

    /// <summary>Bytes in the length prefix.</summary>
    public const int LengthSize = 4;

    /// <summary>Smallest valid length prefix: type and zxid.</summary>
    public const int MinFrameLength = 9;

    /// <summary>Bytes before a frame's data.</summary>
    public const int HeaderSize = LengthSize + MinFrameLength;

    /// <summary>Writes a handshake into the first <see cref="HandshakeSize"/> bytes of <paramref name="destination"/>.</summary>
    public static void WriteHandshake(Span<byte> destination, long sender, long receiver)
    {
        BinaryPrimitives.WriteInt64BigEndian(destination, HandshakeMagic);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], sender);
        BinaryPrimitives.WriteInt64BigEndian(destination[16..], receiver);
    }

    /// <summary>Reads a handshake from the first <see cref="HandshakeSize"/> bytes of <paramref name="source"/>.</summary>
    public static void ReadHandshake(ReadOnlySpan<byte> source, out long magic, out long sender, out long receiver)
    {
        magic = BinaryPrimitives.ReadInt64BigEndian(source);
        sender = BinaryPrimitives.ReadInt64BigEndian(source[8..]);
        receiver = BinaryPrimitives.ReadInt64BigEndian(source[16..]);
    }

    /// <summary>Writes the <see cref="HeaderSize"/>-byte header of <paramref name="packet"/>'s frame.</summary>
    public static void WriteHeader(Span<byte> destination, in QuorumPacket packet)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, MinFrameLength + packet.Data.Length);
        destination[LengthSize] = (byte)packet.Type;
        BinaryPrimitives.WriteInt64BigEndian(destination[(LengthSize + 1)..], packet.Zxid);
    }

    /// <summary>Reads the <see cref="HeaderSize"/>-byte header of a frame: its data length, type and zxid.</summary>
    public static (int DataLength, PacketType Type, long Zxid) ReadHeader(ReadOnlySpan<byte> source) =>
        (BinaryPrimitives.ReadInt32BigEndian(source) - MinFrameLength, (PacketType)source[LengthSize], BinaryPrimitives.ReadInt64BigEndian(source[(LengthSize + 1)..]));

    /// <summary>Why a length prefix is unacceptable, or null when it is fine.</summary>
    public static string? CheckLength(int length, int maxPacketSize) =>
        length < MinFrameLength || length > maxPacketSize
            ? $"bad frame length {length} (allowed {MinFrameLength}..{maxPacketSize})"
            : null;
}
