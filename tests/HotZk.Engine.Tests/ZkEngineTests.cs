using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Engine.Sessions;
using HotZk.Engine.Tree;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>An engine over <see cref="MemoryTxnLog"/>, with helpers to connect and submit.</summary>
internal sealed class EngineHarness : IDisposable
{
    private int _xid;

    public EngineHarness(EngineOptions? options = null, MemoryTxnLog? log = null)
    {
        Log = log ?? new MemoryTxnLog();
        Engine = new ZkEngine(options ?? new EngineOptions(), Log, null);
        Engine.Start();
    }

    public MemoryTxnLog Log { get; }
    public ZkEngine Engine { get; }

    /// <summary>Opens a new session and makes its createSession durable.</summary>
    public (FakeConnection Conn, Session Session) Connect(int timeout = 30000)
    {
        var conn = new FakeConnection();
        int before = Log.Count;
        Engine.Connect(conn, new ConnectArgs(0, timeout, 0, null, false));
        Log.WaitForAppends(before + 1);
        Log.Release();
        var c = conn.WaitForConnect();
        Assert.NotNull(c.Session);
        return (conn, c.Session!);
    }

    public Request Submit(FakeConnection conn, Session s, Request r)
    {
        r.Connection = conn;
        r.Session = s;
        r.SessionId = s.Id;
        r.Xid = Interlocked.Increment(ref _xid);
        Engine.Submit(r);
        return r;
    }

    /// <summary>Submits, releases the log and waits for the reply.</summary>
    public FakeConnection.ReplyEntry Run(FakeConnection conn, Session s, Request r)
    {
        Submit(conn, s, r);
        if (r.IsWrite)
        {
            Barrier();
            Log.Release();
        }
        return conn.WaitForReply(r.Xid);
    }

    /// <summary>Returns once the engine thread has handled everything queued before this call.</summary>
    public void Barrier() => Query(_ => 0);

    public TResult Query<TResult>(Func<DataTree, TResult> f) =>
        Engine.InvokeAsync(() => f(Engine.Tree)).WaitAsync(TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();

    public static Request Read(OpCode op, string path, bool watch = false) => new() { Op = op, Path = path, Watch = watch };

    public void Dispose() => Engine.Dispose();
}

/// <summary>The engine end to end: durability gating, ordering, watches, failures, expiry, recovery.</summary>
public sealed class ZkEngineTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void NewSessionIsAnsweredOnlyAfterItsCreateSessionTxnIsDurable()
    {
        var conn = new FakeConnection();
        _h.Engine.Connect(conn, new ConnectArgs(0, 30000, 0, null, false));
        _h.Log.WaitForAppends(1);
        _h.Barrier();
        Assert.Empty(conn.Journal);
        var t = _h.Log.Txns.Single();
        Assert.Equal(OpCode.CreateSession, t.Type);
        Assert.Equal(30000, t.Timeout);
        _h.Log.Release();
        var c = conn.WaitForConnect();
        Assert.Equal(t.ClientId, c.Session!.Id);
        Assert.Equal(30000, c.Timeout);
        Assert.Equal(1, (int)((ulong)c.Session.Id >> 56));
    }

    [Fact]
    public void RequestedTimeoutIsClampedToTheNegotiableRange()
    {
        var low = new FakeConnection();
        _h.Engine.Connect(low, new ConnectArgs(0, 10, 0, null, false));
        var high = new FakeConnection();
        _h.Engine.Connect(high, new ConnectArgs(0, 10_000_000, 0, null, false));
        _h.Log.WaitForAppends(2);
        _h.Log.Release();
        Assert.Equal(6000, low.WaitForConnect().Timeout);   // 2 × tickTime 3000
        Assert.Equal(60000, high.WaitForConnect().Timeout); // 20 × tickTime
    }

