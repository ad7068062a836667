namespace HotZk.Replication.Transport;

/// <summary>
/// One message between ensemble members. <see cref="Data"/> belongs to the packet once sent: senders
/// never reuse the array, so transports may queue it without copying.
/// </summary>
/// <param name="Type">What it is.</param>
/// <param name="Zxid">The zxid it is about (meaning per type).</param>
/// <param name="Data">Payload, or empty.</param>
public readonly record struct QuorumPacket(PacketType Type, long Zxid, ReadOnlyMemory<byte> Data)
{
    /// <summary>A packet without payload.</summary>
    public QuorumPacket(PacketType type, long zxid) : this(type, zxid, ReadOnlyMemory<byte>.Empty) { }

    /// <inheritdoc/>
    public override string ToString() => $"{Type} 0x{Zxid:x} ({Data.Length} B)";
}
