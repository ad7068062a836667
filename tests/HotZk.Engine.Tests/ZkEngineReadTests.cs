using HotZk.Common;
using HotZk.Engine.Processing;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>Read-side ops and watch management through the engine (zk-protocol.md §4, §6.4, §6.5, §8.3).</summary>
public sealed class ZkEngineReadTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private void Ok(FakeConnection c, Sessions.Session s, Request r) => Assert.Equal(ErrorCode.Ok, _h.Run(c, s, r).Err);

    [Fact]
    public void SetWatchesSendsCatchUpEventsAndRegistersTheRest()
    {
        var (conn, s) = _h.Connect();
        Ok(conn, s, T.CreateReq("/a"));
        Ok(conn, s, T.CreateReq("/b"));
        long seen = _h.Engine.LastProcessedZxid;
        Ok(conn, s, T.SetDataReq("/a"));        // /a mzxid > seen
        Ok(conn, s, T.CreateReq("/b/x"));       // /b pzxid > seen

        var (client, cs) = _h.Connect();
        var sw = new Request
        {
            Op = OpCode.SetWatches2,
            SetWatches = new SetWatchesArgs
            {
                RelativeZxid = seen,
                DataWatches = ["/a", "/b", "/missing"],
                ExistWatches = ["/b", "/nothere"],
                ChildWatches = ["/b", "/a", "/missing2"],
                PersistentWatches = ["/p"],
                PersistentRecursiveWatches = ["/r"],
            },
        };
        Ok(client, cs, sw);
        Assert.Equal(
            new HashSet<(EventType, string)>
            {
                (EventType.NodeDataChanged, "/a"),
                (EventType.NodeDeleted, "/missing"),
                (EventType.NodeCreated, "/b"),
                (EventType.NodeChildrenChanged, "/b"),
                (EventType.NodeDeleted, "/missing2"),
            },
            client.Events.Select(e => (e.Type, e.Path)).ToHashSet());
        int catchUp = client.Events.Length;
        Assert.Equal(5, catchUp);

        Ok(conn, s, T.SetDataReq("/b"));         // registered data watch on /b
        Ok(conn, s, T.CreateReq("/nothere"));    // registered exists watch
        Ok(conn, s, T.CreateReq("/a/k"));        // registered child watch on /a
        Ok(conn, s, T.CreateReq("/p"));          // persistent
        Ok(conn, s, T.CreateReq("/r"));
        Ok(conn, s, T.CreateReq("/r/deep"));     // recursive
        client.WaitFor(j => j.OfType<FakeConnection.EventEntry>().Count() >= catchUp + 6, "events after setWatches");
        Assert.Equal(
        [
            (EventType.NodeDataChanged, "/b"),
            (EventType.NodeCreated, "/nothere"),
            (EventType.NodeChildrenChanged, "/a"),
            (EventType.NodeCreated, "/p"),
            (EventType.NodeCreated, "/r"),
            (EventType.NodeCreated, "/r/deep"),
        ], client.Events.Skip(catchUp).Select(e => (e.Type, e.Path)));
    }

    [Fact]
    public void RemoveWatchesOfTheWrongTypeIsNoWatcherAndTheRightTypeStopsTheEvent()
    {
        var (conn, s) = _h.Connect();
        Ok(conn, s, T.CreateReq("/a"));
        Ok(conn, s, EngineHarness.Read(OpCode.GetData, "/a", watch: true));
        Assert.Equal(ErrorCode.NoWatcher, _h.Run(conn, s, new Request { Op = OpCode.CheckWatches, Path = "/a", Mode = (int)WatcherType.Children }).Err);
        Ok(conn, s, new Request { Op = OpCode.CheckWatches, Path = "/a", Mode = (int)WatcherType.Data });
        Assert.Equal(ErrorCode.NoWatcher, _h.Run(conn, s, new Request { Op = OpCode.RemoveWatches, Path = "/a", Mode = (int)WatcherType.Children }).Err);
        Ok(conn, s, new Request { Op = OpCode.RemoveWatches, Path = "/a", Mode = (int)WatcherType.Data });
        Assert.Equal(ErrorCode.NoWatcher, _h.Run(conn, s, new Request { Op = OpCode.CheckWatches, Path = "/a", Mode = (int)WatcherType.Any }).Err);
        Ok(conn, s, T.SetDataReq("/a"));
        Assert.Empty(conn.Events);
    }

    [Fact]
    public void RemoveWatchesAnyDropsAPersistentWatch()
    {
        var (conn, s) = _h.Connect();
        Ok(conn, s, new Request { Op = OpCode.AddWatch, Path = "/p", Mode = (int)AddWatchMode.Persistent });
        Ok(conn, s, new Request { Op = OpCode.CheckWatches, Path = "/p", Mode = (int)WatcherType.Persistent });
        Ok(conn, s, new Request { Op = OpCode.RemoveWatches, Path = "/p", Mode = (int)WatcherType.Any });
        Ok(conn, s, T.CreateReq("/p"));
        Ok(conn, s, T.CreateReq("/p/c"));
        Assert.Empty(conn.Events);
    }

    [Fact]
    public void AddWatchNeedsNoNodeAndNoPermission()
    {
        var (conn, s) = _h.Connect();
        var (other, so) = _h.Connect();
        Ok(conn, s, new Request { Op = OpCode.AddWatch, Path = "/later", Mode = (int)AddWatchMode.PersistentRecursive });
        Ok(other, so, T.CreateReq("/later"));
        Ok(other, so, T.CreateReq("/later/x"));
        conn.WaitFor(j => j.OfType<FakeConnection.EventEntry>().Count() >= 2, "recursive events");
        Assert.Equal([(EventType.NodeCreated, "/later"), (EventType.NodeCreated, "/later/x")], conn.Events.Select(e => (e.Type, e.Path)));
    }

    [Fact]
    public void GetAclWithoutAdminMasksDigestIds()
    {
        var (bob, sb) = _h.Connect();
        Ok(bob, sb, new Request { Op = OpCode.Auth, AuthScheme = "digest", Data = T.B("bob:secret") });
        Acl[] acl = [.. T.Digest("bob:secret"), new(Perms.Read, Id.AnyoneIdUnsafe)];
        Ok(bob, sb, T.CreateReq("/n", acl: acl));

        var full = new Request { Op = OpCode.GetAcl, Path = "/n" };
        Ok(bob, sb, full);
        Assert.Equal(acl, full.ResultAcl!);

        var (stranger, ss) = _h.Connect();
        var masked = new Request { Op = OpCode.GetAcl, Path = "/n" };
        Ok(stranger, ss, masked);
        Assert.Equal([new Acl(Perms.All, new Id("digest", "bob:x")), new Acl(Perms.Read, Id.AnyoneIdUnsafe)], masked.ResultAcl!);
    }

    [Fact]
    public void GetAclNeedsReadOrAdmin()
    {
        var (conn, s) = _h.Connect();
        Ok(conn, s, T.CreateReq("/n", acl: T.Digest("alice:pw")));
        Assert.Equal(ErrorCode.NoAuth, _h.Run(conn, s, new Request { Op = OpCode.GetAcl, Path = "/n" }).Err);
        Assert.Equal(ErrorCode.NoNode, _h.Run(conn, s, new Request { Op = OpCode.GetAcl, Path = "/missing" }).Err);
    }

    [Fact]
    public void ExistsOnAnUnreadableNodeIsNoAuth()
    {
        var (conn, s) = _h.Connect();
        Ok(conn, s, T.CreateReq("/n", acl: T.Digest("alice:pw")));
        Assert.Equal(ErrorCode.NoAuth, _h.Run(conn, s, EngineHarness.Read(OpCode.Exists, "/n")).Err);
    }

    [Fact]
    public void GetAllChildrenNumberCountsEveryDescendant()
    {
        var (conn, s) = _h.Connect();
        var root = new Request { Op = OpCode.GetAllChildrenNumber, Path = "/" };
        Ok(conn, s, root);
        Assert.Equal(3, root.Count);
        Ok(conn, s, T.CreateReq("/a"));
        Ok(conn, s, T.CreateReq("/a/b"));
        Ok(conn, s, T.CreateReq("/a/b/c"));
        var a = new Request { Op = OpCode.GetAllChildrenNumber, Path = "/a" };
        Ok(conn, s, a);
        Assert.Equal(2, a.Count);
    }

    [Fact]
    public void GetEphemeralsListsOnlyTheCallersNodesByPlainPrefix()
    {
        var (conn, s) = _h.Connect();
        var (other, so) = _h.Connect();
        Ok(conn, s, T.CreateReq("/a", 1));
        Ok(conn, s, T.CreateReq("/ab", 1));
        Ok(conn, s, T.CreateReq("/b", 1));
        Ok(other, so, T.CreateReq("/a2", 1));
        var all = new Request { Op = OpCode.GetEphemerals, Path = "/" };
        Ok(conn, s, all);
        Assert.Equal(["/a", "/ab", "/b"], all.Children!.Order(StringComparer.Ordinal));
        var pre = new Request { Op = OpCode.GetEphemerals, Path = "/a" };
        Ok(conn, s, pre);
        Assert.Equal(["/a", "/ab"], pre.Children!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void ReadReplyCarriesTheLastAppliedZxid()
    {
        var (conn, s) = _h.Connect();
        var w = _h.Run(conn, s, T.CreateReq("/a"));
        var r = _h.Run(conn, s, EngineHarness.Read(OpCode.GetData, "/a"));
        Assert.Equal(w.Request.Zxid, r.ReplyZxid);
    }

    [Fact]
    public void SyncEchoesThePathWithoutCheckingExistence()
    {
        var (conn, s) = _h.Connect();
        var sync = new Request { Op = OpCode.Sync, Path = "/does/not/exist" };
        Ok(conn, s, sync);
        Assert.Equal("/does/not/exist", sync.ResultPath);
    }

    [Fact]
    public void MultiReadReportsPerOpResults()
    {
        var (conn, s) = _h.Connect();
        Ok(conn, s, T.CreateReq("/a", data: "x"));
        var mr = new Request
        {
            Op = OpCode.MultiRead,
            Ops = [EngineHarness.Read(OpCode.GetData, "/a"), EngineHarness.Read(OpCode.GetData, "/missing"), EngineHarness.Read(OpCode.GetChildren, "/")],
        };
        Ok(conn, s, mr);
        Assert.Equal([ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.Ok], mr.Results!.Select(r => r.Err));
        Assert.Equal("x"u8.ToArray(), mr.Results![0].ResultData);
    }
}

/// <summary>Container and TTL reaping (zk-protocol.md §7.7).</summary>
public sealed class ZkEngineReaperTests : IDisposable
{
    private readonly EngineHarness _h = new(new EngineOptions { ContainerCheckIntervalMs = 50, ExtendedTypesEnabled = true });

    public void Dispose() => _h.Dispose();

    private void Ok(FakeConnection c, Sessions.Session s, Request r) => Assert.Equal(ErrorCode.Ok, _h.Run(c, s, r).Err);

    private void WaitForLogged(Func<Txns.Txn, bool> match, string what)
    {
        var deadline = Environment.TickCount64 + 10000;
        while (!_h.Log.Txns.Any(match))
        {
            Assert.True(Environment.TickCount64 < deadline, $"timed out waiting for {what}");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void EmptiedContainerIsDeletedButANeverUsedOneStays()
    {
        var (conn, s) = _h.Connect();
        Ok(conn, s, T.CreateReq("/used", op: OpCode.CreateContainer));
        Ok(conn, s, T.CreateReq("/fresh", op: OpCode.CreateContainer));
        Ok(conn, s, T.CreateReq("/used/x"));
        Ok(conn, s, T.DeleteReq("/used/x"));
        WaitForLogged(t => t.Type == OpCode.DeleteContainer && t.Path == "/used", "deleteContainer /used");
        _h.Log.Release();
        var deadline = Environment.TickCount64 + 10000;
        while (_h.Query(t => t.GetNode("/used")) is not null)
        {
            Assert.True(Environment.TickCount64 < deadline, "/used was not reaped");
            _h.Log.Release();
            Thread.Sleep(20);
        }
        Thread.Sleep(200); // several more reaper rounds
        _h.Log.Release();
        Assert.NotNull(_h.Query(t => t.GetNode("/fresh")));
        Assert.DoesNotContain(_h.Log.Txns, t => t.Type == OpCode.DeleteContainer && t.Path == "/fresh");
    }

    [Fact]
    public void ExpiredTtlNodeWithoutChildrenIsDeleted()
    {
        var (conn, s) = _h.Connect();
        Ok(conn, s, T.CreateReq("/t", 5, op: OpCode.CreateTtl, ttl: 100));
        Ok(conn, s, T.CreateReq("/keep", 5, op: OpCode.CreateTtl, ttl: 100));
        Ok(conn, s, T.CreateReq("/keep/child"));
        WaitForLogged(t => t.Type == OpCode.DeleteContainer && t.Path == "/t", "deleteContainer /t");
        _h.Log.Release();
        var deadline = Environment.TickCount64 + 10000;
        while (_h.Query(t => t.GetNode("/t")) is not null)
        {
            Assert.True(Environment.TickCount64 < deadline, "/t was not reaped");
            _h.Log.Release();
            Thread.Sleep(20);
        }
        Assert.NotNull(_h.Query(t => t.GetNode("/keep")));
    }
}
