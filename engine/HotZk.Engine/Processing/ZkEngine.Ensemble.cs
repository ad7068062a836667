using HotZk.Common;
using HotZk.Engine.Sessions;
using HotZk.Engine.Txns;

namespace HotZk.Engine.Processing;

/// <summary>
/// The engine's side of ensemble mode. The ensemble layer assigns a role; a leader preps writes
/// (its log facade commits them at quorum), a learner forwards writes and applies what the leader
/// committed. Every method posts to the engine thread.
/// </summary>
public sealed partial class ZkEngine
{
    private volatile EngineRole _role;
    private readonly HashSet<long> _touched = [];
    private bool _stepDownRequested;
    private long _lookingSince;

    /// <summary>The ensemble layer (set before <see cref="Start"/> in ensemble mode).</summary>
    public IEnsembleLink? EnsembleLink { get; set; }

    /// <summary>The current role.</summary>
    public EngineRole Role => _role;

    /// <summary>Raised on the engine thread after the role changed.</summary>
    public event Action<EngineRole>? RoleChanged;

    /// <summary>True when client writes go to a leader (connections keep their frames for it).</summary>
    public bool ForwardsWrites => _role is EngineRole.Follower or EngineRole.Observer;

    private bool IsLearner => _role is EngineRole.Follower or EngineRole.Observer;

    /// <summary>
    /// Changes role. Looking drops every client and every uncommitted write; Leader starts zxids at
    /// <paramref name="epoch"/> &lt;&lt; 32 and gives every session a fresh timeout.
    /// </summary>
    public Task SetRoleAsync(EngineRole role, long epoch = 0) => InvokeAsync(() =>
    {
        ChangeRole(role, epoch);
        return true;
    });

    /// <summary>Learner: applies a txn the leader committed.</summary>
    public void ApplyCommitted(long zxid, ReadOnlyMemory<byte> txn) =>
        Post(new Work(WorkKind.Invoke, (Action)(() => ApplyCommittedTxn(zxid, txn)), 0, 0));

    /// <summary>Leader: a write a learner forwarded (<paramref name="request"/>.Remote set, its connection the learner link).</summary>
    public void SubmitRemote(Request request)
    {
        request.Remote = true;
        Submit(request);
    }

    /// <summary>Leader: a session created on a learner.</summary>
    public void SubmitRemoteCreateSession(long sessionId, int timeout) =>
        Post(new Work(WorkKind.Invoke, (Action)(() =>
        {
            if (_role != EngineRole.Leader || Sessions.Get(sessionId) is not null) return;
            int t = Math.Clamp(timeout, _options.EffectiveMinSessionTimeout, _options.EffectiveMaxSessionTimeout);
            ProposeCreateSession(sessionId, t, null);
        }), 0, 0));

    /// <summary>Learner: the leader answered a forwarded request without a txn.</summary>
    public void CompleteForwarded(long sessionId, int cxid, ErrorCode err) =>
        Post(new Work(WorkKind.Invoke, (Action)(() => FinishForwarded(sessionId, cxid, sync: false, err)), 0, 0));

    /// <summary>Learner: the leader answered a forwarded sync; every commit before it has been applied.</summary>
    public void CompleteSync(long sessionId, int cxid) =>
        Post(new Work(WorkKind.Invoke, (Action)(() => FinishForwarded(sessionId, cxid, sync: true, ErrorCode.Ok)), 0, 0));

    /// <summary>Leader: learners heard from these sessions' clients.</summary>
    public void TouchSessions(long[] sessionIds) =>
        Post(new Work(WorkKind.Invoke, (Action)(() =>
        {
            long now = Monotonic();
            foreach (long id in sessionIds)
            {
                var s = Sessions.Get(id);
                if (s is not null && !s.Closing) Sessions.Touch(s, now);
            }
        }), 0, 0));

