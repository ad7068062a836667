using HotZk.Common;
using HotZk.Protocol.Records;

namespace HotZk.Client.Tests;

[Collection("zk")]
public sealed class ClientWatchAndMultiTests(ZkServerFixture zk)
{
    private static readonly Acl[] Open = Acl.OpenAclUnsafe;

    [Fact]
    public async Task NotificationRunsBeforeTheTriggeringWritesReplyCompletes()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("order");
        var events = new EventRecorder();
        Assert.Null(await c.ExistsAsync(p, events.Watcher));
        await c.CreateAsync(p, null, Open);
        // No waiting: the server sends NodeCreated before the create reply and the client dispatches in order.
        Assert.Equal([EventRecorder.Node(EventType.NodeCreated, p)], events.Events);
    }

    [Fact]
    public async Task DataWatchesAreOneShot()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("oneshot");
        await c.CreateAsync(p, null, Open);
        var events = new EventRecorder();
        await c.GetDataAsync(p, events.Watcher);
        await c.SetDataAsync(p, [1]);
        await c.SetDataAsync(p, [2]);
        // A round trip after the writes: any further notification would have arrived before this reply.
        await c.ExistsAsync(p);
        Assert.Equal([EventRecorder.Node(EventType.NodeDataChanged, p)], events.Events);
    }

    [Fact]
    public async Task DefaultWatcherGetsStateAndWatchTrueEvents()
    {
        var events = new EventRecorder();
        await using var c = await zk.ConnectAsync(new ZkClientOptions { DefaultWatcher = events.Watcher });
        Assert.Equal(new WatchedEvent(EventType.None, KeeperState.SyncConnected, null), (await events.WaitForAsync(1))[0]);
        var p = ZkServerFixture.UniquePath("default");
        await c.CreateAsync(p, null, Open);
        await c.GetChildrenAsync(p, watch: true);
        await c.CreateAsync(p + "/x", null, Open);
        Assert.Equal(EventRecorder.Node(EventType.NodeChildrenChanged, p), (await events.WaitForAsync(2))[1]);
    }

    [Fact]
    public async Task ChildAndDataWatchersOnADeletedNodeEachFireOnce()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("del");
        await c.CreateAsync(p, null, Open);
        var child = new EventRecorder();
        var data = new EventRecorder();
        await c.GetChildrenAsync(p, child.Watcher);
        await c.GetDataAsync(p, data.Watcher);
        await c.DeleteAsync(p);
        Assert.Equal([EventRecorder.Node(EventType.NodeDeleted, p)], child.Events);
        Assert.Equal([EventRecorder.Node(EventType.NodeDeleted, p)], data.Events);
    }

    [Fact]
    public async Task PersistentRecursiveWatchSeesDescendantsButNoChildEvents()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("rec");
        await c.CreateAsync(p, null, Open);
        var events = new EventRecorder();
        await c.AddWatchAsync(p, AddWatchMode.PersistentRecursive, events.Watcher);
        await c.CreateAsync(p + "/a", null, Open);
        await c.CreateAsync(p + "/a/b", null, Open);
        await c.SetDataAsync(p + "/a/b", [1]);
        await c.DeleteAsync(p + "/a/b");
        Assert.Equal(
            [
                EventRecorder.Node(EventType.NodeCreated, p + "/a"),
                EventRecorder.Node(EventType.NodeCreated, p + "/a/b"),
                EventRecorder.Node(EventType.NodeDataChanged, p + "/a/b"),
                EventRecorder.Node(EventType.NodeDeleted, p + "/a/b"),
            ],
            events.Events);
    }

    [Fact]
    public async Task PersistentWatchSurvivesFiringAndCanBeRemoved()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("pers");
        await c.CreateAsync(p, null, Open);
        var events = new EventRecorder();
        await c.AddWatchAsync(p, AddWatchMode.Persistent, events.Watcher);
        await c.SetDataAsync(p, [1]);
        await c.CreateAsync(p + "/k", null, Open);
        await c.SetDataAsync(p, [2]);
        Assert.Equal(
            [
                EventRecorder.Node(EventType.NodeDataChanged, p),
                EventRecorder.Node(EventType.NodeChildrenChanged, p),
                EventRecorder.Node(EventType.NodeDataChanged, p),
            ],
            events.Events);

        await c.CheckWatchesAsync(p, WatcherType.Any);
        await c.RemoveWatchesAsync(p, WatcherType.Any);
        Assert.Equal(EventRecorder.Node(EventType.PersistentWatchRemoved, p), events.Events[^1]);
        var none = await Assert.ThrowsAsync<ZkException>(() => c.CheckWatchesAsync(p, WatcherType.Any));
        Assert.Equal(ErrorCode.NoWatcher, none.Code);
        await c.SetDataAsync(p, [3]);
        await c.ExistsAsync(p);
        Assert.Equal(4, events.Events.Count);
    }

    [Fact]
    public async Task RemovingADataWatchTellsTheWatcherLocally()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("rm");
        await c.CreateAsync(p, null, Open);
        var events = new EventRecorder();
        await c.GetDataAsync(p, events.Watcher);
        await c.RemoveWatchesAsync(p, WatcherType.Data);
        Assert.Equal([EventRecorder.Node(EventType.DataWatchRemoved, p)], events.Events);
        await c.SetDataAsync(p, [1]);
        await c.ExistsAsync(p);
        Assert.Single(events.Events);
    }

    [Fact]
    public async Task MultiAppliesAllOrNothing()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("multi");
        var ok = await c.MultiOrThrowAsync(
        [
            MultiOp.Create(p, [1], Open, CreateMode.Persistent),
            MultiOp.Create2(p + "/a", null, Open, CreateMode.Persistent),
            MultiOp.SetData(p, [2], 0),
            MultiOp.Check(p, 1),
            MultiOp.Delete(p + "/a"),
        ]);
        // 3.8.0 answers a create2 sub-op with a path-only type-1 result; 3.8.2+ with type 15 (path + Stat).
        Assert.Contains(ok[1].Type, new[] { OpCode.Create, OpCode.Create2 });
        Assert.Equal([OpCode.Create, OpCode.SetData, OpCode.Check, OpCode.Delete], ok.Where((_, i) => i != 1).Select(r => r.Type));
        Assert.Equal(p, ok[0].Path);
        Assert.Equal(p + "/a", ok[1].Path);
        Assert.Equal(1, ok[2].Stat.Version);

        var failed = await c.MultiAsync([MultiOp.SetData(p, [3]), MultiOp.Check(p, 99), MultiOp.Delete(p)]);
        Assert.All(failed, r => Assert.True(r.IsError));
        Assert.Equal([ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency], failed.Select(r => r.Err));
        Assert.Equal([2], (await c.GetDataAsync(p)).Data);

        var thrown = await Assert.ThrowsAsync<ZkException>(() => c.MultiOrThrowAsync([MultiOp.Check(p, 1), MultiOp.Delete(p + "/missing")]));
        Assert.Equal(ErrorCode.NoNode, thrown.Code);
        Assert.Equal(p + "/missing", thrown.Path);
        Assert.Equal(2, thrown.Results!.Count);
    }

    [Fact]
    public async Task MultiReadReturnsPerOpResults()
    {
        await using var c = await zk.ConnectAsync();
        var p = ZkServerFixture.UniquePath("mread");
        await c.CreateAsync(p, [7], Open);
        await c.CreateAsync(p + "/x", null, Open);
        var r = await c.MultiReadAsync([MultiOp.GetData(p), MultiOp.GetChildren(p), MultiOp.GetData(p + "/nope")]);
        Assert.Equal([7], r[0].Data);
        Assert.Equal(1, r[0].Stat.NumChildren);
        Assert.Equal(["x"], r[1].Children!);
        Assert.Equal((OpCode.Error, ErrorCode.NoNode), (r[2].Type, r[2].Err));
    }

    [Fact]
    public async Task RawRequestsExposeHeaderAndBody()
    {
        await using var c = await zk.ConnectAsync();
        var (h, body) = await c.SendRawAsync(OpCode.Exists, w => new PathWatchRequest("/zookeeper", false).Write(w));
        Assert.Equal(ErrorCode.Ok, h.Err);
        Assert.Equal(Stat.Size, body.Length);
        var (h2, body2) = await c.SendRawAsync(OpCode.GetData, w => w.WriteInt(3));
        Assert.Equal(ErrorCode.MarshallingError, h2.Err);
        Assert.Empty(body2);
        // The connection stays usable after a marshalling error.
        Assert.NotNull(await c.ExistsAsync("/zookeeper"));
    }
}
