namespace HotZk.Replication.Zab;

/// <summary>An immutable picture of a member's place in its ensemble, for monitoring.</summary>
/// <param name="State">LOOKING, FOLLOWING, LEADING or OBSERVING.</param>
/// <param name="LeaderId">The leader (0 while looking).</param>
/// <param name="Epoch">The established epoch (0 until then).</param>
/// <param name="Voters">Voting members in the configuration.</param>
/// <param name="SyncedFollowers">Leader: followers receiving the broadcast.</param>
/// <param name="SyncedObservers">Leader: observers receiving commits.</param>
/// <param name="PendingSyncs">Leader: forwarded syncs waiting for their commit point.</param>
public sealed record QuorumStatus(PeerState State, long LeaderId, long Epoch, int Voters, int SyncedFollowers, int SyncedObservers, int PendingSyncs)
{
    /// <summary>mntr's quorum keys, as ZooKeeper names them.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> ToMetrics()
    {
        string phase = Epoch > 0 ? "broadcast" : "synchronization";
        var list = new List<KeyValuePair<string, string>>
        {
            new("zk_peer_state", State == PeerState.Looking ? "looking" : $"{State.ToString().ToLowerInvariant()} - {phase}"),
            new("zk_quorum_size", Voters.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        if (State == PeerState.Leading)
        {
            list.Add(new("zk_learners", (SyncedFollowers + SyncedObservers).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            list.Add(new("zk_synced_followers", SyncedFollowers.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            list.Add(new("zk_synced_non_voting_followers", "0"));
            list.Add(new("zk_synced_observers", SyncedObservers.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            list.Add(new("zk_pending_syncs", PendingSyncs.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return list;
    }
}
