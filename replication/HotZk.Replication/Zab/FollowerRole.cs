namespace HotZk.Replication.Zab;

/// <summary>FOLLOWING: a voting learner.</summary>
internal sealed class FollowerRole(ZabPeer peer, long leader) : LearnerRole(peer, leader)
{
    protected override bool IsObserver => false;
}
