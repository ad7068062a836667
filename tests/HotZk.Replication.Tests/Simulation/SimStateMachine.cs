using HotZk.Replication.Zab;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// The replicated state machine of one server process: a key/value map in place of the engine.
/// A leader numbers client writes (epoch &lt;&lt; 32 | 1, 2, …), hands them to the peer and answers the
/// client when they commit; a learner forwards writes and answers when it applies the committed
/// txn; both answer reads from local state. Snapshots follow the engine's snapCount rule, with
/// autopurge when the run enables it.
/// </summary>
internal sealed class SimStateMachine : IReplicatedStateMachine
{
    private enum Role { Looking, Leader, Learner }

    private readonly SimNode _node;
    private readonly SimScheduler _scheduler;
    private readonly SimTrace _trace;
    private readonly SimGhost _ghost;
    private readonly SimConfig _config;
    private readonly Queue<(long Zxid, byte[] Txn, SimOp? Op)> _proposed = new();
    private readonly Dictionary<(long Client, long Op), SimOp> _forwarded = [];
    private readonly HashSet<SimClient> _clients = [];
    private SortedDictionary<int, long> _values = [];
    private List<long> _appliedZxids = [];
    private Role _role;
    private long _lastZxid;
    private int _generation;
    private int _sinceSnapshot;
    private int _snapshotThreshold;

    public SimStateMachine(SimNode node, SimScheduler scheduler, SimTrace trace, SimGhost ghost, SimConfig config)
    {
        _node = node;
        _scheduler = scheduler;
        _trace = trace;
        _ghost = ghost;
        _config = config;
        ResetSnapshotThreshold();
    }

    public long LastAppliedZxid { get; private set; }

    public ulong Digest { get; private set; }

    public IReadOnlyList<long> AppliedZxids => _appliedZxids;

    public IReadOnlyDictionary<int, long> Values => _values;

    public bool Serving => _role != Role.Looking;

    public bool IsLeader => _role == Role.Leader;

    private SimLog Log => _node.Log;

    // ------------------------------------------------------------------ clients

    /// <summary>A client connects: only to a serving server that has seen everything the client has (ZooKeeper's lastZxid rule).</summary>
    public bool TryAttach(SimClient client, long clientLastZxid)
    {
        if (_role == Role.Looking || LastAppliedZxid < clientLastZxid) return false;
        _clients.Add(client);
        return true;
    }

    public void Detach(SimClient client)
    {
        _clients.Remove(client);
        foreach (var key in _forwarded.Where(kv => kv.Value.ClientId == client.Id).Select(kv => kv.Key).ToList()) _forwarded.Remove(key);
    }

    public void Write(SimClient client, SimOp op)
    {
        var txn = new SimTxn(op.Key, op.Value, op.ClientId, op.OpId).Encode();
        switch (_role)
        {
            case Role.Leader:
                Propose(txn, op);
                break;
            case Role.Learner:
                _forwarded[(op.ClientId, op.OpId)] = op;
                _node.Invoke("forward", p => p.Forward(txn));
                break;
            default:
                client.Answer(op, SimOutcome.Rejected);
                break;
        }
    }

    public void Read(SimClient client, SimOp op)
    {
        if (_role == Role.Looking)
        {
            client.Answer(op, SimOutcome.Rejected);
            return;
        }
        client.Answer(op, SimOutcome.Ok, LastAppliedZxid, _values.GetValueOrDefault(op.Key), Digest);
    }

    /// <summary>The process died: its clients see the connection drop.</summary>
    public void Crashed()
    {
        _role = Role.Looking;
        _generation++;
        DropClients();
    }

    // ------------------------------------------------------------------ IReplicatedStateMachine

    public void BecomeLooking()
    {
        _trace.Add(_scheduler.Now, _node.Id, "sm-looking", LastAppliedZxid);
        _role = Role.Looking;
        _generation++;
        DropClients();
        _lastZxid = LastAppliedZxid;
    }

