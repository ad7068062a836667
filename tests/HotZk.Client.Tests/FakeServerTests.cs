using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using HotZk.Common;
using HotZk.Protocol;
using HotZk.Protocol.Records;

namespace HotZk.Client.Tests;

/// <summary>Client behaviour that a real server will not produce on demand, against a scripted in-test server.</summary>
public sealed class FakeServerTests
{
    private sealed class FakeServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public FakeServer() => _listener.Start();

        public string ConnectString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public async Task<Socket> AcceptAsync() => await _listener.AcceptSocketAsync().WaitAsync(TimeSpan.FromSeconds(10));

        public static async Task<byte[]> ReadFrameAsync(Socket s)
        {
            var len = await ReadExactAsync(s, 4);
            return await ReadExactAsync(s, BinaryPrimitives.ReadInt32BigEndian(len));
        }

        public static async Task SendFrameAsync(Socket s, Action<JuteWriter> body)
        {
            using var buf = new ByteBuffer();
            var w = new JuteWriter(buf);
            int start = FrameWriter.Begin(w);
            body(w);
            FrameWriter.End(w, start);
            await s.SendAsync(buf.WrittenMemory);
        }

        /// <summary>Accepts a connection and completes the handshake; returns the socket and the ConnectRequest payload.</summary>
        public async Task<(Socket Socket, byte[] Request)> AcceptSessionAsync(int timeout = 10_000)
        {
            var s = await AcceptAsync();
            var req = await ReadFrameAsync(s);
            // Taken before the send (not after the await, which a busy machine can delay): the client
            // cannot start any clock of its own on this response earlier than this.
            ConnectResponseSentAt = Environment.TickCount64;
            await SendFrameAsync(s, w => new ConnectResponse(0, timeout, 0x1234, new byte[16]).Write(w));
            return (s, req);
        }

        /// <summary>Environment.TickCount64 just before the last connect response was sent.</summary>
        public long ConnectResponseSentAt { get; private set; }

        private static async Task<byte[]> ReadExactAsync(Socket s, int n)
        {
            var b = new byte[n];
            int got = 0;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (got < n)
            {
                int r = await s.ReceiveAsync(b.AsMemory(got), SocketFlags.None, cts.Token);
                if (r == 0) throw new IOException("client closed");
                got += r;
            }
            return b;
        }

