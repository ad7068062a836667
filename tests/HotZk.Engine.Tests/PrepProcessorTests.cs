using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Processing;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>Validation in ZooKeeper's check order (zk-protocol.md §5.1) and in-flight ChangeRecords.</summary>
public sealed class PrepProcessorTests
{
    private readonly DataTree _tree;
    private readonly PrepProcessor _prep;
    private readonly FakeConnection _bob = new("10.1.1.1");
    private readonly FakeConnection _anon = new("10.9.9.9");
    private long _zxid;

    public PrepProcessorTests() : this(extendedTypes: false) { }

    private PrepProcessorTests(bool extendedTypes)
    {
        _tree = new DataTree(extendedTypes);
        _prep = new PrepProcessor(_tree, new EngineOptions { ExtendedTypesEnabled = extendedTypes });
        _bob.Auth.Add(new Id("digest", DigestAuth.Generate("bob:secret")));
    }

    private static PrepProcessorTests WithExtendedTypes() => new(extendedTypes: true);

    private Txn Prepare(Request r) => _prep.Prepare(r, ++_zxid, 5000 + _zxid);

    private static ErrorCode Code(Txn t) => t.Type == OpCode.Error ? t.Err : ErrorCode.Ok;

    private ErrorCode Run(Request r) => Code(Prepare(r));

    /// <summary>Prepares and applies a request that must succeed.</summary>
    private Txn Do(Request r)
    {
        var t = Prepare(r);
        Assert.Equal(ErrorCode.Ok, Code(t));
        var result = _tree.ProcessTxn(t);
        Assert.Equal(ErrorCode.Ok, result.Err);
        _prep.Applied(t);
        return t;
    }

    /// <summary>A node only the digest user alice may touch.</summary>
    private void CreateLocked(string path, Perms worldPerms = Perms.None)
    {
        var acl = new List<Acl> { new(Perms.All, new Id("digest", DigestAuth.Generate("alice:pw"))) };
        if (worldPerms != Perms.None) acl.Add(new Acl(worldPerms, Id.AnyoneIdUnsafe));
        Do(T.CreateReq(path, acl: [.. acl]));
    }

    // ---- create: flags and TTL ----

    [Theory]
    [InlineData(7)]
    [InlineData(-1)]
    [InlineData(100)]
    public void CreateWithUnknownFlagsIsBadArguments(int flags) =>
        Assert.Equal(ErrorCode.BadArguments, Run(T.CreateReq("/a", flags, conn: _bob)));

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void TtlFlagsOnPlainCreateAreUnimplementedWhenExtendedTypesAreOff(int flags) =>
        Assert.Equal(ErrorCode.Unimplemented, Run(T.CreateReq("/a", flags)));

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void TtlFlagsOnPlainCreateAreBadArgumentsWhenExtendedTypesAreOn(int flags)
    {
        var p = WithExtendedTypes();
        Assert.Equal(ErrorCode.BadArguments, p.Run(T.CreateReq("/a", flags)));
        Assert.Equal(ErrorCode.BadArguments, p.Run(T.CreateReq("/a", flags, op: OpCode.Create2)));
    }

    [Fact]
    public void CreateTtlIsUnimplementedWhenExtendedTypesAreOff() =>
        Assert.Equal(ErrorCode.Unimplemented, Run(T.CreateReq("/a", 5, op: OpCode.CreateTtl, ttl: 1000)));