    [Fact]
    public void WriteIsRepliedOnlyAfterTheLogReportsItDurable()
    {
        var (conn, s) = _h.Connect();
        var r = _h.Submit(conn, s, T.CreateReq("/a", data: "x"));
        _h.Log.WaitForAppends(2);
        _h.Barrier();
        Assert.Empty(conn.Replies);
        Assert.Null(_h.Query(t => t.GetNode("/a")));
        _h.Log.Release();
        var reply = conn.WaitForReply(r.Xid);
        Assert.Equal(ErrorCode.Ok, reply.Err);
        Assert.Equal("/a", r.ResultPath);
        Assert.Equal(r.Zxid, r.Stat.Czxid);
        Assert.True(reply.ReplyZxid >= r.Zxid);
        Assert.Equal(r.Zxid, _h.Engine.LastProcessedZxid);
    }

    [Fact]
    public void ReadsWaitBehindTheirOwnSessionsUndurableWriteButNotBehindOtherSessions()
    {
        var (a, sa) = _h.Connect();
        var (b, sb) = _h.Connect();
        var write = _h.Submit(a, sa, T.CreateReq("/a", data: "x"));
        var readA = _h.Submit(a, sa, EngineHarness.Read(OpCode.GetData, "/a"));
        var readB = _h.Submit(b, sb, EngineHarness.Read(OpCode.GetData, "/a"));
        Assert.Equal(ErrorCode.NoNode, b.WaitForReply(readB.Xid).Err);
        _h.Barrier();
        Assert.Empty(a.Replies);
        _h.Log.Release();
        a.WaitForReply(readA.Xid);
        Assert.Equal([write.Xid, readA.Xid], a.Replies.Select(r => r.Xid));
        Assert.Equal(ErrorCode.Ok, a.Replies[1].Err);
        Assert.Equal("x"u8.ToArray(), readA.ResultData);
    }

    [Fact]
    public void RepliesFollowRequestOrderAcrossSeveralWrites()
    {
        var (conn, s) = _h.Connect();
        var reqs = new List<Request>
        {
            _h.Submit(conn, s, T.CreateReq("/p")),
            _h.Submit(conn, s, EngineHarness.Read(OpCode.Exists, "/p")),
            _h.Submit(conn, s, T.CreateReq("/p/c")),
            _h.Submit(conn, s, T.SetDataReq("/p", "v")),
            _h.Submit(conn, s, EngineHarness.Read(OpCode.GetChildren, "/p")),
        };
        _h.Log.WaitForAppends(4);
        _h.Log.Release();
        conn.WaitForReply(reqs[^1].Xid);
        Assert.Equal(reqs.Select(r => r.Xid), conn.Replies.Select(r => r.Xid));
        Assert.All(conn.Replies, r => Assert.Equal(ErrorCode.Ok, r.Err));
        Assert.Equal(["c"], reqs[^1].Children);
    }

    [Fact]
    public void WatchEventIsRecordedBeforeTheTriggeringWritesReplyOnTheSameConnection()
    {
        var (conn, s) = _h.Connect();
        var (other, so) = _h.Connect();
        var exists = _h.Run(conn, s, EngineHarness.Read(OpCode.Exists, "/w", watch: true));
        Assert.Equal(ErrorCode.NoNode, exists.Err); // exists on a missing node still registers the watch
        _h.Run(other, so, EngineHarness.Read(OpCode.Exists, "/w", watch: true));
        var create = _h.Run(conn, s, T.CreateReq("/w"));
        var journal = conn.Journal.Where(e => e is not FakeConnection.ConnectEntry).ToList();
        Assert.Equal(3, journal.Count);
        Assert.Equal(exists, journal[0]);
        var ev = Assert.IsType<FakeConnection.EventEntry>(journal[1]);
        Assert.Equal((EventType.NodeCreated, "/w"), (ev.Type, ev.Path));
        Assert.Equal(create.Request.Zxid, ev.Zxid);
        Assert.Equal(create, journal[2]);
        other.WaitFor(j => j.OfType<FakeConnection.EventEntry>().Any(), "event on the other connection");
        Assert.Equal((EventType.NodeCreated, "/w"), (other.Events[0].Type, other.Events[0].Path));
    }