    public void BecomeLeader(long epoch)
    {
        _trace.Add(_scheduler.Now, _node.Id, "sm-leader", LastAppliedZxid, epoch);
        _role = Role.Leader;
        _generation++;
        DropClients();
        // As the engine: numbering starts after the epoch's base (or the tree, should it be ahead).
        _lastZxid = Math.Max(epoch << 32, LastAppliedZxid);
    }

    public void BecomeLearner(long leader, bool observer)
    {
        _trace.Add(_scheduler.Now, _node.Id, "sm-learner", LastAppliedZxid, leader);
        _role = Role.Learner;
        _generation++;
        DropClients();
    }

    public long CatchUp(long upToZxid)
    {
        foreach (var (zxid, txn) in Log.ReadAfter(LastAppliedZxid))
        {
            if (zxid > upToZxid) break;
            Apply(zxid, txn.Span);
        }
        return LastAppliedZxid;
    }

    public long Reload()
    {
        _values = [];
        _appliedZxids = [];
        LastAppliedZxid = 0;
        Digest = 0;
        if (Log.NewestSnapshotZxid >= 0)
        {
            using var stream = Log.OpenNewestSnapshot();
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            var image = SimImage.Decode(bytes);
            if (image.Zxid != Log.NewestSnapshotZxid) _ghost.Violation($"node {_node.Id}: snapshot 0x{Log.NewestSnapshotZxid:x} holds an image at 0x{image.Zxid:x}");
            VerifyImage(image);
            _values = image.Values;
            _appliedZxids = image.AppliedZxids;
            LastAppliedZxid = image.Zxid;
            Digest = image.Digest;
        }
        long from = LastAppliedZxid;
        bool first = true;
        foreach (var (zxid, txn) in Log.ReadAfter(from))
        {
            if (first)
            {
                first = false;
                // The engine's recovery rule: the log must continue exactly where the image ends.
                bool continues = from == 0 ? (zxid & 0xFFFFFFFFL) == 1 : SimLog.IsValidSuccessor(from, zxid);
                if (!continues) throw new InvalidDataException($"node {_node.Id}: the txn log has a hole: the image ends at zxid 0x{from:x} but the log continues at 0x{zxid:x}");
            }
            Apply(zxid, txn.Span);
        }
        _lastZxid = LastAppliedZxid;
        _trace.Add(_scheduler.Now, _node.Id, "sm-reload", LastAppliedZxid, _appliedZxids.Count);
        return LastAppliedZxid;
    }

    public void Committed(long zxid)
    {
        if (_role != Role.Leader)
        {
            _ghost.Violation($"node {_node.Id}: Committed(0x{zxid:x}) while not leading");
            return;
        }
        while (_proposed.Count > 0 && _proposed.Peek().Zxid <= zxid)
        {
            var (z, txn, op) = _proposed.Dequeue();
            Apply(z, txn);
            if (op is not null) op.Client!.Answer(op, SimOutcome.Ok, z);
        }
    }

    public void ApplyCommitted(long zxid, ReadOnlyMemory<byte> txn)
    {
        // As the engine: a leader applies its own proposals, and a txn at or below the tree's zxid is already in it.
        if (_role == Role.Leader || zxid <= LastAppliedZxid)
        {
            _trace.Add(_scheduler.Now, _node.Id, "sm-apply-skip", zxid, LastAppliedZxid);
            return;
        }
        Apply(zxid, txn.Span);
    }

    public void SubmitForwarded(long from, ReadOnlyMemory<byte> request)
    {
        if (_role != Role.Leader)
        {
            _ghost.Violation($"node {_node.Id}: a forwarded request from {from} arrived while not leading");
            return;
        }
        SimTxn.Decode(request.Span);
        Propose(request.ToArray(), null);
    }

    public void ForwardFailed(ReadOnlyMemory<byte> failure) => _trace.Add(_scheduler.Now, _node.Id, "sm-forward-failed");

    public void SyncDone(ReadOnlyMemory<byte> sync) => _trace.Add(_scheduler.Now, _node.Id, "sm-sync-done");

