namespace HotZk.Replication.Zab;

/// <summary>Ensemble membership and timing, from zoo.cfg.</summary>
public sealed class ZabOptions
{
    /// <summary>This server's id.</summary>
    public required long MyId { get; init; }

    /// <summary>Ids of the voting members (participants).</summary>
    public required IReadOnlyList<long> Voters { get; init; }

    /// <summary>Ids of the observers.</summary>
    public IReadOnlyList<long> Observers { get; init; } = [];

    /// <summary>tickTime (ms).</summary>
    public int TickTime { get; init; } = 2000;

    /// <summary>Ticks a learner may take to connect and sync.</summary>
    public int InitLimit { get; init; } = 10;

    /// <summary>Ticks a learner (or a leader's quorum) may stay silent.</summary>
    public int SyncLimit { get; init; } = 5;

    /// <summary>
    /// FastLeaderElection's finalize wait (ms): how long a quorum's agreement must stand before it is
    /// final. ZooKeeper waits 200 ms; HotZk's links deliver votes in order and without loss while they
    /// live, so 50 ms covers a vote in flight on a LAN (zoo.cfg <c>hotzk.finalizeWaitMs</c> to change).
    /// </summary>
    public int FinalizeWaitMs { get; init; } = 50;

    /// <summary>Bytes per chunk when streaming a snapshot to a learner.</summary>
    public int SnapshotChunkBytes { get; init; } = 1 << 20;

    /// <summary>True when this server is an observer.</summary>
    public bool IsObserver => !Voters.Contains(MyId);

    /// <summary>Every member but this one.</summary>
    public IEnumerable<long> Peers => Voters.Concat(Observers).Where(id => id != MyId).Distinct();

    /// <summary>Votes needed for a quorum (strict majority of the voters).</summary>
    public int QuorumSize => (Voters.Count / 2) + 1;
}
