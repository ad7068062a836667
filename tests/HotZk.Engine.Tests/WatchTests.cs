using HotZk.Common;
using HotZk.Engine.Tree;
using HotZk.Engine.Watches;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>Watch tables and the triggers the DataTree fires (zk-protocol.md §6).</summary>
public sealed class WatchTests
{
    private readonly DataTree _tree = new();
    private readonly RecordingWatcher _w = new();
    private long _zxid = 100;

    private WatchManager Watches => _tree.Watches;

    private void Create(string path, bool container = false)
    {
        var t = T.Create(path, ++_zxid);
        if (container) t.Type = OpCode.CreateContainer;
        Assert.Equal(ErrorCode.Ok, _tree.ProcessTxn(t).Err);
    }

    private void Delete(string path) => Assert.Equal(ErrorCode.Ok, _tree.ProcessTxn(T.Delete(path, ++_zxid)).Err);

    private void SetData(string path) =>
        Assert.Equal(ErrorCode.Ok, _tree.ProcessTxn(T.SetData(path, "d", _tree.GetNode(path)!.Version + 1, ++_zxid)).Err);

    [Fact]
    public void ExistsWatchOnAMissingNodeFiresNodeCreatedWithTheTxnZxid()
    {
        Watches.AddDataWatch("/a", _w);
        Create("/a");
        Assert.Equal([(EventType.NodeCreated, "/a", _zxid)], _w.Events);
    }

    [Fact]
    public void DataWatchFiresNodeDataChangedOnSetData()
    {
        Create("/a");
        Watches.AddDataWatch("/a", _w);
        SetData("/a");
        Assert.Equal([(EventType.NodeDataChanged, "/a")], _w.Seen);
    }

    [Fact]
    public void DataWatchFiresNodeDeletedOnDelete()
    {
        Create("/a");
        Watches.AddDataWatch("/a", _w);
        Delete("/a");
        Assert.Equal([(EventType.NodeDeleted, "/a")], _w.Seen);
    }

    [Fact]
    public void ChildWatchFiresNodeChildrenChangedOnTheParentForCreateAndDelete()
    {
        Create("/p");
        Watches.AddChildWatch("/p", _w);
        Create("/p/c");
        Assert.Equal([(EventType.NodeChildrenChanged, "/p")], _w.Seen);
        Watches.AddChildWatch("/p", _w);
        Delete("/p/c");
        Assert.Equal([(EventType.NodeChildrenChanged, "/p"), (EventType.NodeChildrenChanged, "/p")], _w.Seen);
    }

    [Fact]
    public void ChildWatchOnRootSeesTopLevelCreatesAtSlash()
    {
        Watches.AddChildWatch("/", _w);
        Create("/top");
        Assert.Equal([(EventType.NodeChildrenChanged, "/")], _w.Seen);
        Watches.AddChildWatch("/", _w);
        Delete("/top");
        Assert.Equal((EventType.NodeChildrenChanged, "/"), _w.Seen[^1]);
    }

    [Fact]
    public void ChildWatchOnADeletedNodeGetsNodeDeleted()
    {
        Create("/p");
        Watches.AddChildWatch("/p", _w);
        Delete("/p");
        Assert.Equal([(EventType.NodeDeleted, "/p")], _w.Seen);
    }

    [Fact]
    public void ChildWatchIgnoresDataChanges()
    {
        Create("/p");
        Watches.AddChildWatch("/p", _w);
        SetData("/p");
        Assert.Empty(_w.Events);
        Assert.Equal(WatchModes.Standard, Watches.Child.Get("/p", _w));
    }

    [Fact]
    public void OneShotWatchesAreRemovedWhenTheyFire()
    {
        Create("/a");
        Watches.AddDataWatch("/a", _w);
        SetData("/a");
        SetData("/a");
        Assert.Single(_w.Events);
        Assert.Equal(WatchModes.None, Watches.Data.Get("/a", _w));
        Assert.Equal(0, Watches.Data.Count);
        Assert.Equal(0, Watches.Data.WatcherCount);
    }

    [Fact]
    public void RegisteringTheSameWatchTwiceIsOneWatch()
    {
        Create("/a");
        Watches.AddDataWatch("/a", _w);
        Watches.AddDataWatch("/a", _w);
        Assert.Equal(1, Watches.Data.Count);
        SetData("/a");
        Assert.Single(_w.Events);
    }

