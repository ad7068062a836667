using System.Buffers.Binary;
using System.Text;
using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>Malformed and hostile input over a real socket: each is answered as ZooKeeper does and nothing breaks.</summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public Task InitializeAsync()
    {
        _server = TestServer.Start();
        return Task.CompletedTask;
    }

    public Task DisposeAsync() => _server.DisposeAndDeleteAsync();

    private async Task AssertServerStillServesAsync()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        Assert.NotEqual(0, zk.SessionId);
        var (err, _, _, _) = await zk.CallAsync(1, OpCode.Exists, w => { w.WriteString("/zookeeper"); w.WriteBool(false); });
        Assert.Equal(0, err);
    }

    [Fact]
    public async Task FrameLongerThanJuteMaxBufferClosesTheConnection()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var header = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(header, 0xFFFFF + 1);
        await zk.SendRawAsync(header);
        Assert.True(await zk.IsClosedByServerAsync());
        Assert.Contains(_server.LogLines, l => l.Contains("out of range"));
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task NegativeFrameLengthClosesTheConnection()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        await zk.SendRawAsync([0xFF, 0xFF, 0xFF, 0xF0]);
        Assert.True(await zk.IsClosedByServerAsync());
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task HttpGarbageBeforeTheHandshakeClosesTheConnection()
    {
        using var zk = await RawZk.OpenAsync(_server.Endpoint);
        await zk.SendRawAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.True(await zk.IsClosedByServerAsync());
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task TruncatedConnectRequestClosesTheConnection()
    {
        using var zk = await RawZk.OpenAsync(_server.Endpoint);
        await zk.SendFrameAsync([0, 0, 0, 0, 1, 2, 3]);
        Assert.True(await zk.IsClosedByServerAsync());
        Assert.Contains(_server.LogLines, l => l.Contains("malformed ConnectRequest"));
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task UnknownOpcodeGetsUnimplementedAndTheConnectionCloses()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var (err, _, _, _) = await zk.CallAsync(5, (OpCode)77);
        Assert.Equal((int)ErrorCode.Unimplemented, err);
        Assert.True(await zk.IsClosedByServerAsync());
        await AssertServerStillServesAsync();
    }

    [Fact]
    public async Task TopLevelCheckIsRejectedAsUnimplemented()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var (err, _, _, _) = await zk.CallAsync(2, OpCode.Check, w => { w.WriteString("/"); w.WriteInt(-1); });
        Assert.Equal((int)ErrorCode.Unimplemented, err);
        Assert.True(await zk.IsClosedByServerAsync());
    }

    [Fact]
    public async Task MalformedBodyGetsMarshallingErrorAndTheConnectionStaysOpen()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        // A create whose path length claims more bytes than the frame holds.
        var (err, _, body, _) = await zk.CallAsync(3, OpCode.Create, w => w.WriteInt(1000));
        Assert.Equal((int)ErrorCode.MarshallingError, err);
        Assert.Empty(body);
        var (err2, _, _, _) = await zk.CallAsync(4, OpCode.Exists, w => { w.WriteString("/"); w.WriteBool(false); });
        Assert.Equal(0, err2);
    }

    [Fact]
    public async Task MalformedWriteTakesAZxidLikeZooKeepersPrepStage()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var before = await zk.CallAsync(1, OpCode.Exists, w => { w.WriteString("/"); w.WriteBool(false); });
        var bad = await zk.CallAsync(2, OpCode.SetData, w => w.WriteInt(-7));
        Assert.Equal((int)ErrorCode.MarshallingError, bad.Err);
        Assert.Equal(before.Zxid + 1, bad.Zxid);
        var badRead = await zk.CallAsync(3, OpCode.GetData, w => w.WriteInt(-7));
        Assert.Equal((int)ErrorCode.MarshallingError, badRead.Err);
        Assert.Equal(bad.Zxid, badRead.Zxid);
    }

    [Fact]
    public async Task MultiMixingReadsAndWritesIsAMarshallingError()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var (err, _, _, _) = await zk.CallAsync(3, OpCode.Multi, w =>
        {
            w.WriteInt((int)OpCode.GetData); w.WriteBool(false); w.WriteInt(-1);
            w.WriteString("/"); w.WriteBool(false);
            w.WriteInt(-1); w.WriteBool(true); w.WriteInt(-1);
        });
        Assert.Equal((int)ErrorCode.MarshallingError, err);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("/zookeeper/")]
    [InlineData("//b")]
    [InlineData("/.")]
    [InlineData("/..")]
    [InlineData("/a\u0001b")]
    [InlineData("/\ud800x")]
    public async Task InvalidPathsAreBadArgumentsAndCreateNothing(string path)
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var (err, _, _, _) = await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, path));
        Assert.Equal((int)ErrorCode.BadArguments, err);
        var (err2, _, body, _) = await zk.CallAsync(2, OpCode.GetChildren, w => { w.WriteString("/"); w.WriteBool(false); });
        Assert.Equal(0, err2);
        var r = new JuteReader(body);
        Assert.Equal(1, r.ReadInt()); // only "zookeeper"
    }

    /// <summary>
    /// Paths that are not valid UTF-8 decode with replacement characters (the request decoder interns
    /// them like any path): writes reject them as ZooKeeper does, reads find nothing, and nothing is created.
    /// </summary>
    [Theory]
    [InlineData(new byte[] { (byte)'/', (byte)'a', 0xFF })]
    [InlineData(new byte[] { (byte)'/', 0xC3 })]
    [InlineData(new byte[] { (byte)'/', 0xED, 0xA0, 0x80 })]
    public async Task InvalidUtf8PathsAreRejectedOrNotFoundAndCreateNothing(byte[] path)
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        for (int round = 0; round < 2; round++)
        {
            // Twice: the second decode of the same bytes is served from the interner.
            var (create, _, _, _) = await zk.CallAsync(1, OpCode.Create, w => { w.WriteBuffer(path); w.WriteBuffer(new byte[] { 1, 2 }); Acl.WriteList(w, Acl.OpenAclUnsafe); w.WriteInt(0); });
            Assert.Equal((int)ErrorCode.BadArguments, create);
            var (set, _, _, _) = await zk.CallAsync(2, OpCode.SetData, w => { w.WriteBuffer(path); w.WriteBuffer(new byte[] { 1 }); w.WriteInt(-1); });
            Assert.Equal((int)ErrorCode.BadArguments, set);
            var (delete, _, _, _) = await zk.CallAsync(3, OpCode.Delete, w => { w.WriteBuffer(path); w.WriteInt(-1); });
            Assert.Equal((int)ErrorCode.NoNode, delete);
            foreach (bool watch in new[] { false, true })
            {
                var (get, _, _, _) = await zk.CallAsync(4, OpCode.GetData, w => { w.WriteBuffer(path); w.WriteBool(watch); });
                Assert.Equal((int)ErrorCode.NoNode, get);
            }
        }
        var (err, _, body, _) = await zk.CallAsync(5, OpCode.GetChildren, w => { w.WriteString("/"); w.WriteBool(false); });
        Assert.Equal(0, err);
        var r = new JuteReader(body);
        Assert.Equal(1, r.ReadInt()); // only "zookeeper"
    }

    [Fact]
    public async Task MissingParentIsCheckedBeforeTheFullPathAsInZooKeeper()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var (err, _, _, _) = await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/missing//b"));
        Assert.Equal((int)ErrorCode.NoNode, err);
    }

    public static TheoryData<string, string> BadAcls => new()
    {
        { "world", "nobody" },
        { "digest", "nocolon" },
        { "ip", "300.1.1.1" },
        { "ip", "10.0.0.0/40" },
        { "nosuchscheme", "x" },
        { "auth", "" },
    };

    [Theory]
    [MemberData(nameof(BadAcls))]
    public async Task InvalidAclsAreRejected(string scheme, string id)
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var acl = new[] { new Acl(Perms.All, new Id(scheme, id)) };
        var (err, _, _, _) = await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/badacl-" + scheme, acl: acl));
        Assert.Equal((int)ErrorCode.InvalidAcl, err);
    }

    [Fact]
    public async Task EmptyAclListIsInvalid()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var (err, _, _, _) = await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/emptyacl", acl: []));
        Assert.Equal((int)ErrorCode.InvalidAcl, err);
    }

    [Fact]
    public async Task WrongVersionsAreBadVersionAndChangeNothing()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/v", [1]))).Err);
        Assert.Equal((int)ErrorCode.BadVersion, (await zk.CallAsync(2, OpCode.SetData, w => { w.WriteString("/v"); w.WriteBuffer([2]); w.WriteInt(5); })).Err);
        Assert.Equal((int)ErrorCode.BadVersion, (await zk.CallAsync(3, OpCode.Delete, w => { w.WriteString("/v"); w.WriteInt(7); })).Err);
        Assert.Equal((int)ErrorCode.BadVersion, (await zk.CallAsync(4, OpCode.SetAcl, w => { w.WriteString("/v"); Acl.WriteList(w, Acl.OpenAclUnsafe); w.WriteInt(3); })).Err);
        var (err, _, body, _) = await zk.CallAsync(5, OpCode.GetData, w => { w.WriteString("/v"); w.WriteBool(false); });
        Assert.Equal(0, err);
        var r = new JuteReader(body);
        Assert.True(r.ReadBuffer(out var data));
        Assert.Equal(new byte[] { 1 }, data.ToArray());
        var stat = Stat.Read(ref r);
        Assert.Equal(0, stat.Version);
        Assert.Equal(0, stat.Aversion);
    }

    [Fact]
    public async Task DeletingSystemNodesIsBadArguments()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        int xid = 1;
        foreach (var p in new[] { "/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config" })
        {
            var (err, _, _, _) = await zk.CallAsync(xid++, OpCode.Delete, w => { w.WriteString(p); w.WriteInt(-1); });
            Assert.Equal((int)ErrorCode.BadArguments, err);
        }
    }

    [Fact]
    public async Task FailedWritesStillConsumeAZxid()
    {
        using var zk = await RawZk.ConnectAsync(_server.Endpoint);
        var first = await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/nope/child"));
        Assert.Equal((int)ErrorCode.NoNode, first.Err);
        var second = await zk.CallAsync(2, OpCode.Create, w => RawZk.Create(w, "/nope/child"));
        Assert.Equal(first.Zxid + 1, second.Zxid);
    }
}
