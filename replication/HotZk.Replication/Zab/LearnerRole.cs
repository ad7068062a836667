using HotZk.Replication.Transport;

namespace HotZk.Replication.Zab;

/// <summary>
/// FOLLOWING or OBSERVING: announces itself to the elected leader, accepts its epoch, takes the
/// sync stream (DIFF / TRUNC / SNAP), acknowledges NEWLEADER, serves after UPTODATE; then logs
/// proposals (followers ack them once durable) and applies commits in zxid order.
/// </summary>
internal abstract class LearnerRole(ZabPeer peer, long leader) : IPeerRole
{
    private enum Stage { Connecting, AwaitLeaderInfo, AwaitSync, Syncing, AwaitUpToDate, Serving }

    private readonly Queue<(long Zxid, ReadOnlyMemory<byte> Txn)> _pending = new();
    private readonly List<ReadOnlyMemory<byte>> _touches = [];
    private Stage _stage = Stage.Connecting;
    private const int AnnounceRetryMs = 25;
    private long _startedAt;
    private long _announcedAt;
    private long _lastHeard;
    private long _newEpoch;
    private long _committedPoint;
    private long _commitTarget;
    private long _applied;
    private long _lastAppliedFromStream = -1;
    private long _lastAcked;
    private long _lastQueued;
    private MemoryStream? _snapshot;
    private long _snapshotZxid;
    private long _snapshotLength;

    protected ZabPeer Peer => peer;

    /// <summary>Observers neither vote nor ack; they get committed txns only.</summary>
    protected abstract bool IsObserver { get; }

    public void Start()
    {
        _startedAt = peer.Now;
        _lastHeard = peer.Now;
        _applied = peer.StateMachine.LastAppliedZxid;
        _lastQueued = peer.Log.LastLoggedZxid;
        if (peer.Network.IsConnected(leader)) Announce();
    }

    public void Stop()
    {
        peer.Network.Disconnect(leader);
        _pending.Clear();
        _snapshot?.Dispose();
    }

    public void OnLinkUp(long peerId)
    {
        if (peerId == leader && _stage == Stage.Connecting) Announce();
    }

    public void OnLinkDown(long peerId)
    {
        if (peerId == leader) peer.GoLooking($"lost the link to leader {leader}");
    }

    public void OnTick()
    {
        long now = peer.Now;
        long tick = peer.Options.TickTime;
        if (_stage == Stage.AwaitLeaderInfo && now - _announcedAt >= AnnounceRetryMs)
        {
            // The leader may still have been looking when our first announcement arrived (it drops it then).
            Announce();
        }
        if (_stage != Stage.Serving && now - _startedAt > peer.Options.InitLimit * tick)
        {
            peer.GoLooking($"leader {leader} did not bring this server up to date within initLimit ({peer.Options.InitLimit} ticks)");
            return;
        }
        if (_stage == Stage.Serving && now - _lastHeard > peer.Options.SyncLimit * tick)
        {
            peer.GoLooking($"leader {leader} silent for more than syncLimit ({peer.Options.SyncLimit} ticks)");
        }
    }

    /// <summary>Sends to the leader once this server serves (forwarded writes and syncs).</summary>
    public void Send(PacketType type, long zxid, ReadOnlyMemory<byte> data)
    {
        if (_stage == Stage.Serving) peer.Network.Send(leader, new QuorumPacket(type, zxid, data));
    }

    /// <summary>Session touches go with the next heartbeat answer.</summary>
    public void QueueTouches(ReadOnlyMemory<byte> touches) => _touches.Add(touches);

    public void OnDurable(long zxid)
    {
        if (IsObserver || zxid <= _lastAcked || _stage < Stage.Syncing) return;
        _lastAcked = zxid;
        peer.Network.Send(leader, new QuorumPacket(PacketType.Ack, zxid));
    }