    [Fact]
    public void DataExistsAndChildWatchesOnADeletedNodeDeliverOneNodeDeleted()
    {
        Create("/a");
        Watches.AddDataWatch("/a", _w); // getData
        Watches.AddDataWatch("/a", _w); // exists
        Watches.AddChildWatch("/a", _w);
        Delete("/a");
        Assert.Equal([(EventType.NodeDeleted, "/a")], _w.Seen);
        Assert.Equal(0, Watches.Data.Count);
        Assert.Equal(0, Watches.Child.Count);
    }

    [Fact]
    public void EachWatcherGetsItsOwnEvent()
    {
        var other = new RecordingWatcher("other");
        Create("/a");
        Watches.AddDataWatch("/a", _w);
        Watches.AddDataWatch("/a", other);
        SetData("/a");
        Assert.Single(_w.Events);
        Assert.Single(other.Events);
    }

    [Fact]
    public void PersistentWatchSeesTheNodeAndItsDirectChildrenOnly()
    {
        Watches.AddPersistent("/p", _w, AddWatchMode.Persistent);
        Create("/p");
        SetData("/p");
        Create("/p/c");
        Create("/p/c/g");
        SetData("/p/c");
        Delete("/p/c/g");
        Delete("/p/c");
        Delete("/p");
        Assert.Equal(
        [
            (EventType.NodeCreated, "/p"),
            (EventType.NodeDataChanged, "/p"),
            (EventType.NodeChildrenChanged, "/p"),
            (EventType.NodeChildrenChanged, "/p"),
            (EventType.NodeDeleted, "/p"),
        ], _w.Seen);
    }

    [Fact]
    public void PersistentWatchSurvivesDeleteAndRecreate()
    {
        Watches.AddPersistent("/p", _w, AddWatchMode.Persistent);
        Create("/p");
        Delete("/p");
        Create("/p");
        Assert.Equal([(EventType.NodeCreated, "/p"), (EventType.NodeDeleted, "/p"), (EventType.NodeCreated, "/p")], _w.Seen);
        Assert.Equal(WatchModes.Persistent, Watches.Data.Get("/p", _w));
        Assert.Equal(WatchModes.Persistent, Watches.Child.Get("/p", _w));
    }

    [Fact]
    public void RecursiveWatchSeesDescendantsButNeverNodeChildrenChanged()
    {
        Watches.AddPersistent("/r", _w, AddWatchMode.PersistentRecursive);
        Create("/r");
        Create("/r/a");
        Create("/r/a/b");
        SetData("/r/a/b");
        Delete("/r/a/b");
        Create("/other");
        Assert.Equal(
        [
            (EventType.NodeCreated, "/r"),
            (EventType.NodeCreated, "/r/a"),
            (EventType.NodeCreated, "/r/a/b"),
            (EventType.NodeDataChanged, "/r/a/b"),
            (EventType.NodeDeleted, "/r/a/b"),
        ], _w.Seen);
        Assert.DoesNotContain(_w.Events, e => e.Type == EventType.NodeChildrenChanged);
        Assert.Equal(WatchModes.None, Watches.Child.Get("/r", _w));
    }

    [Fact]
    public void RecursiveWatchOnRootSeesEverything()
    {
        Watches.AddPersistent("/", _w, AddWatchMode.PersistentRecursive);
        Create("/x");
        Create("/x/y");
        Assert.Equal([(EventType.NodeCreated, "/x"), (EventType.NodeCreated, "/x/y")], _w.Seen);
    }

    [Fact]
    public void RecursiveWatchDoesNotMatchSiblingsWithACommonPrefix()
    {
        Watches.AddPersistent("/r", _w, AddWatchMode.PersistentRecursive);
        Create("/rr");
        Create("/rr/a");
        Assert.Empty(_w.Events);
    }

    [Fact]
    public void RecursiveAndDataWatchOnTheSameNodeDeliverOneEvent()
    {
        Create("/r");
        Create("/r/a");
        Watches.AddPersistent("/r", _w, AddWatchMode.PersistentRecursive);
        Watches.AddDataWatch("/r/a", _w);
        SetData("/r/a");
        Assert.Equal([(EventType.NodeDataChanged, "/r/a")], _w.Seen);
    }

    [Fact]
    public void MultiEventsAreDeliveredAfterTheWholeBatchInOpOrder()
    {
        Create("/p");
        var order = new List<string>();
        var probe = new ProbeWatcher(_tree, order);
        Watches.AddDataWatch("/p/a", probe);
        Watches.AddChildWatch("/p", probe);
        Watches.AddDataWatch("/p", probe);
        var multi = T.Multi(++_zxid, T.Create("/p/a", 0, parentCversion: 1), T.Create("/p/b", 0, parentCversion: 2), T.SetData("/p", "x", 1, 0));
        Assert.Equal(ErrorCode.Ok, _tree.ProcessTxn(multi).Multi![2].Err);
        // Every event saw the complete batch (including /p/b and the new data of /p).
        Assert.Equal(["NodeCreated /p/a full", "NodeChildrenChanged /p full", "NodeDataChanged /p full"], order);
    }