    [Fact]
    public void GetDataOnAMissingNodeRegistersNoWatch()
    {
        var (conn, s) = _h.Connect();
        Assert.Equal(ErrorCode.NoNode, _h.Run(conn, s, EngineHarness.Read(OpCode.GetData, "/x", watch: true)).Err);
        Assert.Equal(ErrorCode.NoNode, _h.Run(conn, s, EngineHarness.Read(OpCode.GetChildren, "/x", watch: true)).Err);
        _h.Run(conn, s, T.CreateReq("/x"));
        Assert.Empty(conn.Events);
    }

    [Fact]
    public void LogFailureFailsInFlightWritesAndLaterWritesSucceed()
    {
        var (conn, s) = _h.Connect();
        var w1 = _h.Submit(conn, s, T.CreateReq("/f1"));
        var w2 = _h.Submit(conn, s, T.SetDataReq("/f1", "v"));
        var read = _h.Submit(conn, s, EngineHarness.Read(OpCode.GetData, "/f1"));
        _h.Log.WaitForAppends(3);
        _h.Barrier();
        _h.Log.Fail();
        conn.WaitForReply(read.Xid);
        Assert.Equal(ZkEngine.LogFailureError, conn.WaitForReply(w1.Xid).Err);
        Assert.Equal(ZkEngine.LogFailureError, conn.WaitForReply(w2.Xid).Err);
        Assert.Equal(ErrorCode.NoNode, conn.WaitForReply(read.Xid).Err);
        Assert.Equal([w1.Xid, w2.Xid, read.Xid], conn.Replies.Select(r => r.Xid));

        var again = _h.Run(conn, s, T.CreateReq("/f1")); // prep forgot the lost create
        Assert.Equal(ErrorCode.Ok, again.Err);
        Assert.Equal(w1.Zxid, again.Request.Zxid);   // the failed zxids are reused
        Assert.Equal(ErrorCode.Ok, _h.Run(conn, s, T.CreateReq("/f3")).Err);
        Assert.Equal(0, _h.Query(t => t.GetNode("/f1")!.Version));
        Assert.NotNull(_h.Query(t => t.GetNode("/f3")));
        Assert.Equal(0, _h.Engine.OutstandingRequests);
    }

    [Fact]
    public void FailedMultiRepliesOkWithPerOpResultsAndAppliesNothing()
    {
        var (conn, s) = _h.Connect();
        _h.Run(conn, s, T.CreateReq("/x"));
        var multi = T.MultiReq(conn, T.CreateReq("/m"), T.CreateReq("/x"), T.DeleteReq("/x"));
        var reply = _h.Run(conn, s, multi);
        Assert.Equal(ErrorCode.Ok, reply.Err);
        Assert.Equal([ErrorCode.Ok, ErrorCode.NodeExists, ErrorCode.RuntimeInconsistency], multi.Results!.Select(r => r.Err));
        Assert.All(multi.Results!, r => Assert.Equal(OpCode.Error, r.Op));
        Assert.Null(_h.Query(t => t.GetNode("/m")));
        Assert.NotNull(_h.Query(t => t.GetNode("/x")));
    }

    [Fact]
    public void SuccessfulMultiUsesOneZxidAndReportsEachResult()
    {
        var (conn, s) = _h.Connect();
        var multi = T.MultiReq(conn, T.CreateReq("/m"), T.CreateReq("/m/s-", 2), T.SetDataReq("/m", "d"));
        _h.Run(conn, s, multi);
        Assert.Equal([OpCode.Create, OpCode.Create, OpCode.SetData], multi.Results!.Select(r => r.Op));
        Assert.Equal("/m/s-0000000000", multi.Results![1].ResultPath);
        Assert.Equal(1, multi.Results[2].Stat.Version);
        Assert.Equal(multi.Zxid, _h.Query(t => t.GetNode("/m/s-0000000000")!.Czxid));
        Assert.Equal(multi.Zxid, _h.Query(t => t.GetNode("/m")!.Mzxid));
    }

