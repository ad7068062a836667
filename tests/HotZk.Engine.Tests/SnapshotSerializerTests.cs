using HotZk.Common;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>Snapshot write → read gives back the same tree and sessions.</summary>
public sealed class SnapshotSerializerTests
{
    private static readonly (long, int)[] SessionList = [(0x0100000000000011, 30000), (0x0100000000000022, 4000)];

    private static DataTree BuildTree()
    {
        var t = new DataTree(extendedTypesEnabled: true);
        long z = 0;
        void Ok(Txn txn) => Assert.Equal(ErrorCode.Ok, t.ProcessTxn(txn).Err);
        Ok(T.Create("/app", ++z, data: "root-data", acl: T.Digest("bob:secret")));
        Ok(T.Create("/app/a", ++z, data: null, acl: T.Digest("bob:secret")));
        Ok(T.Create("/app/b", ++z, data: "", acl: [new(Perms.Read, Id.AnyoneIdUnsafe), new(Perms.All, new Id("ip", "10.0.0.0/8"))]));
        Ok(T.Create("/app/b/deep", ++z, data: "d"));
        Ok(T.Create("/app/gone", ++z));
        Ok(T.Delete("/app/gone", ++z));
        Ok(T.SetData("/app", "v2", 1, ++z));
        Ok(T.SetAcl("/app/b/deep", T.Ip("127.0.0.1"), 1, ++z));
        Ok(T.Create("/app/e1", ++z, ephemeral: true, clientId: 0x0100000000000011));
        Ok(T.Create("/app/e2", ++z, ephemeral: true, clientId: 0x0100000000000022));
        Ok(T.Create("/app/e3", ++z, ephemeral: true, clientId: 0x0100000000000022));
        var c = T.Create("/c", ++z);
        c.Type = OpCode.CreateContainer;
        Ok(c);
        Ok(T.Create("/c/child", ++z));
        var ttl = T.Create("/ttl", ++z, data: "t");
        ttl.Type = OpCode.CreateTtl;
        ttl.Ttl = 60_000;
        Ok(ttl);
        Ok(T.Create("/zookeeper/quota/app", ++z));
        Ok(T.SetData("/zookeeper/config", "server.1=x", 1, ++z));
        return t;
    }

    private static (DataTree Tree, long Zxid, List<(long Id, int Timeout)> Sessions) RoundTrip(DataTree tree, long zxid = 0x1234)
    {
        using var ms = new MemoryStream();
        SnapshotSerializer.Write(ms, tree, zxid, SessionList);
        ms.Position = 0;
        return SnapshotSerializer.Read(ms, tree.ExtendedTypesEnabled);
    }

    [Fact]
    public void EveryNodeComesBackWithItsStoredFieldsDataAclAndChildren()
    {
        var tree = BuildTree();
        var (back, _, _) = RoundTrip(tree);
        Assert.Equal(tree.NodeCount, back.NodeCount);
        foreach (var (path, n) in tree.Nodes)
        {
            var m = back.GetNode(path);
            Assert.True(m is not null, $"{path} missing after reload");
            Assert.Equal(n.Czxid, m.Czxid);
            Assert.Equal(n.Mzxid, m.Mzxid);
            Assert.Equal(n.Ctime, m.Ctime);
            Assert.Equal(n.Mtime, m.Mtime);
            Assert.Equal(n.Version, m.Version);
            Assert.Equal(n.Cversion, m.Cversion);
            Assert.Equal(n.Aversion, m.Aversion);
            Assert.Equal(n.EphemeralOwner, m.EphemeralOwner);
            Assert.Equal(n.Pzxid, m.Pzxid);
            Assert.Equal(n.Data, m.Data); // null stays null, empty stays empty
            Assert.Equal(n.Data is null, m.Data is null);
            Assert.Equal(tree.GetAcl(n), back.GetAcl(m));
            Assert.Equal(n.Children.OrderBy(x => x, StringComparer.Ordinal), m.Children.OrderBy(x => x, StringComparer.Ordinal));
            Assert.Equal(tree.StatOf(n), back.StatOf(m));
        }
    }

    [Fact]
    public void ZxidAndSessionsComeBack()
    {
        var (back, zxid, sessions) = RoundTrip(BuildTree(), 0x0000000500000099);
        Assert.Equal(0x0000000500000099, zxid);
        Assert.Equal(0x0000000500000099, back.LastProcessedZxid);
        Assert.Equal(SessionList, sessions);
    }

