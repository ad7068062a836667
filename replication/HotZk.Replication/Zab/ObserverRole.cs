namespace HotZk.Replication.Zab;

/// <summary>OBSERVING: a learner without a vote; it receives committed txns only.</summary>
internal sealed class ObserverRole(ZabPeer peer, long leader) : LearnerRole(peer, leader)
{
    protected override bool IsObserver => true;
}
