namespace HotZk.Replication.Zab;

/// <summary>
/// The state machine ZAB replicates (the engine in a server, a small model in simulations).
/// Called on the peer's thread; methods that return values wait for the state machine.
/// </summary>
public interface IReplicatedStateMachine
{
    /// <summary>The zxid of the last applied txn.</summary>
    long LastAppliedZxid { get; }

    /// <summary>Stop serving clients and forget uncommitted work (entering LOOKING).</summary>
    void BecomeLooking();

    /// <summary>Start serving as leader; new proposals get zxids (epoch &lt;&lt; 32) + 1, 2, …</summary>
    void BecomeLeader(long epoch);

    /// <summary>Start serving as a learner of <paramref name="leader"/>: writes go there, reads are local.</summary>
    void BecomeLearner(long leader, bool observer);

    /// <summary>Applies logged txns after the last applied one, up to <paramref name="upToZxid"/>; returns the last applied zxid.</summary>
    long CatchUp(long upToZxid);

    /// <summary>Rebuilds state from the log and snapshots (after they were truncated or replaced); returns the last applied zxid.</summary>
    long Reload();

    /// <summary>Leader: every own proposal up to <paramref name="zxid"/> is committed.</summary>
    void Committed(long zxid);

    /// <summary>Learner: applies a committed txn.</summary>
    void ApplyCommitted(long zxid, ReadOnlyMemory<byte> txn);

    /// <summary>Leader: a learner forwarded a client request (an encoding the state machine defines).</summary>
    void SubmitForwarded(long from, ReadOnlyMemory<byte> request);

    /// <summary>Learner: the leader answered a forwarded request without a txn.</summary>
    void ForwardFailed(ReadOnlyMemory<byte> failure);

    /// <summary>Learner: a forwarded sync completed (every earlier commit has been passed on).</summary>
    void SyncDone(ReadOnlyMemory<byte> sync);

    /// <summary>Leader: a learner's report of live sessions.</summary>
    void SessionsTouched(ReadOnlyMemory<byte> touches);

    /// <summary>Leader with no snapshot to send: write one of the current state now; returns its zxid.</summary>
    long SaveSnapshot();
}
