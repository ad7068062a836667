using HotZk.Replication.Transport;

namespace HotZk.Replication.Server;

/// <summary>What an ensemble member needs from zoo.cfg.</summary>
public sealed class EnsembleMemberOptions
{
    /// <summary>This server's id (myid).</summary>
    public required long MyId { get; init; }

    /// <summary>Every member's peer address (its election port carries all server-to-server traffic).</summary>
    public required IReadOnlyList<PeerAddress> Members { get; init; }

    /// <summary>Ids of the observers among <see cref="Members"/>.</summary>
    public IReadOnlyList<long> Observers { get; init; } = [];

    /// <summary>tickTime (ms).</summary>
    public int TickTime { get; init; } = 2000;

    /// <summary>initLimit (ticks).</summary>
    public int InitLimit { get; init; } = 10;

    /// <summary>syncLimit (ticks).</summary>
    public int SyncLimit { get; init; } = 5;

    /// <summary>Leader election's finalize wait (ms).</summary>
    public int FinalizeWaitMs { get; init; } = 50;

    /// <summary>jute.maxbuffer, for decoding forwarded requests.</summary>
    public int JuteMaxBuffer { get; init; } = 0xfffff;
}