    [Fact]
    public void FailedWriteStillConsumesAZxidAndIsLoggedAsAnErrorTxn()
    {
        var (conn, s) = _h.Connect();
        var r = _h.Run(conn, s, T.DeleteReq("/missing"));
        Assert.Equal(ErrorCode.NoNode, r.Err);
        var logged = _h.Log.Txns[^1];
        Assert.Equal((OpCode.Error, ErrorCode.NoNode, r.Request.Zxid), (logged.Type, logged.Err, logged.Zxid));
        Assert.Equal(r.Request.Zxid, _h.Engine.LastProcessedZxid);
    }

    [Fact]
    public void DigestAuthThenAuthAclGivesTheNodeTheCallersDigest()
    {
        var (conn, s) = _h.Connect();
        var auth = new Request { Op = OpCode.Auth, AuthScheme = "digest", Data = T.B("bob:secret") };
        Assert.Equal(ErrorCode.Ok, _h.Run(conn, s, auth).Err);
        Assert.Equal(0, auth.ReplyZxid);
        Assert.Equal(ErrorCode.Ok, _h.Run(conn, s, T.CreateReq("/mine", acl: Acl.CreatorAllAcl)).Err);
        var acl = new Request { Op = OpCode.GetAcl, Path = "/mine" };
        _h.Run(conn, s, acl);
        Assert.Equal([new Acl(Perms.All, new Id("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0="))], acl.ResultAcl!);

        var (stranger, s2) = _h.Connect();
        Assert.Equal(ErrorCode.NoAuth, _h.Run(stranger, s2, T.SetDataReq("/mine")).Err);
        Assert.Equal(ErrorCode.NoAuth, _h.Run(stranger, s2, EngineHarness.Read(OpCode.GetData, "/mine")).Err);
    }

    [Fact]
    public void UnknownAuthSchemeFailsAndClosesTheConnection()
    {
        var (conn, s) = _h.Connect();
        var r = _h.Run(conn, s, new Request { Op = OpCode.Auth, AuthScheme = "kerberos-ish", Data = [] });
        Assert.Equal(ErrorCode.AuthFailed, r.Err);
        conn.WaitFor(j => j.OfType<FakeConnection.CloseEntry>().Any(), "close");
    }

    [Fact]
    public void CloseSessionDeletesEphemeralsRepliesThenClosesTheConnection()
    {
        var (conn, s) = _h.Connect();
        var (watcher, sw) = _h.Connect();
        _h.Run(conn, s, T.CreateReq("/e", 1));
        _h.Run(watcher, sw, EngineHarness.Read(OpCode.Exists, "/e", watch: true));
        var close = _h.Run(conn, s, new Request { Op = OpCode.CloseSession });
        Assert.Equal(ErrorCode.Ok, close.Err);
        conn.WaitFor(j => j[^1] is FakeConnection.CloseEntry, "close after the reply");
        Assert.Null(_h.Query(t => t.GetNode("/e")));
        watcher.WaitFor(j => j.OfType<FakeConnection.EventEntry>().Any(), "NodeDeleted");
        Assert.Equal((EventType.NodeDeleted, "/e"), (watcher.Events[0].Type, watcher.Events[0].Path));
        var late = _h.Run(conn, s, EngineHarness.Read(OpCode.Exists, "/"));
        Assert.Equal(ErrorCode.SessionExpired, late.Err);
    }