    [Fact]
    public void EphemeralContainerAndTtlIndexesAreRebuilt()
    {
        var tree = BuildTree();
        var (back, _, _) = RoundTrip(tree);
        Assert.Equal(["/app/e1"], back.EphemeralsOf(0x0100000000000011));
        Assert.Equal(["/app/e2", "/app/e3"], back.EphemeralsOf(0x0100000000000022).Order(StringComparer.Ordinal));
        Assert.Equal(3, back.EphemeralCount);
        Assert.Equal(["/c"], back.Containers);
        Assert.Equal(["/ttl"], back.Ttls);
    }

    [Fact]
    public void ApproximateDataSizeOfOrdinaryNodesSurvivesReload()
    {
        var tree = new DataTree();
        tree.ProcessTxn(T.Create("/a", 1, data: "12345"));
        tree.ProcessTxn(T.Create("/a/b", 2, data: "xyz"));
        var (back, _, _) = RoundTrip(tree);
        Assert.Equal(tree.ApproximateDataSize, back.ApproximateDataSize);
    }

    [Fact]
    public void ApproximateDataSizeCountsDataOnBuiltInNodesAfterReload()
    {
        var tree = new DataTree();
        tree.ProcessTxn(T.SetData("/", "root-data", 1, 1));
        var (back, _, _) = RoundTrip(tree);
        Assert.Equal(tree.ApproximateDataSize, back.ApproximateDataSize);
    }

    [Fact]
    public void AclCacheIsRebuiltWithSharingAndReferenceCounts()
    {
        var tree = BuildTree();
        var (back, _, _) = RoundTrip(tree);
        Assert.Equal(tree.Acls.Count, back.Acls.Count);
        Assert.Equal(back.GetNode("/app")!.AclRef, back.GetNode("/app/a")!.AclRef);
        int count = back.Acls.Count;
        Assert.Equal(ErrorCode.Ok, back.ProcessTxn(T.Delete("/app/a", 100)).Err);
        Assert.Equal(count, back.Acls.Count);
        Assert.Equal(ErrorCode.Ok, back.ProcessTxn(T.SetAcl("/app", T.Open, 1, 101)).Err);
        Assert.Equal(count - 1, back.Acls.Count); // last reference to bob's ACL gone
    }

    [Fact]
    public void NewAclsAfterReloadDoNotReuseLoadedReferences()
    {
        var (back, _, _) = RoundTrip(BuildTree());
        var before = back.Nodes.ToDictionary(kv => kv.Key, kv => back.GetAcl(kv.Value));
        Assert.Equal(ErrorCode.Ok, back.ProcessTxn(T.Create("/new", 200, acl: T.Digest("carol:pw"))).Err);
        Assert.Equal(T.Digest("carol:pw"), back.GetAcl(back.GetNode("/new")!));
        foreach (var (path, acl) in before) Assert.Equal(acl, back.GetAcl(back.GetNode(path)!));
    }

    [Fact]
    public void ReloadedTreeKeepsApplyingTxns()
    {
        var (back, _, _) = RoundTrip(BuildTree());
        Assert.Equal(ErrorCode.Ok, back.ProcessTxn(T.Create("/app/b/deep2", 300, parentCversion: 2)).Err);
        Assert.Equal(2, back.GetNode("/app/b")!.ChildCount);
        back.ProcessTxn(new Txn { Type = OpCode.CloseSession, ClientId = 0x0100000000000022, Zxid = 301 });
        Assert.Null(back.GetNode("/app/e2"));
        Assert.Null(back.GetNode("/app/e3"));
        Assert.NotNull(back.GetNode("/app/e1"));
    }

    [Fact]
    public void BuiltInNodesKeepTheirChildrenAndTakeStoredFields()
    {
        var tree = BuildTree();
        var (back, _, _) = RoundTrip(tree);
        Assert.Equal("server.1=x"u8.ToArray(), back.GetNode("/zookeeper/config")!.Data);
        Assert.Equal(Acl.ReadAclUnsafe, back.GetAcl(back.GetNode("/zookeeper/config")!));
        Assert.Equal(["app"], back.GetNode("/zookeeper/quota")!.Children);
        Assert.Equal(["app", "c", "ttl", "zookeeper"], back.GetNode("/")!.Children.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void FreshTreeRoundTrips()
    {
        var (back, _, sessions) = RoundTrip(new DataTree());
        Assert.Equal(4, back.NodeCount);
        Assert.Equal(-1, back.StatOf(back.GetNode("/")!).Cversion);
        Assert.Equal(-1, back.GetNode("/zookeeper/config")!.Aversion);
        Assert.Equal(1, back.Acls.Count);
        Assert.Equal(2, sessions.Count);
    }

    [Fact]
    public void ForeignBytesAreRejected()
    {
        using var ms = new MemoryStream([0x5A, 0x4B, 0x53, 0x4E, 0, 0, 0, 2, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]); // Apache "ZKSN"
        Assert.Throws<InvalidDataException>(() => SnapshotSerializer.Read(ms, false));
    }
}
