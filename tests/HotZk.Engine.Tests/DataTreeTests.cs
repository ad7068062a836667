using HotZk.Common;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>DataTree apply rules and stats (zk-protocol.md §7, §12.3).</summary>
public sealed class DataTreeTests
{
    private static Stat StatAt(DataTree t, string path) => t.StatOf(t.GetNode(path) ?? throw new Xunit.Sdk.XunitException($"{path} missing"));

    private static void Apply(DataTree t, Txn txn) => Assert.Equal(ErrorCode.Ok, t.ProcessTxn(txn).Err);

    // ---- built-in nodes (§7.2) ----

    [Fact]
    public void FreshTreeHoldsFourBuiltInNodes()
    {
        var t = new DataTree();
        Assert.Equal(4, t.NodeCount);
        Assert.NotNull(t.GetNode("/"));
        Assert.NotNull(t.GetNode("/zookeeper"));
        Assert.NotNull(t.GetNode("/zookeeper/quota"));
        Assert.NotNull(t.GetNode("/zookeeper/config"));
        Assert.Equal(t.Find("/"), t.Find(""));
        Assert.Equal(t.StatOf(t.GetNode("/")!), t.StatOf(t.GetNode("")!));
    }

    [Fact]
    public void FreshRootShowsCversionMinusOneAndZookeeperMinusTwo()
    {
        var t = new DataTree();
        var root = StatAt(t, "/");
        var zk = StatAt(t, "/zookeeper");
        Assert.Equal(-1, root.Cversion);
        Assert.Equal(1, root.NumChildren);
        Assert.Equal(-2, zk.Cversion);
        Assert.Equal(2, zk.NumChildren);
        Assert.Equal(0, StatAt(t, "/zookeeper/quota").Cversion);
        Assert.Equal(0, root.Czxid);
        Assert.Equal(0, root.Pzxid);
    }

    [Fact]
    public void ConfigNodeIsWorldReadOnlyWithAversionMinusOne()
    {
        var t = new DataTree();
        var config = t.GetNode("/zookeeper/config")!;
        Assert.Equal([new Acl(Perms.Read, Id.AnyoneIdUnsafe)], t.GetAcl(config));
        Assert.Equal(-1, config.Aversion);
        Assert.Equal(-1, StatAt(t, "/zookeeper/config").Aversion);
        Assert.Equal(Acl.OpenAclUnsafe, t.GetAcl(t.GetNode("/zookeeper/quota")!));
        Assert.Equal(Acl.OpenAclUnsafe, t.GetAcl(t.GetNode("/")!));
        Assert.Equal(1, t.Acls.Count);
    }

    // ---- create / delete / setData / setACL stats (§7.1) ----

    [Fact]
    public void CreateSetsCzxidMzxidAndPzxidToTheTxnZxid()
    {
        var t = new DataTree();
        Apply(t, T.Create("/a", 5, parentCversion: 1, data: "hello", time: 777));
        var s = StatAt(t, "/a");
        Assert.Equal(5, s.Czxid);
        Assert.Equal(5, s.Mzxid);
        Assert.Equal(5, s.Pzxid);
        Assert.Equal(777, s.Ctime);
        Assert.Equal(777, s.Mtime);
        Assert.Equal(0, s.Version);
        Assert.Equal(0, s.Cversion);
        Assert.Equal(0, s.Aversion);
        Assert.Equal(0, s.EphemeralOwner);
        Assert.Equal(5, s.DataLength);
        Assert.Equal(0, s.NumChildren);
        Assert.Equal(5, t.LastProcessedZxid);
    }

    [Fact]
    public void CreateReturnsTheNewNodesStatInTheResult()
    {
        var t = new DataTree();
        var r = t.ProcessTxn(T.Create("/a", 9, data: "xy"));
        Assert.Equal(ErrorCode.Ok, r.Err);
        Assert.Equal("/a", r.Path);
        Assert.Equal(9, r.Stat.Czxid);
        Assert.Equal(2, r.Stat.DataLength);
    }

    [Fact]
    public void ChildCreateRaisesParentCversionPzxidAndNumChildren()
    {
        var t = new DataTree();
        Apply(t, T.Create("/p", 1));
        Apply(t, T.Create("/p/a", 2, parentCversion: 1));
        Apply(t, T.Create("/p/b", 3, parentCversion: 2));
        var p = StatAt(t, "/p");
        Assert.Equal(2, p.Cversion);
        Assert.Equal(3, p.Pzxid);
        Assert.Equal(2, p.NumChildren);
        Assert.Equal(1, p.Mzxid); // children do not touch mzxid
        Assert.Equal(0, p.Version);
        Assert.Equal(2, t.GetNode("/p")!.Cversion);
    }

