using HotZk.Common;

namespace HotZk.Integration.Tests;

public sealed class HandshakeTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public Task InitializeAsync()
    {
        _server = TestServer.Start(tweak: c => c with { TickTime = 2000 });
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _server.DisposeAndDeleteAsync();

    [Theory]
    [InlineData(true, 37)]
    [InlineData(false, 36)]
    public async Task ConnectResponseMirrorsTheClientsReadOnlyByte(bool readOnlyByte, int expectedLength)
    {
        using var zk = await RawZk.OpenAsync(_server.Endpoint);
        await zk.SendFrameAsync(RawZk.ConnectRequest(30000, 0, new byte[16], 0, readOnlyByte));
        var resp = await zk.ReadFrameAsync();
        Assert.NotNull(resp);
        Assert.Equal(expectedLength, resp!.Length);
    }

    [Theory]
    [InlineData(1000, 4000)]
    [InlineData(100000, 40000)]
    [InlineData(10000, 10000)]
    public async Task TimeoutIsClampedBetweenTwoAndTwentyTicks(int asked, int negotiated)
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint, timeout: asked);
        Assert.Equal(negotiated, zk.Timeout);
    }

    [Fact]
    public async Task ReattachWithSessionIdAndPasswordKeepsTheSessionAndItsEphemerals()
    {
        using var first = await RawZk.ConnectAsync(_server.Endpoint);
        Assert.Equal(0, (await first.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/eph-reattach", flags: 1))).Err);
        using var second = await RawZk.ConnectAsync(_server.Endpoint, sessionId: first.SessionId, passwd: first.Password);
        Assert.Equal(first.SessionId, second.SessionId);
        Assert.True(await first.IsClosedByServerAsync()); // the old connection loses the session
        var (err, _, _, _) = await second.CallAsync(2, OpCode.Exists, w => { w.WriteString("/eph-reattach"); w.WriteBool(false); });
        Assert.Equal(0, err);
    }

    [Fact]
    public async Task WrongPasswordGetsAnExpiredReplyAndClose()
    {
        using var first = await RawZk.ConnectAsync(_server.Endpoint);
        var bad = (byte[])first.Password.Clone();
        bad[0] ^= 0xFF;
        using var second = await RawZk.OpenAsync(_server.Endpoint);
        await second.SendFrameAsync(RawZk.ConnectRequest(30000, first.SessionId, bad, 0, true));
        var resp = await second.ReadFrameAsync();
        Assert.NotNull(resp);
        var r = new JuteReader(resp!);
        r.ReadInt();
        Assert.Equal(0, r.ReadInt());   // timeOut 0 = expired
        Assert.Equal(0L, r.ReadLong()); // sessionId 0
        Assert.True(await second.IsClosedByServerAsync());
    }

    [Fact]
    public async Task UnknownSessionIdGetsAnExpiredReply()
    {
        using var zk = await RawZk.OpenAsync(_server.Endpoint);
        await zk.SendFrameAsync(RawZk.ConnectRequest(30000, 0x0123456789L, new byte[16], 0, true));
        var resp = await zk.ReadFrameAsync();
        var r = new JuteReader(resp!);
        r.ReadInt();
        Assert.Equal(0, r.ReadInt());
    }

    [Fact]
    public async Task ClientAheadOfTheServerIsClosedWithoutAReply()
    {
        using var zk = await RawZk.OpenAsync(_server.Endpoint);
        await zk.SendFrameAsync(RawZk.ConnectRequest(30000, 0, new byte[16], lastZxid: 1L << 40, readOnlyByte: true));
        Assert.Null(await zk.ReadFrameAsync());
    }

    [Fact]
    public async Task RequestsPipelinedBehindTheConnectRequestAreAnsweredInOrder()
    {
        using var zk = await RawZk.OpenAsync(_server.Endpoint);
        await zk.SendFrameAsync(RawZk.ConnectRequest(30000, 0, new byte[16], 0, true));
        await zk.SendFrameAsync(RawZk.Request(1, OpCode.Create, w => RawZk.Create(w, "/pipelined")));
        await zk.SendFrameAsync(RawZk.Request(2, OpCode.Exists, w => { w.WriteString("/pipelined"); w.WriteBool(false); }));
        var connect = await zk.ReadFrameAsync();
        Assert.Equal(37, connect!.Length);
        var r1 = new JuteReader((await zk.ReadFrameAsync())!);
        Assert.Equal(1, r1.ReadInt());
        var r2 = new JuteReader((await zk.ReadFrameAsync())!);
        Assert.Equal(2, r2.ReadInt());
        r2.ReadLong();
        Assert.Equal(0, r2.ReadInt()); // the read saw the earlier write
    }

    [Fact]
    public async Task PingRepliesUseXidMinusTwo()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        await zk.SendFrameAsync(RawZk.Request(-2, OpCode.Ping));
        var f = await zk.ReadFrameAsync();
        Assert.Equal(16, f!.Length);
        Assert.Equal(-2, new JuteReader(f).ReadInt());
    }

    [Fact]
    public async Task CloseSessionRepliesThenClosesAndRemovesEphemerals()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/eph-close", flags: 1))).Err);
        Assert.Equal(0, (await zk.CallAsync(2, OpCode.CloseSession)).Err);
        Assert.True(await zk.IsClosedByServerAsync());
        using var other = await RawZk.ConnectAsync(_server.Endpoint);
        Assert.Equal((int)ErrorCode.NoNode, (await other.CallAsync(1, OpCode.Exists, w => { w.WriteString("/eph-close"); w.WriteBool(false); })).Err);
    }

    [Fact]
    public async Task WatchEventArrivesBeforeTheReplyOfTheWriteThatFiredIt()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        Assert.Equal((int)ErrorCode.NoNode, (await zk.CallAsync(1, OpCode.Exists, w => { w.WriteString("/watched"); w.WriteBool(true); })).Err);
        var (err, _, _, events) = await zk.CallAsync(2, OpCode.Create, w => RawZk.Create(w, "/watched"));
        Assert.Equal(0, err);
        Assert.Equal([(EventType.NodeCreated, "/watched")], events);
    }

    [Fact]
    public async Task FourLetterWordsAnswerAndClose()
    {
        using var zk = await RawZk.OpenAsync(_server.Endpoint);
        await zk.SendRawAsync("ruok"u8.ToArray());
        var buf = new byte[16];
        using var s = new System.Net.Sockets.TcpClient();
        await s.ConnectAsync(_server.Endpoint);
        var stream = s.GetStream();
        await stream.WriteAsync("srvr"u8.ToArray());
        using var reader = new StreamReader(stream);
        string text = await reader.ReadToEndAsync();
        Assert.Contains("Mode: standalone", text);
        Assert.Contains("Node count: 5", text);
        Assert.Matches(@"Zxid: 0x[0-9a-f]+", text);
    }
}