    [Fact]
    public void FailedMultiFiresNoEvents()
    {
        Watches.AddDataWatch("/a", _w);
        Watches.AddChildWatch("/", _w);
        _tree.ProcessTxn(T.Multi(++_zxid, T.Create("/a", 0, parentCversion: 1), T.Error(ErrorCode.BadVersion)));
        Assert.Empty(_w.Events);
    }

    [Fact]
    public void CanReadFilterSuppressesDelivery()
    {
        var blocked = new RecordingWatcher("blocked");
        Acl[]? seenAcl = null;
        Watches.CanRead = (w, acl) => { seenAcl = acl; return !ReferenceEquals(w, blocked); };
        var txn = T.Create("/a", ++_zxid, acl: T.Digest("bob:secret"));
        Watches.AddDataWatch("/a", _w);
        Watches.AddDataWatch("/a", blocked);
        _tree.ProcessTxn(txn);
        Assert.Single(_w.Events);
        Assert.Empty(blocked.Events);
        Assert.Equal(T.Digest("bob:secret"), seenAcl);
    }

    [Fact]
    public void ChildEventsAreFilteredWithTheParentsAcl()
    {
        var t = T.Create("/p", ++_zxid, acl: T.Ip("10.0.0.1"));
        _tree.ProcessTxn(t);
        Acl[]? seenAcl = null;
        Watches.CanRead = (w, acl) => { seenAcl = acl; return true; };
        Watches.AddChildWatch("/p", _w);
        Create("/p/c");
        Assert.Equal(T.Ip("10.0.0.1"), seenAcl);
    }

    [Fact]
    public void RemoveWatcherDropsEveryWatchOfThatWatcher()
    {
        Create("/a");
        Watches.AddDataWatch("/a", _w);
        Watches.AddChildWatch("/a", _w);
        Watches.AddPersistent("/", _w, AddWatchMode.PersistentRecursive);
        Watches.RemoveWatcher(_w);
        SetData("/a");
        Delete("/a");
        Assert.Empty(_w.Events);
        Assert.Equal(0, Watches.Data.Count);
        Assert.Equal(0, Watches.Child.Count);
        Assert.Equal(0, Watches.Data.RecursiveCount);
    }

    [Fact]
    public void SessionCloseFiresNodeDeletedForItsEphemerals()
    {
        _tree.ProcessTxn(T.Create("/e", ++_zxid, ephemeral: true, clientId: 0x5));
        Watches.AddDataWatch("/e", _w);
        Watches.AddChildWatch("/", _w);
        _tree.ProcessTxn(new Txns.Txn { Type = OpCode.CloseSession, ClientId = 0x5, Zxid = ++_zxid, PathsToDelete = ["/e"] });
        Assert.Equal([(EventType.NodeDeleted, "/e"), (EventType.NodeChildrenChanged, "/")], _w.Seen);
    }

    [Fact]
    public void WatchTableRemoveClearsOnlyTheMaskedModes()
    {
        var table = new WatchTable();
        table.Add("/a", _w, WatchModes.Standard);
        table.Add("/a", _w, WatchModes.Recursive);
        Assert.Equal(1, table.Count);
        Assert.Equal(1, table.RecursiveCount);
        Assert.True(table.Remove("/a", _w, WatchModes.Recursive));
        Assert.Equal(0, table.RecursiveCount);
        Assert.Equal(WatchModes.Standard, table.Get("/a", _w));
        Assert.False(table.Remove("/a", _w, WatchModes.Persistent));
        Assert.True(table.Remove("/a", _w, WatchModes.Standard));
        Assert.Equal(0, table.Count);
        Assert.Equal(0, table.PathCount);
        Assert.Empty(table.PathsOf(_w));
    }

    /// <summary>Records, at delivery time, whether the whole multi batch is already visible.</summary>
    private sealed class ProbeWatcher(DataTree tree, List<string> order) : IWatcher
    {
        public void Process(EventType type, string path, long zxid)
        {
            bool full = tree.GetNode("/p/b") is not null && tree.GetNode("/p")!.Version == 1;
            order.Add($"{type} {path} {(full ? "full" : "partial")}");
        }
    }
}