    public void OnPacket(long from, QuorumPacket p)
    {
        if (from != leader) return;
        _lastHeard = peer.Now;
        switch (_stage)
        {
            case Stage.Connecting:
                return;
            case Stage.AwaitLeaderInfo:
                // Anything else is left over from an earlier session on this link.
                if (p.Type == PacketType.LeaderInfo) OnLeaderInfo(p);
                return;
        }
        switch (p.Type)
        {
            case PacketType.Diff:
                if (_stage == Stage.AwaitSync) _stage = Stage.Syncing;
                break;
            case PacketType.Trunc:
                if (_stage == Stage.AwaitSync) OnTrunc(p.Zxid);
                break;
            case PacketType.Snap:
                if (_stage == Stage.AwaitSync) BeginSnapshot(p);
                break;
            case PacketType.SnapChunk:
                OnSnapshotChunk(p);
                break;
            case PacketType.Proposal:
                OnProposal(p.Zxid, p.Data);
                break;
            case PacketType.Inform:
                OnProposal(p.Zxid, p.Data);
                Commit(p.Zxid);
                break;
            case PacketType.Commit:
                Commit(p.Zxid);
                break;
            case PacketType.NewLeader:
                OnNewLeader(p);
                break;
            case PacketType.UpToDate:
                OnUpToDate();
                break;
            case PacketType.Ping:
                OnPing();
                break;
            case PacketType.Sync:
                if (_stage == Stage.Serving) peer.StateMachine.SyncDone(p.Data);
                break;
            case PacketType.RequestFailed:
                if (_stage == Stage.Serving) peer.StateMachine.ForwardFailed(p.Data);
                break;
        }
    }

    private void Announce()
    {
        _stage = Stage.AwaitLeaderInfo;
        _announcedAt = peer.Now;
        var log = peer.Log;
        var type = IsObserver ? PacketType.ObserverInfo : PacketType.FollowerInfo;
        peer.Network.Send(leader, new QuorumPacket(type, log.AcceptedEpoch << 32, Payload.Longs(log.LastLoggedZxid, log.CurrentEpoch)));
    }

    private void OnLeaderInfo(QuorumPacket p)
    {
        long epoch = Payload.Epoch(p.Zxid);
        var log = peer.Log;
        if (epoch < log.AcceptedEpoch)
        {
            peer.GoLooking($"leader {leader} proposed epoch {epoch}, older than the accepted {log.AcceptedEpoch}");
            return;
        }
        long reported = epoch == log.AcceptedEpoch ? -1 : log.CurrentEpoch;
        if (epoch > log.AcceptedEpoch) log.AcceptedEpoch = epoch;
        _newEpoch = epoch;
        _stage = Stage.AwaitSync;
        // -1: this epoch was already accepted (from this or another leader); the leader must not count it towards its quorum.
        peer.Network.Send(leader, new QuorumPacket(PacketType.AckEpoch, log.LastLoggedZxid, Payload.Longs(reported)));
    }

    private void OnTrunc(long zxid)
    {
        var log = peer.Log;
        log.Flush();
        peer.LogSink($"INFO leader {leader} truncates this server's log after 0x{zxid:x} (it ends at 0x{log.LastLoggedZxid:x})");
        log.TruncateAfter(zxid);
        peer.ForgetLoggedAfter(zxid);
        _lastQueued = log.LastLoggedZxid;
        // Only a restarted server applied txns past what is committed (recovery replays the whole log).
        if (_applied > zxid) _applied = peer.StateMachine.Reload();
        _stage = Stage.Syncing;
    }

    private void BeginSnapshot(QuorumPacket p)
    {
        _snapshotZxid = p.Zxid;
        _snapshotLength = Payload.Long(p.Data, 0);
        _snapshot = new MemoryStream((int)Math.Min(_snapshotLength, int.MaxValue / 2));
        _stage = Stage.Syncing;
        if (_snapshotLength == 0) InstallSnapshot();
    }

    private void OnSnapshotChunk(QuorumPacket p)
    {
        if (_snapshot is null || p.Zxid != _snapshotZxid) return;
        _snapshot.Write(p.Data.Span);
        if (_snapshot.Length >= _snapshotLength) InstallSnapshot();
    }

