namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// A ZooKeeper-like client session: connected to one server at a time (only one that has seen the
/// client's last zxid), one operation outstanding, writes with values no one else writes, local
/// reads. A timeout or a dropped connection leaves the op's outcome unknown and the client moves on
/// to another server; it never retries an op, so each write can appear at most once in history.
/// </summary>
internal sealed class SimClient(long id, SimScheduler scheduler, SimTrace trace, IReadOnlyList<SimNode> nodes, List<SimOp> history, SimConfig config)
{
    private SimNode? _node;
    private SimOp? _current;
    private long _opCounter;
    private int _session;

    public long Id { get; } = id;

    /// <summary>Newest zxid this session has seen (writes acked, states read).</summary>
    public long LastZxid { get; private set; }

    /// <summary>False once the run stops issuing new operations.</summary>
    public bool Active { get; set; } = true;

    /// <summary>Invoked after each completion (the liveness probe waits on it).</summary>
    public Action<SimOp>? Completed { get; set; }

    /// <summary>Fraction of ops that are writes.</summary>
    public double WriteRatio { get; init; } = 0.6;

    public bool Connected => _node is not null;

    public void Start(long delayMs) => scheduler.After(delayMs, Connect);

    /// <summary>Scenario: connects to this server now; false when it does not accept the session.</summary>
    public bool ConnectTo(SimNode node)
    {
        if (_node is not null || node.Sm is not { } sm || node.Paused || !sm.TryAttach(this, LastZxid)) return false;
        _node = node;
        _session++;
        trace.Add(scheduler.Now, node.Id, "client-connect", LastZxid, Id);
        return true;
    }

    /// <summary>Scenario: issues one read now if connected and idle.</summary>
    public bool TryRead(int key)
    {
        if (_node is null || _current is not null) return false;
        Issue(SimOpKind.Read, key);
        return true;
    }

    /// <summary>Issues one write now if connected and idle (the liveness probe); false otherwise.</summary>
    public bool TryWrite(int key)
    {
        if (_node is null || _current is not null) return false;
        Issue(SimOpKind.Write, key);
        return true;
    }

    public void Answer(SimOp op, SimOutcome outcome, long zxid = 0, long value = 0, ulong digest = 0)
    {
        if (!ReferenceEquals(op, _current) || op.Outcome != SimOutcome.Pending)
        {
            trace.Add(scheduler.Now, op.Node, "client-late-answer", zxid, Id, op.ToString());
            return;
        }
        _current = null;
        op.Outcome = outcome;
        op.CompletedAt = scheduler.Now;
        if (outcome == SimOutcome.Ok)
        {
            op.Zxid = zxid;
            if (op.Kind == SimOpKind.Read)
            {
                op.Value = value;
                op.Digest = digest;
            }
            LastZxid = Math.Max(LastZxid, zxid);
        }
        trace.Add(scheduler.Now, op.Node, "client-done", zxid, Id, op.ToString());
        Completed?.Invoke(op);
        if (outcome == SimOutcome.Ok) ScheduleNext();
        else Reconnect();
    }

    /// <summary>The server dropped this client (it left the quorum or died).</summary>
    public void ConnectionLost(long node)
    {
        if (_node?.Id != node) return;
        trace.Add(scheduler.Now, node, "client-conn-lost", 0, Id);
        var op = _current;
        if (op is not null) Answer(op, op.Kind == SimOpKind.Write ? SimOutcome.Unknown : SimOutcome.Rejected);
        else Reconnect();
    }

    private void Connect()
    {
        if (_node is not null) return;
        var node = nodes[scheduler.Rng.Next(nodes.Count)];
        if (node.Sm is { } sm && !node.Paused && sm.TryAttach(this, LastZxid))
        {
            _node = node;
            _session++;
            trace.Add(scheduler.Now, node.Id, "client-connect", LastZxid, Id);
            ScheduleNext();
            return;
        }
        scheduler.After(20 + scheduler.Rng.Next(150), Connect);
    }

    private void Reconnect()
    {
        if (_node is null) return;
        _node.Sm?.Detach(this);
        _node = null;
        scheduler.After(10 + scheduler.Rng.Next(100), Connect);
    }

    private void ScheduleNext()
    {
        int session = _session;
        scheduler.After(scheduler.Rng.Next(config.ThinkTimeMs + 1), () =>
        {
            if (!Active || _node is null || _current is not null || session != _session) return;
            Issue(scheduler.Rng.NextDouble() < WriteRatio ? SimOpKind.Write : SimOpKind.Read, scheduler.Rng.Next(config.Keys));
        });
    }

    private void Issue(SimOpKind kind, int key)
    {
        var node = _node!;
        var sm = node.Sm!;
        long opId = ++_opCounter;
        var op = new SimOp
        {
            ClientId = Id,
            OpId = opId,
            Kind = kind,
            Key = key,
            Value = kind == SimOpKind.Write ? (Id * 1_000_000) + opId : 0,
            Node = node.Id,
            InvokedAt = scheduler.Now,
            SessionZxid = LastZxid,
            Client = this,
        };
        history.Add(op);
        _current = op;
        trace.Add(scheduler.Now, node.Id, "client-invoke", 0, Id, op.ToString());
        scheduler.After(config.OpTimeoutMs, () =>
        {
            if (ReferenceEquals(_current, op)) Answer(op, op.Kind == SimOpKind.Write ? SimOutcome.Unknown : SimOutcome.Rejected);
        });
        // A frozen server handles the request when it wakes up (if it is still the same process).
        node.Deliver(() =>
        {
            if (!node.IsCurrent(sm) || !ReferenceEquals(_current, op)) return;
            if (kind == SimOpKind.Write) sm.Write(this, op);
            else sm.Read(this, op);
        });
    }
}