    [Fact]
    public void ReconnectWithAWrongPasswordGetsANullConnectResponse()
    {
        var (conn, s) = _h.Connect();
        var intruder = new FakeConnection();
        _h.Engine.Connect(intruder, new ConnectArgs(0, 30000, s.Id, new byte[16], false));
        var c = intruder.WaitForConnect();
        Assert.Null(c.Session);
        Assert.Equal(0, c.Timeout);
        // Like Java's processConnectRequest, the holder's connection is dropped before the password check,
        // but the session itself survives and its owner can reattach.
        var owner = new FakeConnection();
        _h.Engine.Connect(owner, new ConnectArgs(0, 30000, s.Id, SessionPassword.Derive(s.Id), false));
        Assert.Equal(s.Id, owner.WaitForConnect().Session!.Id);

        var unknown = new FakeConnection();
        _h.Engine.Connect(unknown, new ConnectArgs(0, 30000, s.Id + 1000, SessionPassword.Derive(s.Id + 1000), false));
        Assert.Null(unknown.WaitForConnect().Session);
    }

    [Fact]
    public void ReconnectWithTheRightPasswordMovesTheSessionAndClosesTheOldConnection()
    {
        var (conn, s) = _h.Connect();
        var again = new FakeConnection();
        _h.Engine.Connect(again, new ConnectArgs(0, 20000, s.Id, SessionPassword.Derive(s.Id), false));
        var c = again.WaitForConnect();
        Assert.Equal(s.Id, c.Session!.Id);
        Assert.Equal(20000, c.Timeout);
        conn.WaitFor(j => j.OfType<FakeConnection.CloseEntry>().Any(), "old connection closed");
        Assert.Equal(1, _h.Log.Txns.Count(t => t.Type == OpCode.CreateSession)); // no new session
    }

    [Fact]
    public void ClientThatHasSeenANewerZxidIsRefusedWithoutAReply()
    {
        var conn = new FakeConnection();
        _h.Engine.Connect(conn, new ConnectArgs(999, 30000, 0, null, false));
        conn.WaitFor(j => j.OfType<FakeConnection.CloseEntry>().Any(), "close");
        Assert.Empty(conn.Journal.OfType<FakeConnection.ConnectEntry>());
        _h.Barrier();
        Assert.Equal(0, _h.Log.Count);
    }

