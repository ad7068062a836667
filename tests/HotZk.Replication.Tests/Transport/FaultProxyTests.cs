using HotZk.Replication.Transport;
using static HotZk.Replication.Tests.Transport.TransportTestHelpers;

namespace HotZk.Replication.Tests.Transport;

public sealed class FaultProxyTests
{
    [Fact]
    public void ThroughAProxy_TrafficFlows_APartitionKeepsTheLinkDown_AndHealingBringsItBack()
    {
        var log = new TestLog();
        var l1 = new RecordingListener("t1");
        var l2 = new RecordingListener("t2");
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)]);
        using var proxy = new FaultProxy(t2.LocalPort);
        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, proxy.ListenPort)]);
        WaitLinked(l1, 1, l2, 2);

        Exchange(t1, l1, t2, l2, 100);
        proxy.DelayMs = 20;
        Exchange(t1, l1, t2, l2, 10);
        proxy.DelayMs = 0;

        proxy.Blocked = true;
        l1.WaitUntil(() => l1.Downs(2) == 1, "dialer side down in the partition");
        l2.WaitUntil(() => l2.Downs(1) == 1, "acceptor side down in the partition");
        // The dialer keeps retrying through the partition; none of its attempts may bring a link up.
        int acceptedBefore = proxy.Accepted;
        l1.WaitUntil(() => proxy.Accepted >= acceptedBefore + 3, "three more dial attempts during the partition");
        Assert.False(t1.IsConnected(2) || t2.IsConnected(1), "a link is up through a blocked proxy");
        Assert.Equal(1, l1.Ups(2));
        Assert.Equal(1, l2.Ups(1));

        proxy.Blocked = false;
        WaitLinked(l1, 1, l2, 2, times: 2);
        Exchange(t1, l1, t2, l2, 10);

        proxy.Drop();
        l1.WaitUntil(() => l1.Downs(2) == 2, "dialer side down after a drop");
        WaitLinked(l1, 1, l2, 2, times: 3);
        Exchange(t1, l1, t2, l2, 10);
        l1.AssertContractKept();
        l2.AssertContractKept();
    }

    /// <summary>Sends <paramref name="count"/> numbered packets each way and checks they all arrive in order.</summary>
    private static void Exchange(TcpPeerTransport t1, RecordingListener l1, TcpPeerTransport t2, RecordingListener l2, int count)
    {
        int before1 = l1.PacketCount;
        int before2 = l2.PacketCount;
        for (var i = 0; i < count; i++)
        {
            t1.Send(2, new QuorumPacket(PacketType.Proposal, i, BitConverter.GetBytes(i)));
            t2.Send(1, new QuorumPacket(PacketType.Commit, i, BitConverter.GetBytes(i)));
        }
        l1.WaitUntil(() => l1.PacketCount == before1 + count, $"{count} packets at 1");
        l2.WaitUntil(() => l2.PacketCount == before2 + count, $"{count} packets at 2");
        List<(long From, QuorumPacket Packet)> at1 = l1.Packets;
        List<(long From, QuorumPacket Packet)> at2 = l2.Packets;
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i, at1[before1 + i].Packet.Zxid);
            Assert.Equal(i, BitConverter.ToInt32(at1[before1 + i].Packet.Data.Span));
            Assert.Equal(i, at2[before2 + i].Packet.Zxid);
        }
    }
}
