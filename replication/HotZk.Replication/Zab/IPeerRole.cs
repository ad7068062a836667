using HotZk.Replication.Transport;

namespace HotZk.Replication.Zab;

/// <summary>What a <see cref="ZabPeer"/> does once an election decided (one class per role).</summary>
internal interface IPeerRole
{
    void Start();

    void Stop();

    void OnTick();

    void OnLinkUp(long peer);

    void OnLinkDown(long peer);

    void OnPacket(long from, QuorumPacket packet);

    void OnDurable(long zxid);
}