    [Fact]
    public void RecoveryFromTheLogRebuildsTheSameTreeAndSessions()
    {
        var (conn, s) = _h.Connect();
        var (gone, sg) = _h.Connect();
        void Ok(FakeConnection c, Session ss, Request r) => Assert.Equal(ErrorCode.Ok, _h.Run(c, ss, r).Err);
        Ok(conn, s, new Request { Op = OpCode.Auth, AuthScheme = "digest", Data = T.B("bob:secret") });
        Ok(conn, s, T.CreateReq("/app", data: "v0"));
        Ok(conn, s, T.CreateReq("/app/s-", 2, acl: Acl.CreatorAllAcl));
        Ok(conn, s, T.CreateReq("/app/s-", 2));
        Ok(conn, s, T.CreateReq("/app/tmp"));
        Ok(conn, s, T.DeleteReq("/app/tmp"));
        Ok(conn, s, T.SetDataReq("/app", "v1"));
        Ok(conn, s, T.CreateReq("/app/eph", 1));
        Ok(conn, s, T.SetAclReq("/app", [new Acl(Perms.Read, Id.AnyoneIdUnsafe), new Acl(Perms.All, new Id("ip", "10.0.0.0/8"))]));
        Ok(gone, sg, T.CreateReq("/gone-eph", 1));
        Ok(gone, sg, new Request { Op = OpCode.CloseSession });
        Ok(conn, s, T.CreateReq("/c", op: OpCode.CreateContainer));
        Ok(conn, s, T.MultiReq(conn, T.CreateReq("/c/m1"), T.CreateReq("/c/m2", data: "z")));
        Ok(conn, s, T.MultiReq(conn, T.CreateReq("/never"), T.DeleteReq("/missing"))); // failed multi: header OK
        Assert.Equal(ErrorCode.NoNode, _h.Run(conn, s, T.DeleteReq("/missing")).Err);
        Assert.NotNull(_h.Query(t => t.GetNode("/app/eph")));
        _h.Engine.Stop();

        using var log2 = new MemoryTxnLog(_h.Log.DurableEntries);
        using var recovered = new EngineHarness(log: log2);
        recovered.Engine.Stop();

        var a = _h.Engine.Tree;
        var b = recovered.Engine.Tree;
        Assert.Equal(a.LastProcessedZxid, b.LastProcessedZxid);
        Assert.Equal(a.NodeCount, b.NodeCount);
        foreach (var (path, n) in a.Nodes)
        {
            var m = b.GetNode(path) ?? throw new Xunit.Sdk.XunitException($"{path} missing after recovery");
            Assert.Equal((n.Czxid, n.Mzxid, n.Ctime, n.Mtime, n.Version, n.Cversion, n.Aversion, n.EphemeralOwner, n.Pzxid),
                         (m.Czxid, m.Mzxid, m.Ctime, m.Mtime, m.Version, m.Cversion, m.Aversion, m.EphemeralOwner, m.Pzxid));
            Assert.Equal(n.Data, m.Data);
            Assert.Equal(a.GetAcl(n), b.GetAcl(m));
            Assert.Equal(n.Children.Order(StringComparer.Ordinal), m.Children.Order(StringComparer.Ordinal));
        }
        Assert.Equal(["/app/eph"], b.EphemeralsOf(s.Id));
        Assert.Empty(b.EphemeralsOf(sg.Id));
        Assert.Equal(["/c"], b.Containers);
        Assert.Equal(_h.Engine.Sessions.Sessions.Keys.Order(), recovered.Engine.Sessions.Sessions.Keys.Order());
        Assert.Null(recovered.Engine.Sessions.Get(sg.Id));
        Assert.Equal(a.LastProcessedZxid, recovered.Engine.LastProcessedZxid);
    }

    [Fact]
    public void RecoveredEngineContinuesTheZxidSequence()
    {
        var (conn, s) = _h.Connect();
        _h.Run(conn, s, T.CreateReq("/a"));
        long last = _h.Engine.LastProcessedZxid;
        _h.Engine.Stop();

        using var recovered = new EngineHarness(log: new MemoryTxnLog(_h.Log.DurableEntries));
        var (c2, s2) = recovered.Connect();
        var r = recovered.Run(c2, s2, T.CreateReq("/b"));
        Assert.Equal(ErrorCode.Ok, r.Err);
        Assert.Equal(last + 2, r.Request.Zxid); // +1 createSession, +1 create
        Assert.Equal(ErrorCode.NodeExists, recovered.Run(c2, s2, T.CreateReq("/a")).Err);
    }
}

/// <summary>Session expiry with a short tick (separate class: it needs its own engine options).</summary>
public sealed class ZkEngineExpiryTests : IDisposable
{
    private readonly EngineHarness _h = new(new EngineOptions { TickTime = 100 });

    public void Dispose() => _h.Dispose();