        public void Dispose() => _listener.Stop();
    }

    [Fact]
    public async Task SendsTheStandard45ByteConnectRequest()
    {
        using var server = new FakeServer();
        var connecting = ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(10));
        var (s, req) = await server.AcceptSessionAsync();
        await using var c = await connecting;
        Assert.Equal(45, req.Length);
        var cr = JuteRecord.Decode<ConnectRequest>(req);
        Assert.Equal((0L, 10_000, 0L, 16), (cr.SessionId, cr.TimeOut, cr.LastZxidSeen, cr.Passwd!.Length));
        Assert.Equal(0x1234, c.SessionId);
        Assert.Equal(10_000, c.NegotiatedTimeoutMs);
        s.Dispose();
    }

    [Fact]
    public async Task ExpiredConnectResponseFailsTheConnect()
    {
        using var server = new FakeServer();
        var connecting = ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(10), 77, new byte[16]);
        using var s = await server.AcceptAsync();
        var req = JuteRecord.Decode<ConnectRequest>(await FakeServer.ReadFrameAsync(s));
        Assert.Equal(77, req.SessionId);
        await FakeServer.SendFrameAsync(s, w => new ConnectResponse(0, 0, 0, new byte[16]).Write(w));
        var e = await Assert.ThrowsAsync<ZkException>(() => connecting);
        Assert.Equal(ErrorCode.SessionExpired, e.Code);
    }

    [Fact]
    public async Task OutstandingRequestsFailWithConnectionLossWhenTheServerHangsUp()
    {
        using var server = new FakeServer();
        var connecting = ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(10));
        var (s, _) = await server.AcceptSessionAsync();
        await using var c = await connecting;
        var a = c.ExistsAsync("/a");
        var b = c.GetDataAsync("/b");
        await FakeServer.ReadFrameAsync(s);
        await FakeServer.ReadFrameAsync(s);
        s.Dispose();
        Assert.Equal(ErrorCode.ConnectionLoss, (await Assert.ThrowsAsync<ZkException>(() => a.WaitAsync(TimeSpan.FromSeconds(10)))).Code);
        Assert.Equal(ErrorCode.ConnectionLoss, (await Assert.ThrowsAsync<ZkException>(() => b.WaitAsync(TimeSpan.FromSeconds(10)))).Code);
    }

    [Fact]
    public async Task ReplyWithUnexpectedXidDropsTheConnectionAndReattachesTheSession()
    {
        using var server = new FakeServer();
        var connecting = ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(10));
        var (s, _) = await server.AcceptSessionAsync();
        await using var c = await connecting;
        var a = c.ExistsAsync("/a");
        var frame = await FakeServer.ReadFrameAsync(s);
        int xid = BinaryPrimitives.ReadInt32BigEndian(frame);
        await FakeServer.SendFrameAsync(s, w => new ReplyHeader(xid + 1, 5, ErrorCode.NoNode).Write(w));
        Assert.Equal(ErrorCode.ConnectionLoss, (await Assert.ThrowsAsync<ZkException>(() => a.WaitAsync(TimeSpan.FromSeconds(10)))).Code);

        var (s2, req2) = await server.AcceptSessionAsync();
        var cr = JuteRecord.Decode<ConnectRequest>(req2);
        Assert.Equal(0x1234, cr.SessionId);
        s.Dispose();
        s2.Dispose();
    }

    [Fact]
    public async Task NotificationIsDispatchedBeforeTheReplyThatFollowsIt()
    {
        using var server = new FakeServer();
        var connecting = ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(10));
        var (s, _) = await server.AcceptSessionAsync();
        await using var c = await connecting;
        var events = new EventRecorder();
        var watchRead = c.ExistsAsync("/w", events.Watcher);
        var f1 = await FakeServer.ReadFrameAsync(s);
        await FakeServer.SendFrameAsync(s, w => new ReplyHeader(BinaryPrimitives.ReadInt32BigEndian(f1), 1, ErrorCode.NoNode).Write(w));
        Assert.Null(await watchRead);

        var create = c.CreateAsync("/w", null, Acl.OpenAclUnsafe);
        var f2 = await FakeServer.ReadFrameAsync(s);
        // One send holding the notification then the reply.
        await FakeServer.SendFrameAsync(s, w =>
        {
            new ReplyHeader(-1, -1, ErrorCode.Ok).Write(w);
            new WatcherEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/w").Write(w);
        });
        await FakeServer.SendFrameAsync(s, w =>
        {
            new ReplyHeader(BinaryPrimitives.ReadInt32BigEndian(f2), 2, ErrorCode.Ok).Write(w);
            new CreateResponse("/w").Write(w);
        });
        Assert.Equal("/w", await create);
        Assert.Equal([EventRecorder.Node(EventType.NodeCreated, "/w")], events.Events);
        Assert.Equal(2, c.LastZxidSeen);
        s.Dispose();
    }

    [Fact]
    public async Task IdleClientPings()
    {
        using var server = new FakeServer();
        var connecting = ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(3));
        var (s, _) = await server.AcceptSessionAsync(timeout: 3000);
        // The client's idle clock starts when it reads the connect response: time from just before that
        // response was sent (a CI run saw 424 ms when timed from the accept's continuation, which a
        // busy machine delayed, and session 3's from the connect task's resumption).
        long started = server.ConnectResponseSentAt;
        await using var c = await connecting;
        var ping = await FakeServer.ReadFrameAsync(s);
        long waited = Environment.TickCount64 - started;
        Assert.Equal(new RequestHeader(-2, OpCode.Ping), JuteRecord.Decode<RequestHeader>(ping));
        Assert.Equal(8, ping.Length);
        // Java pings after a third of the timeout when idle: about 1 s here.
        Assert.InRange(waited, 500, 2500);
        s.Dispose();
    }
}
