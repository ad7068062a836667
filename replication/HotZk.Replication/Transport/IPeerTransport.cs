namespace HotZk.Replication.Transport;

/// <summary>
/// Links between ensemble members: at most one link per pair of servers, carrying packets both ways,
/// in order and without loss or duplication for as long as that link lives (TCP semantics). A link
/// that breaks is reported once; packets sent while no link exists are dropped (the protocol
/// re-syncs over the next link). Implemented over TCP for real and in memory for simulation.
/// </summary>
/// <remarks>
/// All <see cref="IPeerTransportListener"/> callbacks for one server arrive on one thread at a time,
/// in the order the packets arrived on each link.
/// </remarks>
public interface IPeerTransport : IDisposable
{
    /// <summary>This server's id.</summary>
    long MyId { get; }

    /// <summary>Receives packets and link events. Set once, before <see cref="Start"/>.</summary>
    IPeerTransportListener? Listener { get; set; }

    /// <summary>Begins listening and dialing; links come up in the background.</summary>
    void Start();

    /// <summary>Queues <paramref name="packet"/> on the link to <paramref name="to"/>; dropped when there is none. Never blocks.</summary>
    void Send(long to, QuorumPacket packet);

    /// <summary>True when a link to <paramref name="to"/> is up.</summary>
    bool IsConnected(long to);

    /// <summary>Breaks the link to <paramref name="to"/> (both ends see it go down); it is re-established later.</summary>
    void Disconnect(long to);
}

/// <summary>Receives what arrives over an <see cref="IPeerTransport"/>.</summary>
public interface IPeerTransportListener
{
    /// <summary>A link to <paramref name="peer"/> came up.</summary>
    void OnLinkUp(long peer);

    /// <summary>A packet arrived from <paramref name="from"/>.</summary>
    void OnPacket(long from, QuorumPacket packet);

    /// <summary>The link to <paramref name="peer"/> went down; packets in flight on it are lost.</summary>
    void OnLinkDown(long peer);
}
