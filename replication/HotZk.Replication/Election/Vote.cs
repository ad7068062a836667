namespace HotZk.Replication.Election;

/// <summary>A proposal (while looking) or a decision (after) for who leads the ensemble.</summary>
/// <param name="Leader">Server id of the proposed or elected leader.</param>
/// <param name="Zxid">Last logged zxid of that leader when it was proposed.</param>
/// <param name="ElectionEpoch">Election round (logical clock) the vote belongs to.</param>
/// <param name="PeerEpoch">Current epoch of the proposed leader.</param>
public readonly record struct Vote(long Leader, long Zxid, long ElectionEpoch, long PeerEpoch)
{
    /// <summary>
    /// ZooKeeper's total order on candidates: a higher peer epoch wins, then a higher zxid, then a
    /// higher server id. Returns true when the new candidate is strictly better than the current one.
    /// </summary>
    /// <param name="newLeader">Id of the new candidate.</param>
    /// <param name="newZxid">Last zxid of the new candidate.</param>
    /// <param name="newPeerEpoch">Epoch of the new candidate.</param>
    /// <param name="curLeader">Id of the current candidate.</param>
    /// <param name="curZxid">Last zxid of the current candidate.</param>
    /// <param name="curPeerEpoch">Epoch of the current candidate.</param>
    /// <returns>True when the new candidate beats the current one.</returns>
    public static bool Beats(long newLeader, long newZxid, long newPeerEpoch, long curLeader, long curZxid, long curPeerEpoch)
    {
        if (newPeerEpoch != curPeerEpoch)
            return newPeerEpoch > curPeerEpoch;
        if (newZxid != curZxid)
            return newZxid > curZxid;
        return newLeader > curLeader;
    }

    /// <summary>True when this vote's candidate is strictly better than <paramref name="other"/>'s (election epochs are not compared).</summary>
    /// <param name="other">The vote to compare against.</param>
    /// <returns>True when this candidate beats the other.</returns>
    public bool Beats(Vote other) =>
        Beats(Leader, Zxid, PeerEpoch, other.Leader, other.Zxid, other.PeerEpoch);
}
