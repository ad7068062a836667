namespace HotZk.Replication.Zab;

/// <summary>What a server is doing in its ensemble (ZooKeeper's server states).</summary>
public enum PeerState
{
    /// <summary>Electing a leader; clients are not served.</summary>
    Looking,
    /// <summary>Following an elected leader.</summary>
    Following,
    /// <summary>Leading the ensemble.</summary>
    Leading,
    /// <summary>Observing an elected leader without a vote.</summary>
    Observing,
}