    [Fact]
    public void ExpiredSessionLosesItsEphemeralsAndItsConnectionIsClosed()
    {
        var (watcher, sw) = _h.Connect(2000);
        var (setup, s) = _h.Connect(2000);
        Assert.Equal(ErrorCode.Ok, _h.Run(setup, s, T.CreateReq("/e", 1)).Err);
        Assert.Equal(ErrorCode.Ok, _h.Run(setup, s, T.CreateReq("/p")).Err);
        _h.Run(watcher, sw, EngineHarness.Read(OpCode.Exists, "/e", watch: true));
        var conn = ShortenTimeout(s.Id);

        // No more traffic from conn: the engine must log a closeSession for it on its own.
        var deadline = Environment.TickCount64 + 10000;
        while (!_h.Log.Txns.Any(t => t.Type == OpCode.CloseSession && t.ClientId == s.Id))
        {
            Assert.True(Environment.TickCount64 < deadline, "no closeSession was logged for the idle session");
            Thread.Sleep(20);
        }
        var close = _h.Log.Txns.Single(t => t.Type == OpCode.CloseSession && t.ClientId == s.Id);
        Assert.Equal(["/e"], close.PathsToDelete);
        Assert.Empty(conn.Journal.OfType<FakeConnection.CloseEntry>()); // not before the txn is durable
        _h.Log.Release();

        conn.WaitFor(j => j.OfType<FakeConnection.CloseEntry>().Any(), "connection closed on expiry");
        Assert.Null(_h.Query(t => t.GetNode("/e")));
        Assert.NotNull(_h.Query(t => t.GetNode("/p")));
        Assert.Null(_h.Query(_ => _h.Engine.Sessions.Get(s.Id)));
        Assert.DoesNotContain(conn.Journal.OfType<FakeConnection.ReplyEntry>(), r => r.Op == OpCode.CloseSession);
        watcher.WaitFor(j => j.OfType<FakeConnection.EventEntry>().Any(), "NodeDeleted for the expired ephemeral");
        Assert.Equal((EventType.NodeDeleted, "/e"), (watcher.Events[0].Type, watcher.Events[0].Path));

        var reattach = new FakeConnection();
        _h.Engine.Connect(reattach, new ConnectArgs(0, 200, s.Id, SessionPassword.Derive(s.Id), false));
        Assert.Null(reattach.WaitForConnect().Session);
    }

    [Fact]
    public void ExpiredSessionWhoseCloseFailedToLogIsExpiredAgain()
    {
        var (setup, s) = _h.Connect(2000);
        Assert.Equal(ErrorCode.Ok, _h.Run(setup, s, T.CreateReq("/e", 1)).Err);
        var conn = ShortenTimeout(s.Id);
        WaitForClose(s.Id, 1);
        _h.Log.Fail();                     // the expiry's closeSession is lost
        WaitForClose(s.Id, 1);             // a fresh closeSession must be logged (the failed one was removed)
        _h.Log.Release();
        conn.WaitFor(j => j.OfType<FakeConnection.CloseEntry>().Any(), "connection closed on expiry");
        Assert.Null(_h.Query(t => t.GetNode("/e")));
    }

    /// <summary>
    /// Reattaches the session on a new connection with the minimum timeout (200 ms at tick 100), so the
    /// setup could run under a long timeout and only idleness has to be timed.
    /// </summary>
    private FakeConnection ShortenTimeout(long sessionId)
    {
        var conn = new FakeConnection();
        _h.Engine.Connect(conn, new ConnectArgs(0, 200, sessionId, SessionPassword.Derive(sessionId), false));
        var c = conn.WaitForConnect();
        Assert.Equal(sessionId, c.Session!.Id);
        Assert.Equal(200, c.Timeout);
        return conn;
    }

    private void WaitForClose(long sessionId, int count)
    {
        var deadline = Environment.TickCount64 + 5000;
        while (_h.Log.Txns.Count(t => t.Type == OpCode.CloseSession && t.ClientId == sessionId) < count)
        {
            Assert.True(Environment.TickCount64 < deadline, "no closeSession was logged for the idle session");
            Thread.Sleep(20);
        }
    }

    [Fact]
    public void ActiveSessionDoesNotExpire()
    {
        var (conn, s) = _h.Connect(1000);
        long until = Environment.TickCount64 + 2500; // well past the 1000 ms timeout
        while (Environment.TickCount64 < until)
        {
            Assert.Equal(ErrorCode.Ok, _h.Run(conn, s, new Request { Op = OpCode.Ping }).Err);
            Thread.Sleep(100);
        }
        Assert.DoesNotContain(_h.Log.Txns, t => t.Type == OpCode.CloseSession);
        Assert.False(conn.Closed);
    }
}
