using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HotZk.Replication.Transport;
using static HotZk.Replication.Tests.Transport.TransportTestHelpers;

namespace HotZk.Replication.Tests.Transport;

public sealed class TcpPeerTransportTests
{
    private static readonly PacketType[] Types = [PacketType.Proposal, PacketType.Commit, PacketType.Ack, PacketType.Snap, PacketType.Vote];

    [Fact]
    public async Task TwoTransports_Exchange10kPacketsEachWay_InOrderAndIntact()
    {
        const int count = 10_000;
        int[] sizes = PacketSizes(count);
        var log = new TestLog();
        var l1 = new RecordingListener("t1");
        var l2 = new RecordingListener("t2");
        var errors = new List<string>();
        l1.PacketHook = Verifier(2, sizes, errors);
        l2.PacketHook = Verifier(1, sizes, errors);
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)]);
        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, t2.LocalPort)]);
        WaitLinked(l1, 1, l2, 2);

        var sendTasks = new[]
        {
            Task.Run(() => SendAll(t1, 1, 2, sizes)),
            Task.Run(() => SendAll(t2, 2, 1, sizes)),
        };
        await Task.WhenAll(sendTasks).WaitAsync(TimeSpan.FromSeconds(10));
        l1.WaitUntil(() => l1.PacketCount == count || errors.Count > 0, $"{count} packets from 2", 10_000);
        l2.WaitUntil(() => l2.PacketCount == count || errors.Count > 0, $"{count} packets from 1", 10_000);
        lock (errors)
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(count, l1.PacketCount);
        Assert.Equal(count, l2.PacketCount);
        l1.AssertContractKept();
        l2.AssertContractKept();
    }

    /// <summary>
    /// Sends grouped in <see cref="SendBatch"/> scopes (as the peer loop sends) into a receiver that
    /// stalls at first: the socket stops taking bytes mid-frame, the rest goes through the writer task,
    /// and later inline flushes must queue behind it. Everything arrives once, in order, intact.
    /// </summary>
    [Fact]
    public async Task BatchedSends_IntoAStalledReceiver_ArriveInOrderAndIntact()
    {
        const int count = 5_000;
        int[] sizes = PacketSizes(count);
        var log = new TestLog();
        using var stall = new ManualResetEventSlim(false);
        var errors = new List<string>();
        var verify = Verifier(1, sizes, errors);
        var l1 = new RecordingListener("t1");
        var l2 = new RecordingListener("t2")
        {
            PacketHook = (from, packet) =>
            {
                stall.Wait(TimeSpan.FromSeconds(10));
                verify(from, packet);
            },
        };
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)]);
        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, t2.LocalPort)]);
        WaitLinked(l1, 1, l2, 2);

        var send = Task.Run(() =>
        {
            var random = new Random(7);
            var i = 0;
            while (i < count)
            {
                SendBatch.Begin();
                try
                {
                    for (int n = random.Next(1, 65); n > 0 && i < count; n--, i++)
                        SendOne(t1, 1, 2, i, sizes[i]);
                }
                finally
                {
                    SendBatch.End();
                }
            }
        });
        await Task.Delay(500);
        stall.Set();
        await send.WaitAsync(TimeSpan.FromSeconds(20));
        l2.WaitUntil(() => l2.PacketCount == count || errors.Count > 0, $"{count} packets from 1", 20_000);
        lock (errors)
            Assert.True(errors.Count == 0, string.Join("\n", errors));
        Assert.Equal(count, l2.PacketCount);
        Assert.Equal(0, l1.Downs(2));
        l1.AssertContractKept();
        l2.AssertContractKept();
    }

    [Fact]
    public void ThreeTransports_EveryPairLinks_AndTheHigherIdNeverDials()
    {
        var log = new TestLog();
        // Where 3 and 2 believe the lower ids live: any connection here means a higher id dialed.
        using var trap = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        trap.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        trap.Listen(8);
        int trapPort = ((IPEndPoint)trap.LocalEndPoint!).Port;

        var l3 = new RecordingListener("t3");
        var l2 = new RecordingListener("t2");
        var l1 = new RecordingListener("t1");
        using TcpPeerTransport t3 = Start(3, l3, log, [Addr(1, trapPort), Addr(2, trapPort)]);
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, trapPort), Addr(3, t3.LocalPort)]);
        WaitLinked(l2, 2, l3, 3);

        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, t2.LocalPort), Addr(3, t3.LocalPort)]);
        WaitLinked(l1, 1, l2, 2);
        WaitLinked(l1, 1, l3, 3);
        Thread.Sleep(300); // three reconnect delays: time for a wrong dial to show

        Assert.False(trap.Poll(0, SelectMode.SelectRead), "a higher id dialed a lower one");
        foreach ((RecordingListener l, long a, long b) in new[] { (l1, 2L, 3L), (l2, 1L, 3L), (l3, 1L, 2L) })
        {
            Assert.Equal(1, l.Ups(a));
            Assert.Equal(1, l.Ups(b));
            Assert.Equal(0, l.Downs(a) + l.Downs(b));
            l.AssertContractKept();
        }
        Assert.True(t1.IsConnected(2) && t1.IsConnected(3) && t2.IsConnected(1) && t3.IsConnected(2));
    }

    [Fact]
    public void KilledPeer_IsReportedDownOnce_AndTheDialerReconnectsWhenItRestartsOnTheSamePort()
    {
        var log = new TestLog();
        var l1 = new RecordingListener("t1");
        var l2 = new RecordingListener("t2");
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)]);
        int port = t2.LocalPort;
        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, port)]);
        WaitLinked(l1, 1, l2, 2);

        var stopwatch = Stopwatch.StartNew();
        t2.Dispose();
        stopwatch.Stop();
        Assert.True(stopwatch.ElapsedMilliseconds < 1500, $"Dispose took {stopwatch.ElapsedMilliseconds} ms");
        Assert.Equal(1, l2.Downs(1)); // reported by Dispose itself
        l1.WaitUntil(() => l1.Downs(2) == 1, "link to 2 down");
        Assert.False(t1.IsConnected(2));
        Thread.Sleep(250); // dial attempts fail meanwhile; none may report anything
        Assert.Equal(1, l1.Ups(2));

        var l2b = new RecordingListener("t2 restarted");
        using TcpPeerTransport t2b = Start(2, l2b, log, [Addr(1, 0)], port);
        l1.WaitUntil(() => l1.Ups(2) == 2 && l1.IsUp(2), "link to 2 up again");
        l2b.WaitUntil(() => l2b.IsUp(1), "link to 1 up");
        t1.Send(2, new QuorumPacket(PacketType.Ping, 7, new byte[] { 1, 2, 3 }));
        l2b.WaitUntil(() => l2b.PacketCount == 1, "packet over the new link");
        Assert.Equal(new byte[] { 1, 2, 3 }, l2b.Packets[0].Packet.Data.ToArray());
        Assert.Equal(1, l1.Downs(2));
        l1.AssertContractKept();
        l2.AssertContractKept();
        l2b.AssertContractKept();
    }

    [Fact]
    public void Disconnect_TakesBothEndsDown_ThenTheLinkComesBack()
    {
        var log = new TestLog();
        var l1 = new RecordingListener("t1");
        var l2 = new RecordingListener("t2");
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)]);
        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, t2.LocalPort)]);
        WaitLinked(l1, 1, l2, 2);

        t1.Disconnect(2); // from the dialer
        Assert.False(t1.IsConnected(2));
        l1.WaitUntil(() => l1.Downs(2) == 1, "dialer side down");
        l2.WaitUntil(() => l2.Downs(1) == 1, "acceptor side down");
        WaitLinked(l1, 1, l2, 2, times: 2);

        t2.Disconnect(1); // from the acceptor
        l1.WaitUntil(() => l1.Downs(2) == 2, "dialer side down again");
        l2.WaitUntil(() => l2.Downs(1) == 2, "acceptor side down again");
        WaitLinked(l1, 1, l2, 2, times: 3);
        Assert.True(t1.IsConnected(2) && t2.IsConnected(1));
        l1.AssertContractKept();
        l2.AssertContractKept();
    }

    [Fact]
    public async Task ListenerCallbacks_NeverOverlap_WithTwoLinksDeliveringAtOnce()
    {
        const int count = 2000;
        var log = new TestLog();
        var l3 = new RecordingListener("t3") { PacketHook = (_, _) => Thread.SpinWait(200) }; // widen the window
        var l1 = new RecordingListener("t1") { PacketHook = (_, _) => { } };
        var l2 = new RecordingListener("t2") { PacketHook = (_, _) => { } };
        using TcpPeerTransport t3 = Start(3, l3, log, [Addr(1, 0), Addr(2, 0)]);
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0), Addr(3, t3.LocalPort)]);
        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, t2.LocalPort), Addr(3, t3.LocalPort)]);
        WaitLinked(l1, 1, l3, 3);
        WaitLinked(l2, 2, l3, 3);
        WaitLinked(l1, 1, l2, 2);

        var payload = new byte[100];
        Task[] senders =
        [
            Task.Run(() => { for (var i = 0; i < count; i++) t1.Send(3, new QuorumPacket(PacketType.Ack, i, payload)); }),
            Task.Run(() => { for (var i = 0; i < count; i++) t2.Send(3, new QuorumPacket(PacketType.Ack, i, payload)); }),
            Task.Run(() => { for (var i = 0; i < count; i++) { t3.Send(1, new QuorumPacket(PacketType.Commit, i)); t3.Send(2, new QuorumPacket(PacketType.Commit, i)); } }),
        ];
        await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(5));
        l3.WaitUntil(() => l3.PacketCount == 2 * count, "every packet at 3", 10_000);
        l1.WaitUntil(() => l1.PacketCount == count, "every packet at 1");
        l2.WaitUntil(() => l2.PacketCount == count, "every packet at 2");
        t3.Disconnect(1); // link events race with packets too
        l3.WaitUntil(() => l3.Ups(1) == 2 && l3.IsUp(1), "link to 1 back");
        l3.AssertContractKept();
        l1.AssertContractKept();
        l2.AssertContractKept();
    }

    [Fact]
    public void OutgoingQueueOverTheLimit_BreaksTheLink_InsteadOfGrowing()
    {
        var log = new TestLog();
        using var gate = new ManualResetEventSlim(false);
        var l1 = new RecordingListener("t1");
        var l2 = new RecordingListener("t2") { PacketHook = (_, _) => gate.Wait(TimeSpan.FromSeconds(10)) }; // a stuck receiver
        using TcpPeerTransport t2 = Start(2, l2, log, [Addr(1, 0)]);
        using TcpPeerTransport t1 = Start(1, l1, log, [Addr(2, t2.LocalPort)],
            options: new TcpPeerTransportOptions { MaxQueuedBytes = 4 << 20 });
        try
        {
            WaitLinked(l1, 1, l2, 2);
            var megabyte = new byte[1 << 20];
            for (var i = 0; i < 64 && l1.Downs(2) == 0; i++)
                t1.Send(2, new QuorumPacket(PacketType.Snap, i, megabyte));
            l1.WaitUntil(() => l1.Downs(2) == 1, "link broken by the queue limit");
            log.WaitFor("outgoing queue over");
        }
        finally
        {
            gate.Set();
        }
        WaitLinked(l1, 1, l2, 2, times: 2);
        l1.AssertContractKept();
        l2.AssertContractKept();
    }

    private static int[] PacketSizes(int count)
    {
        var random = new Random(12345);
        var sizes = new int[count];
        for (var i = 0; i < count; i++)
        {
            sizes[i] = (i % 1000) switch
            {
                0 => 0,
                1 => 1 << 20, // the largest
                _ when i % 100 == 7 => random.Next(0, 256 * 1024),
                _ => random.Next(0, 2000),
            };
        }
        return sizes;
    }

    private static byte PayloadByte(long sender, int index, int offset) => (byte)((sender * 97) + (index * 131) + (offset * 7) + (offset >> 8));

    private static void SendAll(TcpPeerTransport transport, long me, long to, int[] sizes)
    {
        for (var i = 0; i < sizes.Length; i++)
            SendOne(transport, me, to, i, sizes[i]);
    }

    private static void SendOne(TcpPeerTransport transport, long me, long to, int index, int size)
    {
        var data = new byte[size];
        for (var k = 0; k < data.Length; k++)
            data[k] = PayloadByte(me, index, k);
        transport.Send(to, new QuorumPacket(Types[index % Types.Length], (me << 32) | (uint)index, data));
    }

    /// <summary>Checks each packet from <paramref name="sender"/> against the next expected one; records the first mismatch.</summary>
    private static Action<long, QuorumPacket> Verifier(long sender, int[] sizes, List<string> errors)
    {
        var next = 0;
        return (from, packet) =>
        {
            string? error = null;
            if (from != sender)
                error = $"packet from {from}, expected {sender}";
            else if (next >= sizes.Length)
                error = $"extra packet {packet} from {sender}";
            else if (packet.Zxid != ((sender << 32) | (uint)next) || packet.Type != Types[next % Types.Length] || packet.Data.Length != sizes[next])
                error = $"from {sender}: got {packet}, expected #{next} of {sizes[next]} B";
            else
            {
                ReadOnlySpan<byte> data = packet.Data.Span;
                for (var k = 0; k < data.Length; k++)
                {
                    if (data[k] != PayloadByte(sender, next, k))
                    {
                        error = $"from {sender}: packet #{next} differs at byte {k}";
                        break;
                    }
                }
            }
            next++;
            if (error is not null)
            {
                lock (errors)
                    errors.Add(error);
            }
        };
    }
}
