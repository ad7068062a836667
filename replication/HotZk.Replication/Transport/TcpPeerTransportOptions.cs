namespace HotZk.Replication.Transport;

/// <summary>Tuning for <see cref="TcpPeerTransport"/>.</summary>
public sealed record TcpPeerTransportOptions
{
    /// <summary>Pause between attempts to dial a peer while no link to it is up.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Largest frame accepted (length prefix value); big enough for a snapshot sent as one packet.</summary>
    public int MaxPacketSize { get; init; } = (64 << 20) + 1024;

    /// <summary>Bytes a link may hold unsent before it is declared broken instead of growing without bound.</summary>
    public long MaxQueuedBytes { get; init; } = 256L << 20;

    /// <summary>Time allowed for connecting and completing the handshake, in either direction.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(1);
}
