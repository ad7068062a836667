namespace HotZk.Hosting.Config;

/// <summary>The voting role of an ensemble member (<c>server.N</c> suffix or <c>peerType</c>).</summary>
public enum ServerRole
{
    /// <summary>Votes in elections and counts towards quorums (the default).</summary>
    Participant,

    /// <summary>Receives committed state but never votes.</summary>
    Observer,
}

/// <summary>One quorum address of an ensemble member: <c>host:quorumPort:electionPort</c>.</summary>
/// <param name="Host">Host name or IP literal (IPv6 without brackets).</param>
/// <param name="QuorumPort">Port followers use to connect to the leader.</param>
/// <param name="ElectionPort">Port used for leader election.</param>
public sealed record QuorumAddress(string Host, int QuorumPort, int ElectionPort);

/// <summary>
/// A parsed <c>server.N</c> line:
/// <c>host:quorumPort:electionPort[:participant|observer][;[clientHost:]clientPort]</c>.
/// ZooKeeper 3.6+ multi-address lines (<c>a:p:p|b:p:p</c>) are kept in <see cref="Addresses"/>.
/// </summary>
public sealed record ServerSpec
{
    /// <summary>The server id N (1–255), matching that server's <c>myid</c>.</summary>
    public required int Id { get; init; }

    /// <summary>All quorum addresses, in the order written; never empty.</summary>
    public required IReadOnlyList<QuorumAddress> Addresses { get; init; }

    /// <summary>Host of the first quorum address.</summary>
    public string Host => Addresses[0].Host;

    /// <summary>Quorum (peer) port of the first address.</summary>
    public int QuorumPort => Addresses[0].QuorumPort;

    /// <summary>Election port of the first address.</summary>
    public int ElectionPort => Addresses[0].ElectionPort;

    /// <summary>Participant (default) or observer.</summary>
    public ServerRole Role { get; init; } = ServerRole.Participant;

    /// <summary>Client host after <c>;</c>, or <see langword="null"/> when only a port (or nothing) was given.</summary>
    public string? ClientHost { get; init; }

    /// <summary>Client port after <c>;</c>, or <see langword="null"/> when the line has no client part.</summary>
    public int? ClientPort { get; init; }

    /// <summary>The value as written in the config, for diagnostics and the <c>conf</c> command.</summary>
    public required string RawValue { get; init; }
}