    [Fact]
    public void ChildDeleteRaisesVisibleCversionAndPzxidButNotStoredCversion()
    {
        var t = new DataTree();
        Apply(t, T.Create("/p", 1));
        Apply(t, T.Create("/p/a", 2, parentCversion: 1));
        Apply(t, T.Create("/p/b", 3, parentCversion: 2));
        Apply(t, T.Delete("/p/a", 4));
        var p = StatAt(t, "/p");
        Assert.Equal(3, p.Cversion); // 2 creations + 1 deletion
        Assert.Equal(1, p.NumChildren);
        Assert.Equal(4, p.Pzxid);
        Assert.Equal(2, t.GetNode("/p")!.Cversion);
        Assert.Null(t.GetNode("/p/a"));
        Assert.DoesNotContain("a", t.GetNode("/p")!.Children);
    }

    [Fact]
    public void DeleteRaisesParentPzxidOnlyWhenLarger()
    {
        var t = new DataTree();
        Apply(t, T.Create("/p", 1));
        Apply(t, T.Create("/p/a", 2, parentCversion: 1));
        Apply(t, T.Create("/p/b", 10, parentCversion: 2));
        Apply(t, T.Delete("/p/a", 5)); // replayed out of order over a fuzzy snapshot
        Assert.Equal(10, StatAt(t, "/p").Pzxid);
        Apply(t, T.Delete("/p/b", 11));
        Assert.Equal(11, StatAt(t, "/p").Pzxid);
    }

    [Fact]
    public void SetDataStoresTheNewVersionMzxidAndMtime()
    {
        var t = new DataTree();
        Apply(t, T.Create("/a", 1, data: "x"));
        var r = t.ProcessTxn(T.SetData("/a", "hello!", 1, 7));
        Assert.Equal(ErrorCode.Ok, r.Err);
        var s = StatAt(t, "/a");
        Assert.Equal(1, s.Version);
        Assert.Equal(7, s.Mzxid);
        Assert.Equal(1007, s.Mtime);
        Assert.Equal(1, s.Czxid);
        Assert.Equal(1001, s.Ctime);
        Assert.Equal(6, s.DataLength);
        Assert.Equal(s, r.Stat);
        Assert.Equal("hello!"u8.ToArray(), t.GetNode("/a")!.Data);
    }

    [Fact]
    public void SetAclStoresTheNewAversionAndLeavesZxidsAlone()
    {
        var t = new DataTree();
        Apply(t, T.Create("/a", 1));
        var r = t.ProcessTxn(T.SetAcl("/a", T.Digest("bob:secret"), 1, 8));
        Assert.Equal(ErrorCode.Ok, r.Err);
        var s = StatAt(t, "/a");
        Assert.Equal(1, s.Aversion);
        Assert.Equal(1, s.Mzxid);
        Assert.Equal(0, s.Version);
        Assert.Equal(T.Digest("bob:secret"), t.GetAcl(t.GetNode("/a")!));
        Assert.Equal(8, t.LastProcessedZxid);
    }

    [Fact]
    public void SetDataAndSetAclOnMissingNodesAreNoNode()
    {
        var t = new DataTree();
        Assert.Equal(ErrorCode.NoNode, t.ProcessTxn(T.SetData("/nope", "x", 1, 2)).Err);
        Assert.Equal(ErrorCode.NoNode, t.ProcessTxn(T.SetAcl("/nope", T.Open, 1, 3)).Err);
        Assert.Equal(4, t.NodeCount);
    }

    [Fact]
    public void NullDataStaysNullAndReportsLengthZero()
    {
        var t = new DataTree();
        Apply(t, T.Create("/n", 1, data: null));
        Assert.Null(t.GetNode("/n")!.Data);
        Assert.Equal(0, StatAt(t, "/n").DataLength);
    }

    // ---- node kinds (§7.3) ----

    [Fact]
    public void EphemeralCreateStoresTheSessionAsOwnerAndIndexesIt()
    {
        var t = new DataTree();
        Apply(t, T.Create("/e", 1, ephemeral: true, clientId: 0x1234));
        Assert.Equal(0x1234, t.GetNode("/e")!.EphemeralOwner);
        Assert.Equal(0x1234, StatAt(t, "/e").EphemeralOwner);
        Assert.Equal(["/e"], t.EphemeralsOf(0x1234));
        Assert.Equal(1, t.EphemeralCount);
    }

