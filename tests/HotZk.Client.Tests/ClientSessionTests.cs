using HotZk.Common;

namespace HotZk.Client.Tests;

[Collection("zk")]
public sealed class ClientSessionTests(ZkServerFixture zk)
{
    private static readonly Acl[] Open = Acl.OpenAclUnsafe;

    [Fact]
    public async Task DroppedConnectionReattachesAndReRegistersWatches()
    {
        var p = ZkServerFixture.UniquePath("reattach");
        var states = new List<ZkState>();
        await using var c = await zk.ConnectAsync();
        c.StateChanged += s => { lock (states) states.Add(s); };
        await c.CreateAsync(p, null, Open);
        var eph = await c.CreateAsync(p + "/e", null, Open, CreateMode.Ephemeral);
        var data = new EventRecorder();
        var child = new EventRecorder();
        var rec = new EventRecorder();
        await c.GetDataAsync(p, data.Watcher);
        await c.GetChildrenAsync(p, child.Watcher);
        // A separate node: on Apache 3.8.0 a recursive watch on the same path replaces the connection's child watch there.
        await c.CreateAsync(p + "-r", null, Open);
        await c.AddWatchAsync(p + "-r", AddWatchMode.PersistentRecursive, rec.Watcher);
        long session = c.SessionId;

        c.DropConnection();
        for (int i = 0; i < 400; i++)
        {
            lock (states) if (states.Count >= 2) break;
            await Task.Delay(25);
        }
        Assert.NotNull(await c.ExistsAsync(eph));
        Assert.Equal(session, c.SessionId);
        lock (states) Assert.Equal([ZkState.Disconnected, ZkState.Connected], states);

        await using var other = await zk.ConnectAsync();
        await other.SetDataAsync(p, [1]);
        await other.CreateAsync(p + "/k", null, Open);
        await other.SetDataAsync(p + "-r", [1]);
        await other.CreateAsync(p + "-r/k", null, Open);
        // Only a re-registered (setWatches) watch can fire: the new connection never saw a read with watch.
        Assert.Equal(EventRecorder.Node(EventType.NodeDataChanged, p), (await data.WaitForAsync(1))[0]);
        Assert.Equal(EventRecorder.Node(EventType.NodeChildrenChanged, p), (await child.WaitForAsync(1))[0]);
        var recEvents = await rec.WaitForAsync(2);
        Assert.Equal([EventRecorder.Node(EventType.NodeDataChanged, p + "-r"), EventRecorder.Node(EventType.NodeCreated, p + "-r/k")], recEvents);
    }

    [Fact]
    public async Task SessionCanBeReattachedFromAnotherClient()
    {
        var p = ZkServerFixture.UniquePath("handover");
        var first = await zk.ConnectAsync();
        var eph = await first.CreateAsync(p, null, Open, CreateMode.Ephemeral);
        long id = first.SessionId;
        var pw = first.SessionPassword;
        Assert.Equal(16, pw.Length);
        await first.AbandonAsync();

        await using var second = await ZkClient.ConnectAsync(zk.ConnectString, TimeSpan.FromSeconds(10), id, pw);
        Assert.Equal(id, second.SessionId);
        Assert.Equal([eph], await second.GetEphemeralsAsync(p));
        await second.CloseAsync();

        await using var observer = await zk.ConnectAsync();
        Assert.Null(await observer.ExistsAsync(eph));
    }

    [Fact]
    public async Task ClosedSessionCannotBeReattached()
    {
        var c = await zk.ConnectAsync();
        long id = c.SessionId;
        var pw = c.SessionPassword;
        await c.CloseAsync();
        var e = await Assert.ThrowsAsync<ZkException>(() => ZkClient.ConnectAsync(zk.ConnectString, TimeSpan.FromSeconds(10), id, pw));
        Assert.Equal(ErrorCode.SessionExpired, e.Code);
    }

    [Fact]
    public async Task ClientLearnsOfExpiryWhenItReconnects()
    {
        var events = new EventRecorder();
        // The victim's second host accepts TCP but never answers, so its first reconnect attempt stalls
        // for a while: that gives the thief time to take the session over and close it.
        using var blackhole = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        blackhole.Start();
        int holePort = ((System.Net.IPEndPoint)blackhole.LocalEndpoint).Port;
        await using var victim = await ZkClient.ConnectAsync($"{zk.ConnectString},127.0.0.1:{holePort}", TimeSpan.FromSeconds(10),
            new ZkClientOptions { DefaultWatcher = events.Watcher });
        var p = ZkServerFixture.UniquePath("expire");
        var pending = victim.ExistsAsync(p);
        await pending;
        // Another client takes the session over (the server closes the victim's connection) and ends it.
        var thief = await ZkClient.ConnectAsync(zk.ConnectString, TimeSpan.FromSeconds(10), victim.SessionId, victim.SessionPassword);
        await thief.CloseAsync();

        var expired = new WatchedEvent(EventType.None, KeeperState.Expired, null);
        var seen = await events.WaitUntilAsync(list => list.Contains(expired), 20_000);
        Assert.Equal(KeeperState.Disconnected, seen[^2].State);
        Assert.Equal(ZkState.Expired, victim.State);
        var after = await Assert.ThrowsAsync<ZkException>(() => victim.ExistsAsync(p));
        Assert.Equal(ErrorCode.SessionExpired, after.Code);
    }

    [OwnServerFact]
    public async Task NegotiatedTimeoutIsClampedByTheServer()
    {
        // Bounds depend on the server's tickTime: this fixture's own Apache server uses 1000 ms.
        await using var small = await ZkClient.ConnectAsync(zk.ConnectString, TimeSpan.FromMilliseconds(100));
        await using var big = await ZkClient.ConnectAsync(zk.ConnectString, TimeSpan.FromSeconds(600));
        Assert.Equal(2000, small.NegotiatedTimeoutMs);
        Assert.Equal(20000, big.NegotiatedTimeoutMs);
    }

    [OwnServerFact]
    public async Task IdleSessionIsKeptAliveByPings()
    {
        // Idle for longer than the session timeout: only pings keep the session (and its ephemeral) alive.
        // 5 s rather than the fixture's 2 s minimum: with 2 s the client gives up on a connection after
        // 1.33 s without a ping reply, and a CI dry run (test classes in parallel on 2 cores) saw one
        // such stall turn into a disconnect and reconnect.
        var states = new List<ZkState>();
        await using var c = await ZkClient.ConnectAsync(zk.ConnectString, TimeSpan.FromSeconds(5));
        c.StateChanged += s => { lock (states) states.Add(s); };
        var eph = await c.CreateAsync(ZkServerFixture.UniquePath("idle"), null, Open, CreateMode.Ephemeral);
        await Task.Delay(7000);
        Assert.NotNull(await c.ExistsAsync(eph));
        lock (states) Assert.Empty(states);
    }
}
