namespace HotZk.Replication.Zab;

/// <summary>
/// The durable state ZAB keeps on a server: its txn log, the epochs it accepted and acknowledged,
/// and its snapshots (to bring a far-behind learner level). Called on the peer's thread only.
/// </summary>
public interface IReplicatedLog
{
    /// <summary>
    /// Highest zxid this server holds: appended to the log (durable or not), or covered by a snapshot
    /// installed from a leader when the log has nothing after it.
    /// </summary>
    long LastLoggedZxid { get; }

    /// <summary>Highest zxid known to be on disk (log or installed snapshot). Below <see cref="LastLoggedZxid"/> after a failed sync.</summary>
    long DurableZxid { get; }

    /// <summary>Lowest zxid still in the log, or 0 when the log is empty.</summary>
    long FirstLoggedZxid { get; }

    /// <summary>Appends one txn; <see cref="IZabEvents.OnDurable"/> reports when it (and all before it) is on disk.</summary>
    void Append(long zxid, ReadOnlyMemory<byte> txn);

    /// <summary>Blocks until every append so far is durable.</summary>
    void Flush();

    /// <summary>True when the log holds a txn with exactly this zxid.</summary>
    bool Contains(long zxid);

    /// <summary>The highest logged zxid below <paramref name="zxid"/>, or 0.</summary>
    long LastBefore(long zxid);

    /// <summary>Durable txns after <paramref name="afterZxid"/>, in order.</summary>
    IEnumerable<(long Zxid, ReadOnlyMemory<byte> Txn)> ReadAfter(long afterZxid);

    /// <summary>Drops every txn after <paramref name="zxid"/>, and any snapshot newer than it (ZAB TRUNC).</summary>
    void TruncateAfter(long zxid);

    /// <summary>The epoch this server last promised to follow (LEADERINFO it acked); persisted before returning.</summary>
    long AcceptedEpoch { get; set; }

    /// <summary>The epoch whose history this server acknowledged (NEWLEADER it acked); persisted before returning.</summary>
    long CurrentEpoch { get; set; }

    /// <summary>The zxid of the newest complete snapshot, or -1 when there is none.</summary>
    long NewestSnapshotZxid { get; }

    /// <summary>Opens the newest complete snapshot's bytes (as stored; the receiver stores them the same way).</summary>
    Stream OpenNewestSnapshot();

    /// <summary>
    /// Makes <paramref name="image"/> (a snapshot at <paramref name="zxid"/>) the newest snapshot and
    /// empties the log: what follows is the leader's history after it.
    /// </summary>
    void InstallSnapshot(long zxid, Stream image);
}
