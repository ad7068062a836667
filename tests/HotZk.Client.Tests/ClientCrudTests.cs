using HotZk.Common;

namespace HotZk.Client.Tests;

[Collection("zk")]
public sealed class ClientCrudTests(ZkServerFixture zk)
{
    private static readonly Acl[] Open = Acl.OpenAclUnsafe;

    [Fact]
    public async Task CreateGetSetDeleteRoundTrip()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("crud");
        Assert.Equal(p, await c.CreateAsync(p, "v1"u8.ToArray(), Open));
        var (data, stat) = await c.GetDataAsync(p);
        Assert.Equal("v1"u8.ToArray(), data);
        Assert.Equal(0, stat.Version);
        Assert.Equal(2, stat.DataLength);
        Assert.Equal(stat.Czxid, stat.Mzxid);

        var st2 = await c.SetDataAsync(p, "v22"u8.ToArray(), 0);
        Assert.Equal(1, st2.Version);
        Assert.Equal(3, st2.DataLength);
        Assert.True(st2.Mzxid > stat.Mzxid);
        Assert.True(c.LastZxidSeen >= st2.Mzxid);

        await c.DeleteAsync(p, 1);
        Assert.Null(await c.ExistsAsync(p));
    }

    [Fact]
    public async Task NullAndEmptyDataStayDistinct()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("nulls");
        await c.CreateAsync(p, null, Open);
        await c.CreateAsync(p + "e", [], Open);
        var (nul, s1) = await c.GetDataAsync(p);
        var (empty, s2) = await c.GetDataAsync(p + "e");
        Assert.Null(nul);
        Assert.NotNull(empty);
        Assert.Equal(0, s1.DataLength);
        Assert.Equal(0, s2.DataLength);
    }

    [Fact]
    public async Task ErrorsCarryTheCodeAndClientPath()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("errors");
        var e1 = await Assert.ThrowsAsync<ZkException>(() => c.GetDataAsync(p));
        Assert.Equal(ErrorCode.NoNode, e1.Code);
        Assert.Equal(p, e1.Path);

        await c.CreateAsync(p, null, Open);
        await c.CreateAsync(p + "/child", null, Open);
        Assert.Equal(ErrorCode.NodeExists, (await Assert.ThrowsAsync<ZkException>(() => c.CreateAsync(p, null, Open))).Code);
        Assert.Equal(ErrorCode.BadVersion, (await Assert.ThrowsAsync<ZkException>(() => c.SetDataAsync(p, null, 5))).Code);
        Assert.Equal(ErrorCode.NotEmpty, (await Assert.ThrowsAsync<ZkException>(() => c.DeleteAsync(p))).Code);
        // The connection survives errors.
        Assert.NotNull(await c.ExistsAsync(p));
    }

    [Fact]
    public async Task SequentialNodesCountEveryChildCreation()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("seq");
        await c.CreateAsync(p, null, Open);
        var a = await c.CreateAsync(p + "/s-", null, Open, CreateMode.PersistentSequential);
        var b = await c.CreateAsync(p + "/s-", null, Open, CreateMode.EphemeralSequential);
        Assert.Equal(p + "/s-0000000000", a);
        Assert.Equal(p + "/s-0000000001", b);
        var (children, stat) = await c.GetChildren2Async(p);
        Assert.Equal(["s-0000000000", "s-0000000001"], children.Order());
        Assert.Equal(2, stat.NumChildren);
        Assert.Equal(2, stat.Cversion);
    }

    [Fact]
    public async Task Create2ContainerAndTtlReturnStats()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("c2");
        var (path, stat) = await c.Create2Async(p, [1, 2], Open);
        Assert.Equal(p, path);
        Assert.Equal(2, stat.DataLength);
        Assert.Equal(stat, (await c.GetDataAsync(p)).Stat);

        var (cpath, cstat) = await c.Create2Async(p + "/container", null, Open, CreateMode.Container);
        Assert.Equal(p + "/container", cpath);
        Assert.Equal(0, cstat.EphemeralOwner);
        var ttl = await c.CreateAsync(p + "/ttl", null, Open, CreateMode.PersistentWithTtl, ttl: 60_000);
        Assert.Equal(p + "/ttl", ttl);
        Assert.Equal(0, (await c.ExistsAsync(ttl))!.Value.EphemeralOwner);

        var bad = await Assert.ThrowsAsync<ZkException>(() => c.CreateAsync(p + "/ttl0", null, Open, CreateMode.PersistentWithTtl, ttl: 0));
        Assert.Equal(ErrorCode.BadArguments, bad.Code);
    }

    [Fact]
    public async Task EphemeralsBelongToTheSessionAndDisappearOnClose()
    {
        var p = ZkServerFixture.UniquePath("eph");
        await using var observer = await zk.ConnectAsync();
        await observer.CreateAsync(p, null, Open);
        var c = await zk.ConnectAsync();
        var e = await c.CreateAsync(p + "/e", null, Open, CreateMode.Ephemeral);
        Assert.Equal(c.SessionId, (await observer.ExistsAsync(e))!.Value.EphemeralOwner);
        Assert.Equal([e], await c.GetEphemeralsAsync(p));
        Assert.Empty(await observer.GetEphemeralsAsync(p));
        Assert.Equal(1, await observer.GetAllChildrenNumberAsync(p));
        await c.CloseAsync();
        Assert.Equal(ZkState.Closed, c.State);
        Assert.Null(await observer.ExistsAsync(e));
        Assert.Equal(ErrorCode.SessionExpired, (await Assert.ThrowsAsync<ZkException>(() => c.ExistsAsync(p))).Code);
    }

    [Fact]
    public async Task SyncEchoesThePath()
    {
        await using var c = await zk.ConnectAsync();
        Assert.Equal("/zookeeper", await c.SyncAsync("/zookeeper"));
    }

    [Fact]
    public async Task AclsAndDigestAuth()
    {
        var p = ZkServerFixture.UniquePath("acl");
        await using var owner = await zk.ConnectAsync();
        await using var stranger = await zk.ConnectAsync();
        await owner.AddAuthAsync("digest", "bob:secret"u8.ToArray());
        await owner.CreateAsync(p, "x"u8.ToArray(), Acl.CreatorAllAcl);

        var (acl, stat) = await owner.GetAclAsync(p);
        Assert.Equal([new Acl(Perms.All, new Id("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="))], acl);
        Assert.Equal(0, stat.Aversion);
        Assert.Equal(ErrorCode.NoAuth, (await Assert.ThrowsAsync<ZkException>(() => stranger.GetDataAsync(p))).Code);

        var st = await owner.SetAclAsync(p, Acl.ReadAclUnsafe, 0);
        Assert.Equal(1, st.Aversion);
        Assert.Equal("x"u8.ToArray(), (await stranger.GetDataAsync(p)).Data);
        Assert.Equal(ErrorCode.NoAuth, (await Assert.ThrowsAsync<ZkException>(() => stranger.SetDataAsync(p, null))).Code);

        var who = await owner.WhoAmIAsync();
        Assert.Contains(who, ci => ci.AuthScheme == "digest" && ci.User == "bob");
        Assert.DoesNotContain(await stranger.WhoAmIAsync(), ci => ci.AuthScheme == "digest");
    }

    [Fact]
    public async Task ChrootMapsPathsBothWays()
    {
        var root = ZkServerFixture.UniquePath("chroot");
        await using var plain = await zk.ConnectAsync();
        await plain.CreateAsync(root, null, Open);
        var events = new EventRecorder();
        await using var c = await zk.ConnectAsync(chroot: root);
        Assert.Null(await c.ExistsAsync("/a", events.Watcher));
        Assert.Equal("/a", await c.CreateAsync("/a", null, Open));
        Assert.Equal(EventRecorder.Node(EventType.NodeCreated, "/a"), (await events.WaitForAsync(1))[0]);
        Assert.Equal("/a/s0000000000", await c.CreateAsync("/a/s", null, Open, CreateMode.EphemeralSequential));
        Assert.NotNull(await plain.ExistsAsync(root + "/a/s0000000000"));
        Assert.Equal(["a"], await c.GetChildrenAsync("/"));
        Assert.Equal(["/a/s0000000000"], await c.GetEphemeralsAsync("/"));
        var results = await c.MultiOrThrowAsync([HotZk.Protocol.Records.MultiOp.Create("/b", null, Open, CreateMode.Persistent)]);
        Assert.Equal("/b", results[0].Path);
    }

    [Fact]
    public async Task ManyPipelinedRequestsAllComplete()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("pipe");
        await c.CreateAsync(p, null, Open);
        const int n = 2000;
        var creates = new Task<string>[n];
        for (int i = 0; i < n; i++) creates[i] = c.CreateAsync($"{p}/n{i}", BitConverter.GetBytes(i), Open);
        var created = await Task.WhenAll(creates).WaitAsync(TimeSpan.FromSeconds(60));
        for (int i = 0; i < n; i++) Assert.Equal($"{p}/n{i}", created[i]);
        var reads = new Task<(byte[]? Data, Stat Stat)>[n];
        for (int i = 0; i < n; i++) reads[i] = c.GetDataAsync($"{p}/n{i}");
        var results = await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(60));
        for (int i = 0; i < n; i++) Assert.Equal(i, BitConverter.ToInt32(results[i].Data));
        Assert.Equal(n, (await c.GetChildrenAsync(p)).Count);
    }
}