    [Fact]
    public void ContainerIsStoredWithLongMinValueButShowsOwnerZero()
    {
        var t = new DataTree();
        var txn = T.Create("/c", 1);
        txn.Type = OpCode.CreateContainer;
        Apply(t, txn);
        Assert.Equal(long.MinValue, t.GetNode("/c")!.EphemeralOwner);
        Assert.Equal(0, StatAt(t, "/c").EphemeralOwner);
        Assert.Contains("/c", t.Containers);
        Assert.Equal(0, t.EphemeralCount);
    }

    [Fact]
    public void TtlNodeIsStoredWithTheTtlEncodingButShowsOwnerZero()
    {
        var t = new DataTree(extendedTypesEnabled: true);
        var txn = T.Create("/t", 1);
        txn.Type = OpCode.CreateTtl;
        txn.Ttl = 5000;
        Apply(t, txn);
        Assert.Equal(unchecked((long)0xFF00_0000_0000_1388UL), t.GetNode("/t")!.EphemeralOwner);
        Assert.Equal(0, StatAt(t, "/t").EphemeralOwner);
        Assert.Contains("/t", t.Ttls);
        Assert.Equal(0, t.EphemeralCount);
    }

    [Fact]
    public void EphemeralTypesClassifyOwnersPerSection73()
    {
        long ttlOwner = EphemeralTypes.TtlOwner(EphemeralTypes.MaxTtl);
        Assert.Equal(unchecked((long)0xFF00_00FF_FFFF_FFFFUL), ttlOwner);
        Assert.Equal(NodeKind.Persistent, EphemeralTypes.KindOf(0, true));
        Assert.Equal(NodeKind.Container, EphemeralTypes.KindOf(long.MinValue, false));
        Assert.Equal(NodeKind.Ttl, EphemeralTypes.KindOf(ttlOwner, true));
        Assert.Equal(NodeKind.Ephemeral, EphemeralTypes.KindOf(ttlOwner, false)); // TTL encodings need extended types
        Assert.Equal(NodeKind.Ephemeral, EphemeralTypes.KindOf(0x0100_0008_3930_0000, true));
        // top byte 0xFF but a non-zero feature id is not a TTL node
        Assert.Equal(NodeKind.Ephemeral, EphemeralTypes.KindOf(unchecked((long)0xFF01_0000_0000_0005UL), true));
        Assert.Equal(EphemeralTypes.MaxTtl, EphemeralTypes.TtlOf(ttlOwner));
        Assert.Equal(0, EphemeralTypes.VisibleOwner(long.MinValue, true));
        Assert.Equal(0x77, EphemeralTypes.VisibleOwner(0x77, true));
    }

    // ---- replay tolerance (§12.3) ----

    [Fact]
    public void ReplayedCreateOfAnExistingNodeStillRaisesParentCversionAndPzxid()
    {
        var t = new DataTree();
        Apply(t, T.Create("/p", 1));
        Apply(t, T.Create("/p/a", 2, parentCversion: 1, data: "first"));
        var r = t.ProcessTxn(T.Create("/p/a", 6, parentCversion: 5, data: "second"));
        Assert.Equal(ErrorCode.NodeExists, r.Err);
        var p = t.GetNode("/p")!;
        Assert.Equal(5, p.Cversion);
        Assert.Equal(6, p.Pzxid);
        Assert.Equal("first"u8.ToArray(), t.GetNode("/p/a")!.Data);
        Assert.Equal(2, t.GetNode("/p/a")!.Czxid);
    }

    [Fact]
    public void ReplayedCreateNeverLowersParentCversion()
    {
        var t = new DataTree();
        Apply(t, T.Create("/p", 1));
        Apply(t, T.Create("/p/a", 7, parentCversion: 4));
        Assert.Equal(ErrorCode.NodeExists, t.ProcessTxn(T.Create("/p/a", 3, parentCversion: 1)).Err);
        Assert.Equal(4, t.GetNode("/p")!.Cversion);
        Assert.Equal(7, t.GetNode("/p")!.Pzxid);
    }

    [Fact]
    public void CreateWithParentCversionMinusOneUsesCurrentPlusOne()
    {
        var t = new DataTree();
        Apply(t, T.Create("/p", 1));
        Apply(t, T.Create("/p/a", 2, parentCversion: 3));
        Apply(t, T.Create("/p/b", 3, parentCversion: -1));
        Assert.Equal(4, t.GetNode("/p")!.Cversion);
    }

