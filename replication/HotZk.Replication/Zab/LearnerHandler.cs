using HotZk.Replication.Transport;

namespace HotZk.Replication.Zab;

/// <summary>The leader's view of one learner's session over its link.</summary>
internal sealed class LearnerHandler(long sid, bool observer, long now)
{
    public enum Stage
    {
        /// <summary>FOLLOWERINFO received; LEADERINFO sent once the epoch is known.</summary>
        Info,
        /// <summary>LEADERINFO sent, waiting for ACKEPOCH.</summary>
        AwaitAckEpoch,
        /// <summary>ACKEPOCH received, waiting for a quorum of them before the sync.</summary>
        EpochAcked,
        /// <summary>Sync decided; its packets are being read off the peer thread, broadcast packets wait in <see cref="Deferred"/>.</summary>
        Streaming,
        /// <summary>Sync stream and NEWLEADER sent, waiting for its ACK.</summary>
        AwaitNewLeaderAck,
        /// <summary>NEWLEADER acked; UPTODATE follows once the leader is established.</summary>
        NewLeaderAcked,
        /// <summary>UPTODATE sent: serving and receiving the broadcast.</summary>
        Active,
    }

    public long Sid { get; } = sid;

    public bool Observer { get; } = observer;

    public Stage At { get; set; } = Stage.Info;

    public long AcceptedEpoch { get; set; }

    public long PeerLastZxid { get; set; }

    public long PeerCurrentEpoch { get; set; }

    /// <summary>Registered for proposals/commits after its sync point.</summary>
    public bool Forwarding { get; set; }

    /// <summary>Every proposal up to here is durable on the learner.</summary>
    public long AckedZxid { get; set; }

    public long LastHeard { get; set; } = now;

    /// <summary>Broadcast packets held back while the sync stream is prepared (they must follow it on the link).</summary>
    public List<QuorumPacket>? Deferred { get; set; }

    public long StartedAt { get; } = now;
}
