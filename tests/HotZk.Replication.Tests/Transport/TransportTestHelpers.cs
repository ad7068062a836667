using HotZk.Replication.Transport;

namespace HotZk.Replication.Tests.Transport;

/// <summary>Builds loopback transports for tests.</summary>
public static class TransportTestHelpers
{
    public const string Loopback = "127.0.0.1";

    public static PeerAddress Addr(long id, int port) => new(id, Loopback, port);

    /// <summary>Starts transport <paramref name="id"/> on an ephemeral loopback port (or <paramref name="port"/>).</summary>
    public static TcpPeerTransport Start(long id, RecordingListener listener, TestLog log, PeerAddress[] peers,
        int port = 0, TcpPeerTransportOptions? options = null)
    {
        var transport = new TcpPeerTransport(Addr(id, port), peers, log.Sink, options) { Listener = listener };
        transport.Start();
        return transport;
    }

    /// <summary>Waits until both ends report the link between them up (at least <paramref name="times"/> times).</summary>
    public static void WaitLinked(RecordingListener a, long aId, RecordingListener b, long bId, int times = 1)
    {
        a.WaitUntil(() => a.IsUp(bId) && a.Ups(bId) >= times, $"link to {bId} up (#{times})");
        b.WaitUntil(() => b.IsUp(aId) && b.Ups(aId) >= times, $"link to {aId} up (#{times})");
    }
}