    /// <summary>
    /// Applies every logged txn after the tree's zxid up to <paramref name="upToZxid"/> (a learner
    /// that was synced, a new leader's own history). Returns the tree's zxid afterwards.
    /// </summary>
    public Task<long> CatchUpFromLogAsync(long upToZxid) => InvokeAsync(() =>
    {
        long now = Monotonic();
        foreach (var logged in _log.ReadAfter(Tree.LastProcessedZxid))
        {
            if (logged.Zxid > upToZxid) break;
            var txn = TxnSerializer.Read(logged.Txn.Span);
            ApplyRecovered(txn, now);
            Prep.Applied(txn);
            _txnsSinceSnapshot++;
        }
        Volatile.Write(ref _lastApplied, Tree.LastProcessedZxid);
        _lastZxid = Math.Max(_lastZxid, Tree.LastProcessedZxid);
        return Tree.LastProcessedZxid;
    });

    /// <summary>Rebuilds the tree from the snapshot store and the log (after a learner's log was truncated or replaced).</summary>
    public Task<long> ReloadAsync() => InvokeAsync(() =>
    {
        var old = Tree;
        Recover();
        if (!ReferenceEquals(old, Tree)) old.Dispose();
        return Tree.LastProcessedZxid;
    });

    /// <summary>Writes a snapshot of the current tree now, on the engine thread (an ensemble leader with no image to send).</summary>
    public Task<long> SaveSnapshotNowAsync() => InvokeAsync(() =>
    {
        if (_snapshots is null) return -1L;
        long zxid = Tree.LastProcessedZxid;
        var sessions = new List<(long, int)>(Sessions.Count);
        foreach (var s in Sessions.Sessions.Values) if (!s.Pending) sessions.Add((s.Id, s.Timeout));
        var writer = new HotZk.Engine.Tree.SnapshotWriter(Tree, zxid, sessions);
        using var buf = new ByteBuffer(1 << 16);
        _snapshots.Save(zxid, stream =>
        {
            bool done;
            do
            {
                buf.Clear();
                done = writer.WriteSlice(buf, 4096);
                stream.Write(buf.WrittenSpan);
            }
            while (!done);
        });
        return zxid;
    });

    private void ChangeRole(EngineRole role, long epoch)
    {
        var previous = _role;
        _role = role;
        if (previous == EngineRole.ReadOnly) DropClientsAndInFlight();
        switch (role)
        {
            case EngineRole.Looking:
                DropClientsAndInFlight();
                _lookingSince = Monotonic();
                break;
            case EngineRole.Leader:
                _stepDownRequested = false;
                _lastZxid = Math.Max(epoch << 32, Tree.LastProcessedZxid);
                Prep.Reset();
                long now = Monotonic();
                // Learners reported touches to the old leader: every session starts a fresh timeout here.
                foreach (var s in Sessions.Sessions.Values) Sessions.Touch(s, now);
                break;
        }
        _touched.Clear();
        if (previous != role)
        {
            _logSink($"INFO engine role {previous} -> {role}" + (role == EngineRole.Leader ? $" (epoch {epoch})" : ""));
            RoleChanged?.Invoke(role);
        }
    }

    /// <summary>Leaving a role: clients reconnect elsewhere, writes not yet committed are forgotten here.</summary>
    private void DropClientsAndInFlight()
    {
        Interlocked.Increment(ref _logGeneration);
        while (_inFlight.Count > 0)
        {
            _inFlight.Dequeue();
            Interlocked.Decrement(ref _outstanding);
        }
        Prep.Reset();
        _lastZxid = Tree.LastProcessedZxid;
        var doomed = new List<long>();
        foreach (var s in Sessions.Sessions.Values)
        {
            s.Queue.Clear();
            s.Connection?.Close("this server left the quorum (leader election)");
            s.Connection = null;
            if (s.Pending || s.Local) doomed.Add(s.Id);
            s.Closing = false;
        }
        foreach (long id in doomed) Sessions.Remove(id);
    }

