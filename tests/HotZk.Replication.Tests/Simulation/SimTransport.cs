using HotZk.Replication.Transport;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>One server process's end of the <see cref="SimNetwork"/>; dead once the process crashed.</summary>
internal sealed class SimTransport(SimNetwork network, long myId) : IPeerTransport
{
    public long MyId { get; } = myId;

    public IPeerTransportListener? Listener { get; set; }

    public bool Alive { get; set; } = true;

    public void Start()
    {
    }

    public void Send(long to, QuorumPacket packet)
    {
        if (Alive) network.Send(MyId, to, packet);
    }

    public bool IsConnected(long to) => Alive && network.IsConnected(MyId, to);

    public void Disconnect(long to)
    {
        if (Alive) network.Disconnect(MyId, to);
    }

    public void Dispose() => Alive = false;
}