    public void SessionsTouched(ReadOnlyMemory<byte> touches)
    {
    }

    public long SaveSnapshot()
    {
        var image = new SimImage(LastAppliedZxid, Digest, new SortedDictionary<int, long>(_values), [.. _appliedZxids]);
        Log.SaveSnapshot(LastAppliedZxid, image.Encode());
        _sinceSnapshot = 0;
        ResetSnapshotThreshold();
        return LastAppliedZxid;
    }

    // ------------------------------------------------------------------ internals

    private void Propose(byte[] txn, SimOp? op)
    {
        long zxid = ++_lastZxid;
        if ((zxid & 0xFFFFFFFFL) == 0) throw new InvalidOperationException("zxid counter exhausted");
        _ghost.Created(_node.Id, zxid, txn);
        _proposed.Enqueue((zxid, txn, op));
        _trace.Add(_scheduler.Now, _node.Id, "sm-propose", zxid, op?.ClientId ?? -1);
        // The engine hands prepped txns to the peer loop's queue: they reach the peer as a later event, not re-entrantly.
        int generation = _generation;
        _scheduler.After(0, () =>
        {
            if (generation == _generation && _node.IsCurrent(this)) _node.Deliver(() => _node.Invoke("propose", p => p.Propose(zxid, txn)));
        });
    }

    private void Apply(long zxid, ReadOnlySpan<byte> txn)
    {
        if (zxid <= LastAppliedZxid)
        {
            _ghost.Violation($"node {_node.Id} applied 0x{zxid:x} after 0x{LastAppliedZxid:x}");
            return;
        }
        _ghost.Applied(_node.Id, zxid, txn);
        var t = SimTxn.Decode(txn);
        _values[t.Key] = t.Value;
        Digest = SimTxn.Chain(Digest, zxid, txn);
        _appliedZxids.Add(zxid);
        LastAppliedZxid = zxid;
        if (_role == Role.Learner && _forwarded.Remove((t.ClientId, t.OpId), out var op)) op.Client!.Answer(op, SimOutcome.Ok, zxid);
        if (++_sinceSnapshot >= _snapshotThreshold) MaybeSnapshot();
    }

    private void MaybeSnapshot()
    {
        SaveSnapshot();
        if (_config.AutoPurge) Log.Purge(3);
    }

    /// <summary>The image must rebuild from the created txns it claims to contain.</summary>
    private void VerifyImage(SimImage image)
    {
        ulong digest = 0;
        var values = new SortedDictionary<int, long>();
        long last = 0;
        foreach (long z in image.AppliedZxids)
        {
            if (!_ghost.Txns.TryGetValue(z, out var txn))
            {
                _ghost.Violation($"node {_node.Id}: snapshot 0x{image.Zxid:x} contains txn 0x{z:x} that no leader created");
                return;
            }
            digest = SimTxn.Chain(digest, z, txn);
            var t = SimTxn.Decode(txn);
            values[t.Key] = t.Value;
            last = z;
        }
        if (digest != image.Digest || last != image.Zxid || !values.SequenceEqual(image.Values))
            _ghost.Violation($"node {_node.Id}: snapshot 0x{image.Zxid:x} does not match the txns it claims (last 0x{last:x})");
    }

    private void DropClients()
    {
        // Answers call back into Detach: collect first, then tell.
        var ops = _forwarded.Values.Concat(_proposed.Select(p => p.Op).OfType<SimOp>()).ToList();
        _forwarded.Clear();
        _proposed.Clear();
        var clients = _clients.ToList();
        _clients.Clear();
        foreach (var op in ops) op.Client!.Answer(op, SimOutcome.Unknown);
        foreach (var c in clients) c.ConnectionLost(_node.Id);
    }

    private void ResetSnapshotThreshold()
    {
        int n = _config.SnapCount;
        _snapshotThreshold = (n / 2) + _scheduler.Rng.Next(Math.Max(1, n / 2));
    }
}
