namespace HotZk.Replication.Transport;

/// <summary>
/// Kinds of message between ensemble members. Numbers 1–18 keep ZooKeeper's QuorumPacket meanings
/// (replication/PROTOCOL.md); the rest are HotZk's own.
/// </summary>
public enum PacketType : byte
{
    /// <summary>Learner → leader: a client write (or session create) to prep. Data = forwarded request.</summary>
    Request = 1,
    /// <summary>Leader → follower: a txn to log and ack. Zxid = the txn's zxid, data = serialized txn.</summary>
    Proposal = 2,
    /// <summary>Follower → leader: every proposal up to Zxid is durable in the follower's log.</summary>
    Ack = 3,
    /// <summary>Leader → follower: every txn up to Zxid is committed.</summary>
    Commit = 4,
    /// <summary>Both ways: heartbeat. Leader → learner: Zxid = last committed. Learner → leader: data = session touches.</summary>
    Ping = 5,
    /// <summary>Learner → leader: a client's sync; leader → learner: the answer, after every earlier commit. Data echoed.</summary>
    Sync = 7,
    /// <summary>Leader → observer: a committed txn. Zxid = its zxid, data = serialized txn.</summary>
    Inform = 8,
    /// <summary>Leader → learner: end of the sync stream. Zxid = newEpoch &lt;&lt; 32.</summary>
    NewLeader = 10,
    /// <summary>Follower → leader: first packet of a learner link. Zxid = acceptedEpoch &lt;&lt; 32, data = last logged zxid + current epoch.</summary>
    FollowerInfo = 11,
    /// <summary>Leader → learner: start serving clients.</summary>
    UpToDate = 12,
    /// <summary>Leader → learner: proposals and commits after the learner's last zxid follow.</summary>
    Diff = 13,
    /// <summary>Leader → learner: drop every logged txn after Zxid, then proposals follow as for DIFF.</summary>
    Trunc = 14,
    /// <summary>Leader → learner: data = a whole snapshot image at zxid Zxid; proposals after it follow.</summary>
    Snap = 15,
    /// <summary>Observer → leader: as FollowerInfo, for a non-voting learner.</summary>
    ObserverInfo = 16,
    /// <summary>Leader → learner: Zxid = newEpoch &lt;&lt; 32.</summary>
    LeaderInfo = 17,
    /// <summary>Learner → leader: Zxid = last logged zxid, data = current epoch (int).</summary>
    AckEpoch = 18,
    /// <summary>Both ways: a fast-leader-election notification (data = an encoded election notification).</summary>
    Vote = 64,
    /// <summary>Leader → learner: answer to a forwarded request that made no txn (data = session id, cxid, error).</summary>
    RequestFailed = 65,
    /// <summary>Leader → learner: the next piece of the snapshot announced by <see cref="Snap"/>.</summary>
    SnapChunk = 66,
}