    [Fact]
    public void CreateTtlWithAnUnknownFlagIsBadArgumentsEvenWhenExtendedTypesAreOff() =>
        // §5.1: "unknown flags → BADARGUMENTS" is the first create check, before the TTL/extended-types one.
        Assert.Equal(ErrorCode.BadArguments, Run(T.CreateReq("/a", 9, op: OpCode.CreateTtl, ttl: 1000)));

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(1L << 40)]
    [InlineData(long.MaxValue)]
    public void CreateTtlWithAnOutOfRangeTtlIsBadArguments(long ttl) =>
        Assert.Equal(ErrorCode.BadArguments, WithExtendedTypes().Run(T.CreateReq("/a", 5, op: OpCode.CreateTtl, ttl: ttl)));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    public void CreateTtlWithANonTtlModeIsBadArguments(int flags) =>
        Assert.Equal(ErrorCode.BadArguments, WithExtendedTypes().Run(T.CreateReq("/a", flags, op: OpCode.CreateTtl, ttl: 1000)));

    [Fact]
    public void CreateTtlWithTheLargestTtlBuildsATtlTxn()
    {
        var p = WithExtendedTypes();
        var t = p.Prepare(T.CreateReq("/a", 5, op: OpCode.CreateTtl, ttl: EphemeralTypes.MaxTtl));
        Assert.Equal(OpCode.CreateTtl, t.Type);
        Assert.Equal(EphemeralTypes.MaxTtl, t.Ttl);
        Assert.Equal("/a", t.Path);
        Assert.Equal(1, t.ParentCversion);
    }

    [Fact]
    public void SequentialTtlCreateAppendsTheSuffix()
    {
        var p = WithExtendedTypes();
        var t = p.Prepare(T.CreateReq("/s-", 6, op: OpCode.CreateTtl, ttl: 1000));
        Assert.Equal("/s-0000000000", t.Path); // root's stored cversion is 0: /zookeeper was added without a create
    }

    [Fact]
    public void ContainerFlagOnPlainCreateMakesAPersistentNode()
    {
        var t = Prepare(T.CreateReq("/a", 4));
        Assert.Equal(OpCode.Create, t.Type);
        Assert.False(t.Ephemeral);
        _tree.ProcessTxn(t);
        Assert.Equal(0, _tree.GetNode("/a")!.EphemeralOwner);
    }

    [Fact]
    public void CreateContainerOpcodeMakesAContainerWhateverTheFlag()
    {
        var t = Prepare(T.CreateReq("/c", 0, op: OpCode.CreateContainer));
        Assert.Equal(OpCode.CreateContainer, t.Type);
        _tree.ProcessTxn(t);
        Assert.Contains("/c", _tree.Containers);
    }

    [Fact]
    public void CreateContainerWithSequentialFlagStillAddsTheSuffix()
    {
        var t = Prepare(T.CreateReq("/c-", 2, op: OpCode.CreateContainer));
        Assert.Equal(OpCode.CreateContainer, t.Type);
        Assert.Equal("/c-0000000000", t.Path);
    }

    [Fact]
    public void EphemeralCreateMarksTheTxnEphemeral()
    {
        var t = Prepare(T.CreateReq("/e", 1, session: 0xABC));
        Assert.Equal(OpCode.Create, t.Type);
        Assert.True(t.Ephemeral);
        Assert.Equal(0xABC, t.ClientId);
        _tree.ProcessTxn(t);
        Assert.Equal(0xABC, _tree.GetNode("/e")!.EphemeralOwner);
    }

    [Fact]
    public void Create2KeepsItsOpcodeInTheTxn()
    {
        var t = Prepare(T.CreateReq("/a", 0, op: OpCode.Create2));
        Assert.Equal(OpCode.Create2, t.Type);
        Assert.Equal(1, t.ParentCversion);
    }

    // ---- create: path, ACL, parent, permission, existence ----

    [Theory]
    [InlineData("a")]
    [InlineData("")]
    [InlineData("/a\0b")]
    public void CreateWithoutSlashOrWithNulIsBadArguments(string path) =>
        Assert.Equal(ErrorCode.BadArguments, Run(T.CreateReq(path)));

    [Fact]
    public void BadPathIsReportedBeforeAnInvalidAcl() =>
        Assert.Equal(ErrorCode.BadArguments, Run(T.CreateReq("a", acl: [])));

    [Fact]
    public void InvalidAclIsReportedBeforeAMissingParent() =>
        Assert.Equal(ErrorCode.InvalidAcl, Run(T.CreateReq("/missing/x", acl: [])));

    [Fact]
    public void CreateUnderAMissingParentIsNoNode() =>
        Assert.Equal(ErrorCode.NoNode, Run(T.CreateReq("/missing/x", conn: _bob)));

    [Fact]
    public void CreateUnderAParentWithoutCreatePermissionIsNoAuth()
    {
        CreateLocked("/locked", Perms.Read);
        Assert.Equal(ErrorCode.NoAuth, Run(T.CreateReq("/locked/x", conn: _bob)));
    }

    [Fact]
    public void NoAuthIsReportedBeforeNodeExists()
    {
        CreateLocked("/locked");
        Do(T.CreateReq("/locked/x")); // internal request: no auth, no check
        Assert.Equal(ErrorCode.NoAuth, Run(T.CreateReq("/locked/x", conn: _bob)));
    }

    [Fact]
    public void NoAuthIsReportedBeforeAnInvalidFinalPath()
    {
        CreateLocked("/locked");
        Assert.Equal(ErrorCode.NoAuth, Run(T.CreateReq("/locked/", conn: _bob)));
        Do(T.CreateReq("/open"));
        Assert.Equal(ErrorCode.BadArguments, Run(T.CreateReq("/open/", conn: _bob)));
    }

    [Theory]
    [InlineData("/a/.")]
    [InlineData("/a/..")]
    [InlineData("/a/b\u0001")]
    public void CreateWithAnInvalidFinalPathIsBadArguments(string path)
    {
        Do(T.CreateReq("/a"));
        Assert.Equal(ErrorCode.BadArguments, Run(T.CreateReq(path)));
    }

    [Fact]
    public void CreatingTheRootIsNodeExists() =>
        Assert.Equal(ErrorCode.NodeExists, Run(T.CreateReq("/")));

    [Fact]
    public void CreateOfAnExistingNodeIsNodeExists()
    {
        Do(T.CreateReq("/a"));
        Assert.Equal(ErrorCode.NodeExists, Run(T.CreateReq("/a", conn: _bob)));
        Assert.Equal(ErrorCode.NodeExists, Run(T.CreateReq("/zookeeper")));
    }

    [Fact]
    public void CreateUnderAnEphemeralIsNoChildrenForEphemerals()
    {
        Do(T.CreateReq("/e", 1, session: 0x77));
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, Run(T.CreateReq("/e/c", conn: _bob)));
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, Run(T.CreateReq("/e/s-", 2)));
    }

    [Fact]
    public void NodeExistsIsReportedBeforeNoChildrenForEphemerals()
    {
        Do(T.CreateReq("/e", 1, session: 0x77));
        // Only reachable through replay/import: force a child under the ephemeral directly in the tree.
        Assert.Equal(ErrorCode.Ok, _tree.ProcessTxn(T.Create("/e/c", 99)).Err);
        Assert.Equal(ErrorCode.NodeExists, Run(T.CreateReq("/e/c")));
        Assert.Equal(ErrorCode.NoChildrenForEphemerals, Run(T.CreateReq("/e/d")));
    }

    [Fact]
    public void ChildrenAreAllowedUnderContainersAndTtlNodes()
    {
        var p = WithExtendedTypes();
        p.Do(T.CreateReq("/c", 0, op: OpCode.CreateContainer));
        p.Do(T.CreateReq("/t", 5, op: OpCode.CreateTtl, ttl: 1000));
        Assert.Equal(ErrorCode.Ok, p.Run(T.CreateReq("/c/x")));
        Assert.Equal(ErrorCode.Ok, p.Run(T.CreateReq("/t/x")));
    }

    // ---- sequential names (§7.1, §7.5) ----

    [Fact]
    public void SequentialPathEndingInSlashGetsTheBareCounter()
    {
        Do(T.CreateReq("/a"));
        for (int i = 0; i < 4; i++) Do(T.CreateReq($"/a/n{i}"));
        var t = Prepare(T.CreateReq("/a/", 2));
        Assert.Equal(ErrorCode.Ok, Code(t));
        Assert.Equal("/a/0000000004", t.Path);
    }

    [Fact]
    public void SequentialNumbersCountEveryCreationAndAreNotReused()
    {
        Do(T.CreateReq("/q"));
        Assert.Equal("/q/s-0000000000", Do(T.CreateReq("/q/s-", 2)).Path);
        Assert.Equal("/q/s-0000000001", Do(T.CreateReq("/q/s-", 2)).Path);
        Assert.Equal("/q/s-0000000002", Do(T.CreateReq("/q/s-", 2)).Path);
        Do(T.DeleteReq("/q/s-0000000001"));
        Do(T.CreateReq("/q/plain"));
        Assert.Equal("/q/s-0000000004", Do(T.CreateReq("/q/s-", 3, session: 0x9)).Path);
    }

    /// <summary>Gives a node a stored cversion the way an image would (the tree's own API, no reflection).</summary>
    private void SetStoredCversion(string path, int cversion)
    {
        var node = _tree.GetNode(path)!;
        var meta = node.Meta;
        meta.Cversion = cversion;
        _tree.LoadNode(System.Text.Encoding.UTF8.GetBytes(path), meta, node.Data, node.Data is null);
        Assert.Equal(cversion, _tree.GetNode(path)!.Cversion);
    }

    [Fact]
    public void NegativeSequenceCounterKeepsTheMinusSignInsideTenCharacters()
    {
        Do(T.CreateReq("/q"));
        SetStoredCversion("/q", -5); // after 2^31 creations the int counter wraps negative
        var t = Prepare(T.CreateReq("/q/s-", 2));
        // Java String.format("%010d", -5) == "-000000005" (verified with OpenJDK 17).
        Assert.Equal("/q/s--000000005", t.Path);
    }

    [Fact]
    public void MostNegativeSequenceCounterIsFormattedLikeJava()
    {
        Do(T.CreateReq("/q"));
        SetStoredCversion("/q", int.MinValue);
        Assert.Equal("/q/-2147483648", Prepare(T.CreateReq("/q/", 2)).Path);
    }

    [Fact]
    public void CreateTxnCarriesTheParentsNewStoredCversion()
    {
        Do(T.CreateReq("/p"));
        Do(T.CreateReq("/p/a"));
        Do(T.CreateReq("/p/b"));
        Do(T.DeleteReq("/p/a"));
        var t = Prepare(T.CreateReq("/p/c"));
        Assert.Equal(3, t.ParentCversion);
    }

    // ---- delete (§5.1) ----

    [Theory]
    [InlineData("/")]
    [InlineData("/zookeeper")]
    [InlineData("/zookeeper/quota")]
    [InlineData("/zookeeper/config")]
    [InlineData("nope")]
    [InlineData("")]
    [InlineData("/a\0")]
    public void DeleteOfSystemNodesOrBadPathsIsBadArguments(string path) =>
        Assert.Equal(ErrorCode.BadArguments, Run(T.DeleteReq(path, conn: _bob)));

    [Fact]
    public void DeleteUnderAMissingParentIsNoNode() =>
        Assert.Equal(ErrorCode.NoNode, Run(T.DeleteReq("/missing/x", conn: _bob)));

    [Fact]
    public void DeletingAMissingChildOfAnUnwritableParentIsNoAuthNotNoNode()
    {
        CreateLocked("/locked", Perms.Read | Perms.Create);
        Assert.Equal(ErrorCode.NoAuth, Run(T.DeleteReq("/locked/missing", conn: _bob)));
    }

    [Fact]
    public void DeleteOfAMissingNodeIsNoNode() =>
        Assert.Equal(ErrorCode.NoNode, Run(T.DeleteReq("/missing", conn: _bob)));

    [Fact]
    public void DeleteWithAWrongVersionIsBadVersion()
    {
        Do(T.CreateReq("/a"));
        Assert.Equal(ErrorCode.BadVersion, Run(T.DeleteReq("/a", 3)));
        Assert.Equal(ErrorCode.Ok, Run(T.DeleteReq("/a", 0)));
    }

    [Fact]
    public void BadVersionIsReportedBeforeNotEmpty()
    {
        Do(T.CreateReq("/a"));
        Do(T.CreateReq("/a/b"));
        Assert.Equal(ErrorCode.BadVersion, Run(T.DeleteReq("/a", 7)));
        Assert.Equal(ErrorCode.NotEmpty, Run(T.DeleteReq("/a", 0)));
        Assert.Equal(ErrorCode.NotEmpty, Run(T.DeleteReq("/a", -1)));
    }

    [Fact]
    public void DeleteContainerOfAPlainNodeIsBadVersion()
    {
        Do(T.CreateReq("/a"));
        Assert.Equal(ErrorCode.BadVersion, Run(new Request { Op = OpCode.DeleteContainer, Path = "/a" }));
    }

    [Fact]
    public void DeleteContainerOfANonEmptyContainerIsNotEmpty()
    {
        Do(T.CreateReq("/c", op: OpCode.CreateContainer));
        Do(T.CreateReq("/c/x"));
        Assert.Equal(ErrorCode.NotEmpty, Run(new Request { Op = OpCode.DeleteContainer, Path = "/c" }));
    }

    [Fact]
    public void DeleteContainerSkipsTheAclCheck()
    {
        var lockedAcl = new[] { new Acl(Perms.All, new Id("digest", DigestAuth.Generate("alice:pw"))) };
        Do(T.CreateReq("/locked", acl: lockedAcl));
        Do(T.CreateReq("/locked/c", op: OpCode.CreateContainer));
        var t = Prepare(new Request { Op = OpCode.DeleteContainer, Path = "/locked/c", Connection = _bob });
        Assert.Equal(OpCode.DeleteContainer, t.Type);
        Assert.Equal("/locked/c", t.Path);
    }

    // ---- setData / setACL / check (§5.1) ----

    [Theory]
    [InlineData("/a/")]
    [InlineData("a")]
    [InlineData("/a//b")]
    public void SetDataWithAnInvalidPathIsBadArguments(string path) =>
        Assert.Equal(ErrorCode.BadArguments, Run(T.SetDataReq(path)));

    [Fact]
    public void SetDataOrderIsNoNodeThenNoAuthThenBadVersion()
    {
        Assert.Equal(ErrorCode.NoNode, Run(T.SetDataReq("/locked", conn: _bob)));
        CreateLocked("/locked", Perms.Read);
        Assert.Equal(ErrorCode.NoAuth, Run(T.SetDataReq("/locked", version: 42, conn: _bob)));
        Do(T.CreateReq("/open"));
        Assert.Equal(ErrorCode.BadVersion, Run(T.SetDataReq("/open", version: 42, conn: _bob)));
    }

    [Fact]
    public void SetDataTxnCarriesTheNewVersion()
    {
        Do(T.CreateReq("/a"));
        var t = Do(T.SetDataReq("/a", "v1", version: 0));
        Assert.Equal(OpCode.SetData, t.Type);
        Assert.Equal(1, t.Version);
        Assert.Equal("v1"u8.ToArray(), t.Data);
        Assert.Equal(2, Do(T.SetDataReq("/a", "v2", version: -1)).Version);
    }

    [Fact]
    public void SetAclOrderIsBadPathThenInvalidAclThenNoNodeThenNoAuthThenBadVersion()
    {
        Assert.Equal(ErrorCode.BadArguments, Run(T.SetAclReq("/x/", [], conn: _bob)));
        Assert.Equal(ErrorCode.InvalidAcl, Run(T.SetAclReq("/missing", [], conn: _bob)));
        Assert.Equal(ErrorCode.NoNode, Run(T.SetAclReq("/missing", T.Open, conn: _bob)));
        CreateLocked("/locked", Perms.Read | Perms.Write | Perms.Create | Perms.Delete);
        Assert.Equal(ErrorCode.NoAuth, Run(T.SetAclReq("/locked", T.Open, version: 42, conn: _bob)));
        Do(T.CreateReq("/open"));
        Assert.Equal(ErrorCode.BadVersion, Run(T.SetAclReq("/open", T.Open, version: 42, conn: _bob)));
    }

    [Fact]
    public void SetAclIsCheckedAgainstAversionNotVersion()
    {
        Do(T.CreateReq("/a"));
        Do(T.SetDataReq("/a"));
        Assert.Equal(ErrorCode.BadVersion, Run(T.SetAclReq("/a", T.Open, version: 1)));
        var t = Do(T.SetAclReq("/a", T.Digest("bob:secret"), version: 0));
        Assert.Equal(1, t.Version);
        Assert.Equal(1, _tree.GetNode("/a")!.Aversion);
    }

    [Fact]
    public void CheckOrderIsBadPathThenNoNodeThenNoAuthThenBadVersion()
    {
        Assert.Equal(ErrorCode.BadArguments, MultiCode(T.CheckReq("/x/")));
        Assert.Equal(ErrorCode.NoNode, MultiCode(T.CheckReq("/missing")));
        CreateLocked("/locked", Perms.Write);
        Assert.Equal(ErrorCode.NoAuth, MultiCode(T.CheckReq("/locked", 42)));
        Do(T.CreateReq("/open"));
        Assert.Equal(ErrorCode.BadVersion, MultiCode(T.CheckReq("/open", 42)));
        Assert.Equal(ErrorCode.Ok, MultiCode(T.CheckReq("/open", 0)));
    }

    private ErrorCode MultiCode(Request op)
    {
        var t = Prepare(T.MultiReq(_bob, op));
        return t.Ops![0].Type == OpCode.Error ? t.Ops[0].Err : ErrorCode.Ok;
    }

    [Fact]
    public void CheckTxnLogsTheCurrentVersionPlusOne()
    {
        // §12.3: CheckVersionTxn{path, int version (current+1)}.
        Do(T.CreateReq("/a"));
        Do(T.SetDataReq("/a"));
        var t = Prepare(T.MultiReq(null, T.CheckReq("/a", 1)));
        Assert.Equal(OpCode.Check, t.Ops![0].Type);
        Assert.Equal(2, t.Ops[0].Version);
        var any = Prepare(T.MultiReq(null, T.CheckReq("/a", -1)));
        Assert.Equal(2, any.Ops![0].Version);
    }

    [Fact]
    public void SkipAclOptionBypassesPermissionChecks()
    {
        var tree = new DataTree();
        var prep = new PrepProcessor(tree, new EngineOptions { SkipAcl = true });
        var create = prep.Prepare(T.CreateReq("/locked", acl: T.Digest("alice:pw")), 1, 1);
        tree.ProcessTxn(create);
        prep.Applied(create);
        Assert.Equal(OpCode.Create, prep.Prepare(T.CreateReq("/locked/x", conn: _bob), 2, 2).Type);
        Assert.Equal(OpCode.SetData, prep.Prepare(T.SetDataReq("/locked", conn: _bob), 3, 3).Type);
    }

    [Fact]
    public void SuperBypassesPermissionChecks()
    {
        CreateLocked("/locked");
        var root = new FakeConnection();
        root.Auth.IsSuper = true;
        Assert.Equal(ErrorCode.Ok, Run(T.SetDataReq("/locked", conn: root)));
    }

    // ---- ACL validation (§8.2) ----

    public static TheoryData<string, Acl[]?> InvalidAcls => new()
    {
        { "null list", null },
        { "empty list", [] },
        { "world:nobody", [new Acl(Perms.All, new Id("world", "nobody"))] },
        { "digest without colon", [new Acl(Perms.All, new Id("digest", "bob"))] },
        { "digest with two colons", [new Acl(Perms.All, new Id("digest", "bob:x:y"))] },
        { "ip with three parts", [new Acl(Perms.All, new Id("ip", "10.0.1"))] },
        { "ip out of range", [new Acl(Perms.All, new Id("ip", "300.1.1.1"))] },
        { "ip prefix too long", [new Acl(Perms.All, new Id("ip", "10.0.0.0/33"))] },
        { "ip garbage", [new Acl(Perms.All, new Id("ip", "localhost"))] },
        { "unknown scheme", [new Acl(Perms.All, new Id("foo", "bar"))] },
        { "auth without authenticated id", [new Acl(Perms.All, Id.AuthIdsUnsafe)] },
        { "one bad entry among good ones", [new Acl(Perms.All, Id.AnyoneIdUnsafe), new Acl(Perms.Read, new Id("foo", "bar"))] },
    };

    [Theory]
    [MemberData(nameof(InvalidAcls))]
    public void InvalidAclListsAreRejectedOnCreateAndSetAcl(string why, Acl[]? acl)
    {
        Assert.False(string.IsNullOrEmpty(why));
        var create = T.CreateReq("/a", conn: _anon);
        create.Acl = acl;
        Assert.Equal(ErrorCode.InvalidAcl, Run(create));
        Assert.Equal(ErrorCode.InvalidAcl, Run(T.SetAclReq("/zookeeper", acl, conn: _anon)));
    }

    [Fact]
    public void AuthAclExpandsToTheCallersAuthenticatedIdsButNotIp()
    {
        var t = Prepare(T.CreateReq("/a", acl: Acl.CreatorAllAcl, conn: _bob));
        Assert.Equal([new Acl(Perms.All, new Id("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="))], t.Acl!);
    }

    [Fact]
    public void AuthAclOfASuperUserDoesNotAddASuperEntry()
    {
        // §8.2: auth expands to every authenticated id (digest, sasl, x509 — not ip); "super" has no provider.
        var conn = new FakeConnection("10.1.1.1");
        conn.Auth.Add(new Id("digest", DigestAuth.Generate("super:pw")));
        conn.Auth.Add(new Id("super", ""));
        conn.Auth.IsSuper = true;
        var t = Prepare(T.CreateReq("/a", acl: Acl.CreatorAllAcl, conn: conn));
        Assert.Equal([new Acl(Perms.All, new Id("digest", DigestAuth.Generate("super:pw")))], t.Acl!);
    }

    [Fact]
    public void DuplicateAclEntriesAreRemoved()
    {
        var dup = new[] { new Acl(Perms.Read, Id.AnyoneIdUnsafe), new Acl(Perms.Read, Id.AnyoneIdUnsafe) };
        var t = Prepare(T.CreateReq("/a", acl: dup));
        Assert.Equal([new Acl(Perms.Read, Id.AnyoneIdUnsafe)], t.Acl!);
    }

    [Fact]
    public void ValidIpAndDigestAclsAreAccepted()
    {
        Acl[] acl =
        [
            new(Perms.Read, new Id("ip", "10.0.0.0/8")),
            new(Perms.Read, new Id("ip", "::1")),
            new(Perms.Read, new Id("ip", "fe80::/10")),
            new(Perms.All, new Id("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=")),
        ];
        var t = Prepare(T.CreateReq("/a", acl: acl));
        Assert.Equal(OpCode.Create, t.Type);
        Assert.Equal(acl, t.Acl);
    }

    // ---- in-flight ChangeRecords ----

    [Fact]
    public void SecondCreateOfTheSamePathBeforeApplyIsNodeExists()
    {
        var first = Prepare(T.CreateReq("/a"));
        Assert.Equal(OpCode.Create, first.Type);
        Assert.Null(_tree.GetNode("/a"));
        Assert.Equal(ErrorCode.NodeExists, Run(T.CreateReq("/a")));
    }

    [Fact]
    public void SequentialNumbersKeepCountingAcrossUnappliedCreates()
    {
        Do(T.CreateReq("/q"));
        var a = Prepare(T.CreateReq("/q/s-", 2));
        var b = Prepare(T.CreateReq("/q/s-", 2));
        var c = Prepare(T.CreateReq("/q/x"));
        var d = Prepare(T.CreateReq("/q/s-", 2));
        Assert.Equal("/q/s-0000000000", a.Path);
        Assert.Equal("/q/s-0000000001", b.Path);
        Assert.Equal(3, c.ParentCversion);
        Assert.Equal("/q/s-0000000003", d.Path);
        Assert.Equal(4, d.ParentCversion);
    }

    [Fact]
    public void ChildOfAnUnappliedCreateCanBePrepared()
    {
        Prepare(T.CreateReq("/a"));
        var child = Prepare(T.CreateReq("/a/b"));
        Assert.Equal(OpCode.Create, child.Type);
        Assert.Equal(1, child.ParentCversion);
    }

    [Fact]
    public void UnappliedDeleteHidesTheNodeFromLaterWrites()
    {
        Do(T.CreateReq("/a"));
        Assert.Equal(OpCode.Delete, Prepare(T.DeleteReq("/a")).Type);
        Assert.Equal(ErrorCode.NoNode, Run(T.SetDataReq("/a")));
        Assert.Equal(ErrorCode.NoNode, Run(T.DeleteReq("/a")));
        Assert.Equal(ErrorCode.Ok, Run(T.CreateReq("/a")));
    }

    [Fact]
    public void UnappliedSetDataAdvancesTheExpectedVersion()
    {
        Do(T.CreateReq("/a"));
        Assert.Equal(1, Prepare(T.SetDataReq("/a", version: 0)).Version);
        Assert.Equal(ErrorCode.BadVersion, Run(T.SetDataReq("/a", version: 0)));
        Assert.Equal(2, Prepare(T.SetDataReq("/a", version: 1)).Version);
    }

    [Fact]
    public void UnappliedChildCreateMakesTheParentNotEmpty()
    {
        Do(T.CreateReq("/a"));
        Prepare(T.CreateReq("/a/b"));
        Assert.Equal(ErrorCode.NotEmpty, Run(T.DeleteReq("/a")));
    }

    [Fact]
    public void AppliedForgetsTheRecords()
    {
        var t1 = Prepare(T.CreateReq("/a"));
        var t2 = Prepare(T.CreateReq("/b"));
        Assert.True(_prep.PendingCount > 0);
        _tree.ProcessTxn(t1);
        _prep.Applied(t1);
        Assert.NotNull(_prep.GetRecord("/b")); // t2's records survive t1's apply
        _tree.ProcessTxn(t2);
        _prep.Applied(t2);
        Assert.Equal(0, _prep.PendingCount);
        Assert.NotNull(_prep.GetRecord("/a"));
    }

    [Fact]
    public void RecycledRecordsDoNotDisturbInFlightState()
    {
        // Records are reused once replaced, forgotten or discarded: none of that may leak into the
        // state of paths that are still in flight.
        Do(T.CreateReq("/a"));
        Do(T.CreateReq("/b"));
        var s1 = Prepare(T.SetDataReq("/a", version: 0));
        var s2 = Prepare(T.SetDataReq("/a", version: 1)); // replaces s1's record of /a
        Assert.Equal((1, 2), (s1.Version, s2.Version));
        Assert.True(Prepare(T.MultiReq(_bob, T.CreateReq("/b/c"), T.SetDataReq("/b"), T.DeleteReq("/missing"))).IsFailedMulti);
        var c = Prepare(T.CreateReq("/a/x")); // takes records recycled above
        Assert.Equal(1, c.ParentCversion);
        Assert.Equal(ErrorCode.BadVersion, Run(T.SetDataReq("/a", version: 1)));
        Assert.Equal(ErrorCode.NoNode, Run(T.SetDataReq("/b/c")));
        Assert.Equal(1, Prepare(T.SetDataReq("/b", version: 0)).Version);
        foreach (var t in new[] { s1, s2 })
        {
            Assert.Equal(ErrorCode.Ok, _tree.ProcessTxn(t).Err);
            _prep.Applied(t); // /a's record belongs to the later create: kept
        }
        Assert.Equal(3, Prepare(T.SetDataReq("/a", version: 2)).Version);
        Assert.Equal(ErrorCode.NodeExists, Run(T.CreateReq("/a/x")));
        var a = _prep.GetRecord("/a")!;
        Assert.Equal((3, 1, 1), (a.Version, a.Cversion, a.ChildCount)); // one unapplied setData and one unapplied child
    }

    [Fact]
    public void ReleasedTxnIsReusedWithNoFieldOfItsLastUse()
    {
        Do(T.CreateReq("/p"));
        var create = Do(T.CreateReq("/p/e", flags: 1, data: "abc")); // ephemeral: Acl, Data, Ephemeral, ParentCversion set
        Assert.True(create.Ephemeral);
        _prep.Release(create);
        var set = Prepare(T.SetDataReq("/p", "x"));
        Assert.Same(create, set);
        Assert.Equal((OpCode.SetData, "/p", 1, 0x100L, _zxid), (set.Type, set.Path, set.Version, set.ClientId, set.Zxid));
        Assert.Equal("x"u8.ToArray(), set.Data);
        Assert.Null(set.Acl);
        Assert.False(set.Ephemeral);
        Assert.Equal((0, 0L, 0, ErrorCode.Ok), (set.ParentCversion, set.Ttl, set.Timeout, set.Err));
        Assert.Null(set.PathsToDelete);
        Assert.Null(set.Ops);
    }

    [Fact]
    public void FailedPrepareLeavesNoRecords()
    {
        Assert.Equal(ErrorCode.NoNode, Run(T.CreateReq("/x/y")));
        Assert.Equal(0, _prep.PendingCount);
        var err = Prepare(T.DeleteReq("/nope"));
        Assert.Equal(OpCode.Error, err.Type);
        Assert.Equal(ErrorCode.NoNode, err.Err);
    }

    [Fact]
    public void ResetDropsEveryInFlightRecord()
    {
        Prepare(T.CreateReq("/a"));
        _prep.Reset();
        Assert.Equal(0, _prep.PendingCount);
        Assert.Equal(ErrorCode.Ok, Run(T.CreateReq("/a")));
    }

    // ---- multi ----

    [Fact]
    public void MultiOpsSeeEarlierOpsOfTheSameMulti()
    {
        var t = Prepare(T.MultiReq(_bob, T.CreateReq("/m"), T.CreateReq("/m/c"), T.SetDataReq("/m", version: 0), T.CheckReq("/m", 1)));
        Assert.Equal(OpCode.Multi, t.Type);
        Assert.Equal([OpCode.Create, OpCode.Create, OpCode.SetData, OpCode.Check], t.Ops!.Select(o => o.Type));
        Assert.False(t.IsFailedMulti);
        var r = _tree.ProcessTxn(t);
        Assert.All(r.Multi!, x => Assert.Equal(ErrorCode.Ok, x.Err));
        Assert.NotNull(_tree.GetNode("/m/c"));
    }

    [Fact]
    public void FailedMultiMarksTheFailingOpAndEveryLaterOp()
    {
        Do(T.CreateReq("/x"));
        var t = Prepare(T.MultiReq(_bob, T.CreateReq("/m"), T.CreateReq("/x"), T.DeleteReq("/x")));
        Assert.Equal(OpCode.Multi, t.Type);
        Assert.True(t.IsFailedMulti);
        Assert.Equal(OpCode.Create, t.Ops![0].Type);
        Assert.Equal("/m", t.Ops[0].Path);
        Assert.Equal((OpCode.Error, ErrorCode.NodeExists), (t.Ops[1].Type, t.Ops[1].Err));
        Assert.Equal((OpCode.Error, ErrorCode.RuntimeInconsistency), (t.Ops[2].Type, t.Ops[2].Err));
        var r = _tree.ProcessTxn(t);
        Assert.Equal([ErrorCode.Ok, ErrorCode.NodeExists, ErrorCode.RuntimeInconsistency], r.Multi!.Select(x => x.Err));
        Assert.Null(_tree.GetNode("/m"));
    }

    [Fact]
    public void FailedMultiLeavesNoInFlightRecords()
    {
        Prepare(T.MultiReq(_bob, T.CreateReq("/m"), T.DeleteReq("/missing")));
        Assert.Equal(0, _prep.PendingCount);
        Assert.Equal(ErrorCode.Ok, Run(T.CreateReq("/m")));
    }

    [Fact]
    public void EmptyMultiIsAValidTxn()
    {
        var t = Prepare(T.MultiReq(_bob));
        Assert.Equal(OpCode.Multi, t.Type);
        Assert.Empty(t.Ops!);
    }

    [Fact]
    public void ReadOpInsideMultiFailsTheMulti()
    {
        var t = Prepare(T.MultiReq(_bob, T.CreateReq("/m"), new Request { Op = OpCode.GetData, Path = "/m" }));
        Assert.True(t.IsFailedMulti);
        Assert.Null(_tree.GetNode("/m"));
    }

    // ---- closeSession ----

    [Fact]
    public void CloseSessionListsTheSessionsEphemeralsIncludingUnappliedOnes()
    {
        Do(T.CreateReq("/e1", 1, session: 0x42));
        Do(T.CreateReq("/e2", 1, session: 0x42));
        Do(T.CreateReq("/other", 1, session: 0x43));
        Prepare(T.CreateReq("/e3", 1, session: 0x42));
        Prepare(T.DeleteReq("/e2"));
        var close = Prepare(new Request { Op = OpCode.CloseSession, SessionId = 0x42 });
        Assert.Equal(OpCode.CloseSession, close.Type);
        Assert.Equal(["/e1", "/e3"], close.PathsToDelete);
        Assert.Equal(ErrorCode.NoNode, Run(T.SetDataReq("/e1")));
    }

    [Fact]
    public void CreateSessionTxnCarriesTheTimeout()
    {
        var s = new Sessions.Session(0x99, 12000);
        var t = Prepare(new Request { Op = OpCode.CreateSession, SessionId = 0x99, Session = s });
        Assert.Equal(OpCode.CreateSession, t.Type);
        Assert.Equal(12000, t.Timeout);
        Assert.Equal(0x99, t.ClientId);
    }

    [Fact]
    public void ErrorTxnKeepsTheHeaderOfTheRequest()
    {
        var r = T.DeleteReq("/nope");
        r.Xid = 31;
        r.SessionId = 0x1234;
        var t = _prep.Prepare(r, 77, 8888);
        Assert.Equal((OpCode.Error, ErrorCode.NoNode, 0x1234L, 31, 77L, 8888L), (t.Type, t.Err, t.ClientId, t.Cxid, t.Zxid, t.Time));
    }

    [Fact]
    public void ReconfigIsDisabledByDefault() =>
        Assert.Equal(ErrorCode.ReconfigDisabled, Run(new Request { Op = OpCode.Reconfig }));
}
