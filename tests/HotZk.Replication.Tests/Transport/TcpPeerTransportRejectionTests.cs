using System.Buffers.Binary;
using HotZk.Replication.Transport;
using static HotZk.Replication.Tests.Transport.TransportTestHelpers;

namespace HotZk.Replication.Tests.Transport;

public sealed class TcpPeerTransportRejectionTests
{
    [Theory]
    [InlineData(0x1122334455667788L, 1L, 2L, "wrong magic")]
    [InlineData(RawPeer.Magic, 9L, 2L, "unknown sender id 9")]
    [InlineData(RawPeer.Magic, 3L, 2L, "sender id 3 is not lower than mine")]
    [InlineData(RawPeer.Magic, 2L, 2L, "sender id 2 is not lower than mine")]
    [InlineData(RawPeer.Magic, 1L, 5L, "receiver id 5 is not mine")]
    public void BadHandshake_IsRejectedAndLogged_AndTheTransportKeepsWorking(long magic, long sender, long receiver, string logged)
    {
        var log = new TestLog();
        var l3 = new RecordingListener("t3");
        var l2 = new RecordingListener("t2");
        var l1 = new RecordingListener("t1");
        using TcpPeerTransport t3 = Start(3, l3, log, [Addr(1, 0), Addr(2, 0)]);
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0), Addr(3, t3.LocalPort)]);
        WaitLinked(l2, 2, l3, 3);

        using (var raw = new RawPeer(t2.LocalPort))
        {
            raw.SendHandshake(magic, sender, receiver);
            Assert.True(raw.WaitClosed(), "the bad handshake was not answered by closing the connection");
        }
        log.WaitFor($"rejected connection from 127.0.0.1:");
        log.WaitFor(logged);
        Assert.Equal(0, l2.Ups(1) + l2.Ups(9) + l2.Downs(3));

        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, t2.LocalPort), Addr(3, t3.LocalPort)]);
        WaitLinked(l1, 1, l2, 2);
        t1.Send(2, new QuorumPacket(PacketType.Ping, 1));
        l2.WaitUntil(() => l2.PacketCount == 1, "a packet from 1 after the rejection");
        Assert.True(t2.IsConnected(3));
        l2.AssertContractKept();
    }

    [Fact]
    public void NewConnectionFromALinkedPeer_ReplacesTheOldLink_WhichGoesDownFirst()
    {
        var log = new TestLog();
        var l2 = new RecordingListener("t2");
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)]);
        using var first = new RawPeer(t2.LocalPort);
        first.SendHandshake(RawPeer.Magic, 1, 2);
        first.ExpectReply(2, 1);
        l2.WaitUntil(() => l2.IsUp(1), "first link up");

        using var second = new RawPeer(t2.LocalPort);
        second.SendHandshake(RawPeer.Magic, 1, 2);
        second.ExpectReply(2, 1);
        l2.WaitUntil(() => l2.Ups(1) == 2 && l2.IsUp(1), "second link up");
        Assert.Equal(1, l2.Downs(1));
        Assert.True(first.WaitClosed(), "the replaced connection stayed open");
        second.SendFrame((byte)PacketType.Ping, 3, []);
        l2.WaitUntil(() => l2.PacketCount == 1, "a packet over the replacing link");
        log.WaitFor("replaced by a new connection");
        l2.AssertContractKept(); // the old link's down came before the new one's up
    }

    [Fact]
    public void SilentConnection_IsRejectedAfterTheConnectTimeout()
    {
        var log = new TestLog();
        var l2 = new RecordingListener("t2");
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)],
            options: new TcpPeerTransportOptions { ConnectTimeout = TimeSpan.FromMilliseconds(200) });
        using var raw = new RawPeer(t2.LocalPort);
        Assert.True(raw.WaitClosed(3000), "a connection that never sends a handshake was kept open");
        log.WaitFor("handshake timed out");
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData((64 << 20) + 1025)]
    [InlineData(8)]
    [InlineData(0)]
    [InlineData(-1)]
    public void BadFrameLength_ClosesTheLink_WithoutAllocatingIt_AndTheTransportKeepsWorking(int length)
    {
        var log = new TestLog();
        var l2 = new RecordingListener("t2");
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)]);

        using (var raw = new RawPeer(t2.LocalPort))
        {
            raw.SendHandshake(RawPeer.Magic, 1, 2);
            raw.ExpectReply(2, 1);
            l2.WaitUntil(() => l2.IsUp(1), "link from the raw peer up");
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var prefix = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(prefix, length);
            raw.Send(prefix);
            l2.WaitUntil(() => l2.Downs(1) == 1, "link down after the bad length");
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            // Only a huge bogus length is measured: other tests running in parallel allocate too.
            if (length > 1 << 30)
                Assert.True(allocated < 1L << 30, $"{allocated} bytes allocated while rejecting a frame of length {length}");
            Assert.True(raw.WaitClosed(), "the connection stayed open");
        }
        log.WaitFor($"bad frame length {length}");

        using (var raw = new RawPeer(t2.LocalPort))
        {
            raw.SendHandshake(RawPeer.Magic, 1, 2);
            raw.ExpectReply(2, 1);
            raw.SendFrame((byte)PacketType.Proposal, 42, [5, 6, 7]);
            l2.WaitUntil(() => l2.PacketCount == 1, "a packet over a new link");
        }
        (long from, QuorumPacket packet) = l2.Packets[0];
        Assert.Equal(1, from);
        Assert.Equal(PacketType.Proposal, packet.Type);
        Assert.Equal(42, packet.Zxid);
        Assert.Equal(new byte[] { 5, 6, 7 }, packet.Data.ToArray());
        l2.WaitUntil(() => l2.Downs(1) == 2, "second raw link down");
        l2.AssertContractKept();
    }
}