    private void ApplyCommittedTxn(long zxid, ReadOnlyMemory<byte> bytes)
    {
        // Also while Looking: a learner applies its sync before it starts serving.
        if (_role is EngineRole.Leader or EngineRole.Standalone || zxid <= Tree.LastProcessedZxid) return;
        var txn = TxnSerializer.Read(bytes.Span);
        var s = Sessions.Get(txn.ClientId);
        Request? r = null;
        if (s is not null)
        {
            // Forwarded writes of a session commit in the order they were sent: the first one waiting is this txn's.
            foreach (var q in s.Queue)
            {
                if (!q.Forwarded || q.Done || q.Op == OpCode.Sync) continue;
                if (q.Xid == txn.Cxid) r = q;
                break;
            }
        }
        Apply(txn, r);
        MaybeSnapshot();
    }

    private void FinishForwarded(long sessionId, int cxid, bool sync, ErrorCode err)
    {
        var s = Sessions.Get(sessionId);
        if (s is null) return;
        foreach (var q in s.Queue)
        {
            if (!q.Forwarded || q.Done || (q.Op == OpCode.Sync) != sync || q.Xid != cxid) continue;
            q.Err = err;
            if (sync) q.ResultPath = q.Path;
            q.Done = true;
            Drain(s);
            return;
        }
    }

    /// <summary>A learner sends the write to the leader instead of prepping it; it waits in the session's queue.</summary>
    private void ForwardToLeader(Request r, Session s)
    {
        if (r.Op == OpCode.CloseSession)
        {
            if (s.Closing) return;
            s.Closing = true;
        }
        r.Forwarded = true;
        s.Queue.Enqueue(r);
        EnsembleLink?.Forward(r);
    }

    /// <summary>The next zxid to propose, or false when a leader's counter is exhausted (it then steps down, like ZooKeeper).</summary>
    private bool TryNextZxid(out long zxid)
    {
        zxid = _lastZxid + 1;
        if (_role == EngineRole.Leader && (zxid & 0xFFFFFFFFL) > _options.ZxidCounterLimit)
        {
            if (!_stepDownRequested)
            {
                _stepDownRequested = true;
                _logSink($"WARN zxid counter exhausted at 0x{_lastZxid:x}: stepping down so a new epoch restarts it");
                EnsembleLink?.StepDown("zxid counter exhausted");
            }
            return false;
        }
        _lastZxid = zxid;
        return true;
    }

    /// <summary>A member leaderless for long enough serves read-only clients (ZooKeeper's read-only mode).</summary>
    private void MaybeEnterReadOnly()
    {
        if (_role == EngineRole.Looking && _options.ReadOnlyModeEnabled && Monotonic() - _lookingSince >= _options.ReadOnlyDelayMs)
        {
            ChangeRole(EngineRole.ReadOnly, 0);
        }
    }

    /// <summary>Read-only mode: a client that accepts a read-only server gets a local session (never logged).</summary>
    private void ConnectReadOnly(IClientConnection conn, ConnectArgs args, int timeout)
    {
        if (!args.ReadOnly)
        {
            conn.Close("this server is read-only (no quorum) and the client does not accept that");
            return;
        }
        long now = Monotonic();
        if (args.SessionId != 0)
        {
            var known = Sessions.Get(args.SessionId);
            if (known is null || known.Closing || !PasswordMatches(known.Password, args.Password))
            {
                conn.SendConnectResponse(null, 0);
                return;
            }
            known.Connection?.Close("session reconnected from another connection");
            known.Connection = conn;
            Sessions.Touch(known, now);
            conn.SendConnectResponse(known, timeout);
            return;
        }
        var s = Sessions.Add(Sessions.NextSessionId(), timeout, now);
        s.Local = true;
        s.Connection = conn;
        conn.SendConnectResponse(s, timeout);
    }

    /// <summary>Read-only mode: local sessions expire here (nothing is logged); ensemble sessions wait for the quorum.</summary>
    private void ExpireLocalSessions()
    {
        foreach (var s in Sessions.CollectExpired(Monotonic()))
        {
            if (!s.Local)
            {
                Sessions.Touch(s, Monotonic());
                continue;
            }
            Sessions.Remove(s.Id);
            s.Connection?.Close("session expired");
        }
    }

    private void ReportTouches()
    {
        if (_touched.Count == 0) return;
        var ids = new long[_touched.Count];
        _touched.CopyTo(ids);
        _touched.Clear();
        EnsembleLink?.SessionsTouched(ids);
    }
}