    [Fact]
    public void DeleteOfAMissingNodeIsNoNodeAndOnlyMovesTheParentPzxidForward()
    {
        // Java DataTree.deleteNode (ZOOKEEPER-3145): the parent's pzxid moves forward before the
        // child's existence is checked, so a replayed delete over a fuzzy snapshot keeps pzxid current.
        var t = new DataTree();
        Apply(t, T.Create("/p", 1));
        Apply(t, T.Create("/p/a", 2, parentCversion: 1));
        var before = StatAt(t, "/p");
        var r = t.ProcessTxn(T.Delete("/p/zz", 9));
        Assert.Equal(ErrorCode.NoNode, r.Err);
        Assert.Equal(before with { Pzxid = 9 }, StatAt(t, "/p"));
        Assert.Equal(6, t.NodeCount);
        Assert.Equal(["a"], t.GetNode("/p")!.Children);
        Assert.Equal(ErrorCode.NoNode, t.ProcessTxn(T.Delete("/p/zz", 4)).Err);
        Assert.Equal(9, StatAt(t, "/p").Pzxid);
    }

    [Fact]
    public void DeleteUnderAMissingParentChangesNothing()
    {
        var t = new DataTree();
        var root = StatAt(t, "/");
        Assert.Equal(ErrorCode.NoNode, t.ProcessTxn(T.Delete("/x/y", 5)).Err);
        Assert.Equal(root, StatAt(t, "/"));
        Assert.Equal(4, t.NodeCount);
    }

    [Fact]
    public void CreateUnderAMissingParentIsNoNode()
    {
        var t = new DataTree();
        Assert.Equal(ErrorCode.NoNode, t.ProcessTxn(T.Create("/x/y", 1)).Err);
        Assert.Null(t.GetNode("/x/y"));
    }

    // ---- multi (§4.2, §12.3) ----

    [Fact]
    public void MultiAppliesEveryOpUnderOneZxid()
    {
        var t = new DataTree();
        var r = t.ProcessTxn(T.Multi(4, T.Create("/a", 0, parentCversion: 1), T.Create("/a/b", 0, parentCversion: 1), T.SetData("/a", "v", 1, 0)));
        Assert.Equal(3, r.Multi!.Count);
        Assert.All(r.Multi, x => Assert.Equal(ErrorCode.Ok, x.Err));
        Assert.Equal(4, t.GetNode("/a")!.Czxid);
        Assert.Equal(4, t.GetNode("/a/b")!.Czxid);
        Assert.Equal(4, t.GetNode("/a")!.Mzxid);
        Assert.Equal(1, t.GetNode("/a")!.Version);
        Assert.Equal(4, t.LastProcessedZxid);
    }

    [Fact]
    public void FailedMultiAppliesNothingAndReportsOkCodeAndRuntimeInconsistency()
    {
        var t = new DataTree();
        var failing = T.Error(ErrorCode.NodeExists);
        var after = T.Error(ErrorCode.RuntimeInconsistency);
        var r = t.ProcessTxn(T.Multi(5, T.Create("/a", 0, parentCversion: 1), failing, after));
        Assert.Null(t.GetNode("/a"));
        Assert.Equal(4, t.NodeCount);
        Assert.Equal(-1, StatAt(t, "/").Cversion);
        Assert.Equal([ErrorCode.Ok, ErrorCode.NodeExists, ErrorCode.RuntimeInconsistency], r.Multi!.Select(x => x.Err));
        Assert.All(r.Multi!, x => Assert.Equal(OpCode.Error, x.Type));
        Assert.Equal(5, t.LastProcessedZxid);
    }

    [Fact]
    public void ErrorTxnOnlyAdvancesTheZxid()
    {
        var t = new DataTree();
        var e = T.Error(ErrorCode.NoNode);
        e.Zxid = 12;
        var r = t.ProcessTxn(e);
        Assert.Equal(ErrorCode.NoNode, r.Err);
        Assert.Equal(12, t.LastProcessedZxid);
        Assert.Equal(4, t.NodeCount);
    }

    // ---- sessions ----