    private void InstallSnapshot()
    {
        var log = peer.Log;
        log.Flush();
        _snapshot!.Position = 0;
        log.InstallSnapshot(_snapshotZxid, _snapshot);
        peer.ForgetLoggedAfter(0);
        _snapshot.Dispose();
        _snapshot = null;
        _lastQueued = _snapshotZxid;
        _pending.Clear();
        _applied = peer.StateMachine.Reload();
        peer.LogSink($"INFO installed the leader's snapshot at 0x{_snapshotZxid:x}");
    }

    private void OnProposal(long zxid, ReadOnlyMemory<byte> txn)
    {
        if (_stage < Stage.Syncing || zxid <= _lastQueued) return;
        peer.AppendToLog(zxid, txn);
        _lastQueued = zxid;
        _pending.Enqueue((zxid, txn));
    }

    private void OnNewLeader(QuorumPacket p)
    {
        if (_stage != Stage.Syncing || Payload.Epoch(p.Zxid) != _newEpoch) return;
        _committedPoint = Payload.Long(p.Data, 0);
        var log = peer.Log;
        // Everything the leader sent is on disk before we vouch for its epoch.
        // (A failed sync may also have cut the log short: what the leader sent must all be there.)
        if (!peer.EnsureLogDurable() || log.DurableZxid < _lastQueued)
        {
            peer.GoLooking("the txn log could not store the leader's history");
            return;
        }
        log.CurrentEpoch = _newEpoch;
        _stage = Stage.AwaitUpToDate;
        peer.SetEpoch(_newEpoch);
        peer.Network.Send(leader, new QuorumPacket(PacketType.Ack, _newEpoch << 32));
        // Acks for the proposals that came with the sync (a joiner's acks may complete a live quorum).
        OnDurable(log.LastLoggedZxid);
    }

    private void OnUpToDate()
    {
        if (_stage != Stage.AwaitUpToDate) return;
        _stage = Stage.Serving;
        _lastHeard = peer.Now;
        ApplyUpTo(Math.Max(_committedPoint, _commitTarget));
        peer.StateMachine.BecomeLearner(leader, IsObserver);
        peer.LogSink($"INFO {(IsObserver ? "observing" : "following")} leader {leader} in epoch {_newEpoch}; serving from zxid 0x{_applied:x}");
    }

    private void OnPing()
    {
        var data = ReadOnlyMemory<byte>.Empty;
        if (_touches.Count > 0)
        {
            int total = 0;
            foreach (var t in _touches) total += t.Length;
            var buf = new byte[total];
            int at = 0;
            foreach (var t in _touches)
            {
                t.Span.CopyTo(buf.AsSpan(at));
                at += t.Length;
            }
            _touches.Clear();
            data = buf;
        }
        peer.Network.Send(leader, new QuorumPacket(PacketType.Ping, _lastAcked, data));
    }

    private void Commit(long zxid)
    {
        if (zxid > _commitTarget) _commitTarget = zxid;
        if (_stage == Stage.Serving) ApplyUpTo(zxid);
    }

    /// <summary>Applies committed txns in order: those received in this session from memory, older logged ones from the log.</summary>
    private void ApplyUpTo(long zxid)
    {
        var sm = peer.StateMachine;
        while (_pending.Count > 0 && _pending.Peek().Zxid <= zxid)
        {
            var (next, txn) = _pending.Dequeue();
            if (next <= _applied) continue;
            // Txns logged before this session's stream (own log, TRUNC/DIFF start) may lie between the last
            // applied one and the stream; once the stream itself is being applied it follows on directly.
            if (_applied != _lastAppliedFromStream)
            {
                long before = peer.Log.LastBefore(next);
                if (before > _applied) _applied = peer.ApplyLogged(_applied, before);
            }
            sm.ApplyCommitted(next, txn);
            _applied = next;
            _lastAppliedFromStream = next;
        }
        if (zxid > _applied && peer.Log.LastBefore(zxid + 1) > _applied) _applied = peer.ApplyLogged(_applied, Math.Min(zxid, peer.Log.LastLoggedZxid));
    }
}
