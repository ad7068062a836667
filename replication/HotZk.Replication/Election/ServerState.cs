namespace HotZk.Replication.Election;

/// <summary>
/// What an ensemble member is doing, as carried in election notifications. The numbers are
/// ZooKeeper's wire values.
/// </summary>
public enum ServerState
{
    /// <summary>Running a leader election.</summary>
    Looking = 0,
    /// <summary>A voting member following an elected leader.</summary>
    Following = 1,
    /// <summary>The elected leader.</summary>
    Leading = 2,
    /// <summary>A non-voting member following an elected leader.</summary>
    Observing = 3,
}