    [Fact]
    public void KillSessionDeletesOnlyThatSessionsEphemerals()
    {
        var t = new DataTree();
        Apply(t, T.Create("/p", 1));
        Apply(t, T.Create("/p/e1", 2, ephemeral: true, clientId: 0x11));
        Apply(t, T.Create("/p/e2", 3, ephemeral: true, clientId: 0x11));
        Apply(t, T.Create("/p/other", 4, ephemeral: true, clientId: 0x22));
        t.ProcessTxn(new Txn { Type = OpCode.CloseSession, ClientId = 0x11, Zxid = 5, PathsToDelete = ["/p/e1"] });
        Assert.Null(t.GetNode("/p/e1"));
        Assert.Null(t.GetNode("/p/e2")); // not listed, still removed as a remaining ephemeral of the owner
        Assert.NotNull(t.GetNode("/p/other"));
        Assert.Empty(t.EphemeralsOf(0x11));
        Assert.False(t.Ephemerals.ContainsKey(0x11));
        Assert.Equal(5, t.GetNode("/p")!.Pzxid);
        Assert.Equal(5, t.LastProcessedZxid);
    }

    [Fact]
    public void CloseSessionWithoutPathListStillDeletesEphemerals()
    {
        var t = new DataTree();
        Apply(t, T.Create("/e", 1, ephemeral: true, clientId: 0x33));
        t.ProcessTxn(new Txn { Type = OpCode.CloseSession, ClientId = 0x33, Zxid = 2 });
        Assert.Null(t.GetNode("/e"));
        Assert.Equal(0, t.EphemeralCount);
    }

    // ---- misc ----

    [Fact]
    public void CountDescendantsExcludesTheNodeItself()
    {
        var t = new DataTree();
        Assert.Equal(3, t.CountDescendants("/"));
        Assert.Equal(2, t.CountDescendants("/zookeeper"));
        Apply(t, T.Create("/a", 1));
        Apply(t, T.Create("/a/b", 2));
        Apply(t, T.Create("/a/b/c", 3));
        Apply(t, T.Create("/a/d", 4));
        Assert.Equal(3, t.CountDescendants("/a"));
        Assert.Equal(1, t.CountDescendants("/a/b"));
        Assert.Equal(0, t.CountDescendants("/a/d"));
        Assert.Equal(7, t.CountDescendants("/"));
        Assert.Equal(0, t.CountDescendants("/missing"));
    }

    [Fact]
    public void NodesWithTheSameAclShareOneCacheEntryReleasedWhenBothAreDeleted()
    {
        var t = new DataTree();
        int baseline = t.Acls.Count;
        Apply(t, T.Create("/a", 1, acl: T.Digest("bob:secret")));
        Apply(t, T.Create("/b", 2, acl: T.Digest("bob:secret")));
        Assert.Equal(baseline + 1, t.Acls.Count);
        Assert.Equal(t.GetNode("/a")!.AclRef, t.GetNode("/b")!.AclRef);
        Apply(t, T.Delete("/a", 3));
        Assert.Equal(baseline + 1, t.Acls.Count);
        Assert.Equal(T.Digest("bob:secret"), t.GetAcl(t.GetNode("/b")!));
        Apply(t, T.Delete("/b", 4));
        Assert.Equal(baseline, t.Acls.Count);
    }

    [Fact]
    public void OpenAclNeedsNoCacheEntry()
    {
        var t = new DataTree();
        Apply(t, T.Create("/a", 1, acl: Acl.OpenAclUnsafe));
        Assert.Equal(AclCache.OpenAclRef, t.GetNode("/a")!.AclRef);
        Assert.Equal(1, t.Acls.Count);
    }

    [Fact]
    public void SetAclReleasesTheOldEntry()
    {
        var t = new DataTree();
        Apply(t, T.Create("/a", 1, acl: T.Digest("bob:secret")));
        Assert.Equal(2, t.Acls.Count);
        Apply(t, T.SetAcl("/a", T.Ip("10.0.0.0/8"), 1, 2));
        Assert.Equal(2, t.Acls.Count);
        Assert.Equal(T.Ip("10.0.0.0/8"), t.GetAcl(t.GetNode("/a")!));
    }

    [Fact]
    public void ApproximateDataSizeTracksPathsAndData()
    {
        var t = new DataTree();
        long start = t.ApproximateDataSize;
        Apply(t, T.Create("/abc", 1, data: "12345"));
        Assert.Equal(start + 4 + 5, t.ApproximateDataSize);
        Apply(t, T.SetData("/abc", "1", 1, 2));
        Assert.Equal(start + 4 + 1, t.ApproximateDataSize);
        Apply(t, T.Delete("/abc", 3));
        Assert.Equal(start, t.ApproximateDataSize);
    }
}
