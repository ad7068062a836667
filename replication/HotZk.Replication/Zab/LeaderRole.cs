using HotZk.Replication.Transport;

namespace HotZk.Replication.Zab;

/// <summary>
/// LEADING: agrees a new epoch with a quorum, brings each learner level (DIFF, TRUNC or SNAP),
/// starts serving once a quorum acked NEWLEADER, then broadcasts proposals and commits them in zxid
/// order when a quorum has them on disk. Steps down when it cannot hear a quorum.
/// </summary>
internal sealed class LeaderRole(ZabPeer peer) : IPeerRole
{
    private readonly Dictionary<long, LearnerHandler> _learners = [];
    private readonly Queue<(long Zxid, ReadOnlyMemory<byte> Txn)> _outstanding = new();
    // Proposals not yet durable here: the sync of a learner reads older txns from the log, these from memory.
    private readonly List<(long Zxid, ReadOnlyMemory<byte> Txn)> _notDurable = [];
    private readonly List<(long Learner, ReadOnlyMemory<byte> Sync, long WaitFor)> _pendingSyncs = [];
    private readonly HashSet<long> _epochAcks = [];
    private readonly HashSet<long> _newLeaderAcks = [];
    private long _newEpoch = -1;
    private bool _established;
    private long _lastProposed;
    private long _lastCommitted;
    private long _ownDurable;
    private long _startedAt;
    private long _lastPing;
    private int _observersForwarding;

    private ZabOptions Options => peer.Options;

    /// <summary>Synced followers, synced observers, forwarded syncs waiting.</summary>
    public (int Followers, int Observers, int PendingSyncs) Counts()
    {
        int f = 0, o = 0;
        foreach (var h in _learners.Values)
        {
            if (h.At != LearnerHandler.Stage.Active) continue;
            if (h.Observer) o++;
            else f++;
        }
        return (f, o, _pendingSyncs.Count);
    }

    public void Start()
    {
        _startedAt = peer.Now;
        long began = System.Diagnostics.Stopwatch.GetTimestamp();
        var log = peer.Log;
        if (!peer.EnsureLogDurable())
        {
            peer.GoLooking("the txn log could not be made durable");
            return;
        }
        // The new leader's whole log becomes the ensemble's history: apply what the tree does not have yet.
        peer.ApplyLogged(peer.StateMachine.LastAppliedZxid, log.LastLoggedZxid);
        if (log.NewestSnapshotZxid < 0) peer.StateMachine.SaveSnapshot();
        _lastProposed = log.LastLoggedZxid;
        _ownDurable = _lastProposed;
        _lastCommitted = _lastProposed;
        _preparedMs = System.Diagnostics.Stopwatch.GetElapsedTime(began).TotalMilliseconds;
        TryDecideEpoch();
    }

    private double _preparedMs;

    public void Stop()
    {
        // Learners must not wait out syncLimit to notice: break every link (they re-elect at once).
        foreach (var h in _learners.Values) peer.Network.Disconnect(h.Sid);
        _learners.Clear();
        _observersForwarding = 0;
    }

    public void OnLinkUp(long peerId)
    {
    }

    public void OnLinkDown(long peerId)
    {
        if (_learners.ContainsKey(peerId)) peer.LogSink($"INFO learner {peerId} disconnected ({_learners[peerId].At})");
        Forget(peerId);
    }

    /// <summary>Drops a learner's session (its acks stop counting).</summary>
    private void Forget(long sid)
    {
        if (_learners.Remove(sid, out var h) && h.Observer && h.Forwarding) _observersForwarding--;
    }

    public void OnTick()
    {
        long now = peer.Now;
        long tick = Options.TickTime;
        if (!_established && now - _startedAt > Options.InitLimit * tick)
        {
            peer.GoLooking($"no quorum acknowledged the new epoch within initLimit ({Options.InitLimit} ticks)");
            return;
        }
        if (now - _lastPing >= tick / 2)
        {
            _lastPing = now;
            foreach (var h in _learners.Values) if (h.At >= LearnerHandler.Stage.AwaitNewLeaderAck) Send(h.Sid, PacketType.Ping, _lastCommitted);
        }
        List<long>? dead = null;
        foreach (var h in _learners.Values)
        {
            long limit = (h.At == LearnerHandler.Stage.Active ? Options.SyncLimit : Options.InitLimit) * tick;
            if (now - h.LastHeard > limit) (dead ??= []).Add(h.Sid);
        }
        if (dead is not null)
        {
            foreach (long sid in dead)
            {
                peer.LogSink($"WARN learner {sid} silent for more than its limit; dropping it");
                Forget(sid);
                peer.Network.Disconnect(sid);
            }
        }
        if (_established)
        {
            int live = 1 + _learners.Values.Count(h => !h.Observer && h.Forwarding && Options.Voters.Contains(h.Sid));
            if (live < Options.QuorumSize) peer.GoLooking($"lost the quorum ({live} of {Options.Voters.Count} voters reachable)");
        }
    }

    public void OnPacket(long from, QuorumPacket p)
    {
        if (p.Type is PacketType.FollowerInfo or PacketType.ObserverInfo)
        {
            OnLearnerInfo(from, p);
            return;
        }
        if (!_learners.TryGetValue(from, out var h)) return; // not (or no longer) one of ours: stale traffic
        h.LastHeard = peer.Now;
        switch (p.Type)
        {
            case PacketType.AckEpoch:
                OnAckEpoch(h, p);
                break;
            case PacketType.Ack:
                OnAck(h, p.Zxid);
                break;
            case PacketType.Ping:
                if (!p.Data.IsEmpty && _established) peer.StateMachine.SessionsTouched(p.Data);
                break;
            case PacketType.Request:
                if (_established && h.At == LearnerHandler.Stage.Active) peer.StateMachine.SubmitForwarded(from, p.Data);
                break;
            case PacketType.Sync:
                _pendingSyncs.Add((from, p.Data, _lastProposed));
                CompleteSyncs();
                break;
        }
    }

    public void OnDurable(long zxid)
    {
        if (zxid <= _ownDurable) return;
        _ownDurable = zxid;
        int keep = 0;
        while (keep < _notDurable.Count && _notDurable[keep].Zxid <= zxid) keep++;
        _notDurable.RemoveRange(0, keep);
        TryCommit();
    }

    /// <summary>The state machine prepped a txn: log it here, send it to every synced follower.</summary>
    public void Propose(long zxid, ReadOnlyMemory<byte> txn)
    {
        if (!_established || zxid <= _lastProposed) return;
        peer.AppendToLog(zxid, txn);
        _lastProposed = zxid;
        _outstanding.Enqueue((zxid, txn));
        _notDurable.Add((zxid, txn));
        foreach (var h in _learners.Values)
        {
            if (h.Forwarding && !h.Observer) SendTo(h, new QuorumPacket(PacketType.Proposal, zxid, txn));
        }
    }

    private void OnLearnerInfo(long from, QuorumPacket p)
    {
        bool observer = p.Type == PacketType.ObserverInfo;
        // A learner repeats its announcement until LEADERINFO arrives: a repeat is not a new session.
        if (_learners.TryGetValue(from, out var existing) && existing.At <= LearnerHandler.Stage.AwaitAckEpoch)
        {
            existing.LastHeard = peer.Now;
            return;
        }
        if (observer != !Options.Voters.Contains(from))
        {
            peer.LogSink($"WARN server {from} announced itself as {(observer ? "observer" : "follower")}, which zoo.cfg does not say; dropping it");
            peer.Network.Disconnect(from);
            return;
        }
        // A new learner session (also when it had one: it went looking and came back).
        var h = new LearnerHandler(from, observer, peer.Now)
        {
            AcceptedEpoch = Payload.Epoch(p.Zxid),
            PeerLastZxid = Payload.Long(p.Data, 0),
            PeerCurrentEpoch = Payload.Long(p.Data, 1),
        };
        Forget(from);
        _learners[from] = h;
        _epochAcks.Remove(from);
        _newLeaderAcks.Remove(from);
        if (_newEpoch < 0) TryDecideEpoch();
        else SendLeaderInfo(h);
    }

    /// <summary>Once a quorum told us their accepted epochs, the new epoch is one more than the largest.</summary>
    private void TryDecideEpoch()
    {
        if (_newEpoch >= 0) return;
        var voters = _learners.Values.Where(h => !h.Observer).ToList();
        if (voters.Count + 1 < Options.QuorumSize) return;
        long max = peer.Log.AcceptedEpoch;
        foreach (var h in voters) max = Math.Max(max, h.AcceptedEpoch);
        _newEpoch = max + 1;
        peer.Log.AcceptedEpoch = _newEpoch;
        peer.LogSink($"INFO leading: new epoch {_newEpoch} (last zxid 0x{_lastProposed:x}; history applied in {_preparedMs:0} ms, a quorum announced itself {peer.Now - _startedAt} ms after the election)");
        _epochAcks.Add(Options.MyId);
        foreach (var h in _learners.Values) SendLeaderInfo(h);
        TrySyncAll();
    }

    private void SendLeaderInfo(LearnerHandler h)
    {
        if (h.At != LearnerHandler.Stage.Info) return;
        h.At = LearnerHandler.Stage.AwaitAckEpoch;
        Send(h.Sid, PacketType.LeaderInfo, _newEpoch << 32);
    }

    private void OnAckEpoch(LearnerHandler h, QuorumPacket p)
    {
        if (h.At != LearnerHandler.Stage.AwaitAckEpoch) return;
        h.PeerLastZxid = p.Zxid;
        long theirEpoch = Payload.Long(p.Data, 0, -1);
        if (theirEpoch >= 0) h.PeerCurrentEpoch = theirEpoch;
        // A voter with a newer history than ours must lead instead (election saw stale votes).
        if (!h.Observer && (h.PeerCurrentEpoch > peer.Log.CurrentEpoch || (h.PeerCurrentEpoch == peer.Log.CurrentEpoch && h.PeerLastZxid > _lastProposed && !_established)))
        {
            peer.GoLooking($"follower {h.Sid} is ahead of this leader (epoch {h.PeerCurrentEpoch}, zxid 0x{h.PeerLastZxid:x})");
            return;
        }
        h.At = LearnerHandler.Stage.EpochAcked;
        // A learner that had already accepted this epoch may have promised it to another leader: as in
        // ZooKeeper, its ack (-1) is not counted, so two leaders can never both gather a quorum for one epoch.
        if (!h.Observer && theirEpoch >= 0) _epochAcks.Add(h.Sid);
        TrySyncAll();
    }

    private void TrySyncAll()
    {
        if (!_established && _epochAcks.Count < Options.QuorumSize) return;
        foreach (var h in _learners.Values.ToList())
        {
            if (h.At == LearnerHandler.Stage.EpochAcked) SyncLearner(h);
        }
    }

    /// <summary>
    /// Decides how to bring the learner level (DIFF, TRUNC + DIFF or SNAP) and registers it for the
    /// broadcast at that same point. The stream (snapshot chunks, logged txns, NEWLEADER with the
    /// committed point) is read off the peer thread; broadcast packets for the learner wait until it is
    /// on the link, so commits go on meanwhile and nothing is missed, reordered or sent twice.
    /// </summary>
    private void SyncLearner(LearnerHandler h)
    {
        var log = peer.Log;
        long peerLast = h.PeerLastZxid;
        // Observers only ever see committed txns.
        long upTo = h.Observer ? _lastCommitted : _lastProposed;
        long from;
        string how;
        PacketType kind;
        // History this leader knows is committed: all of it while establishing (a quorum will ack it
        // with NEWLEADER), the commit point afterwards. A learner whose log reaches past it may have
        // applied txns that are not committed yet (a restarted member replays its whole log), so it is
        // cut back to this point and gets the rest as proposals.
        long safe = _established ? Math.Min(_lastCommitted, upTo) : upTo;
        if (peerLast <= safe && (peerLast == upTo || (peerLast != 0 && log.Contains(peerLast))))
        {
            (from, how, kind) = (peerLast, "DIFF", PacketType.Diff);
        }
        else
        {
            // Past the commit point this is the commit point itself (the log holds every txn up to upTo).
            long target = Math.Min(peerLast == 0 ? 0 : log.LastBefore(peerLast), safe);
            if (target != 0 && log.Contains(target))
            {
                // The learner logged txns this history does not have (or not as committed): it drops them first.
                (from, how, kind) = (target, $"TRUNC to 0x{target:x}", PacketType.Trunc);
            }
            else
            {
                from = log.NewestSnapshotZxid;
                (how, kind) = ($"SNAP at 0x{from:x}", PacketType.Snap);
                if (from < 0)
                {
                    peer.LogSink($"WARN no snapshot to bring learner {h.Sid} level; dropping it");
                    Forget(h.Sid);
                    peer.Network.Disconnect(h.Sid);
                    return;
                }
            }
        }
        h.Forwarding = true;
        if (h.Observer) _observersForwarding++;
        h.AckedZxid = Math.Max(h.AckedZxid, peerLast <= upTo ? Math.Min(peerLast, from) : from);
        h.At = LearnerHandler.Stage.Streaming;
        h.Deferred = [];
        // What is not on disk yet is captured now; the rest is read from the log and snapshot in the background.
        long durable = _ownDurable;
        var inMemory = _notDurable.Where(t => t.Zxid > from && t.Zxid <= upTo).ToList();
        var packets = new List<QuorumPacket>();
        int sent = 0;
        peer.RunOffPeer(
            () =>
            {
                if (kind == PacketType.Snap) AddSnapshot(packets, from);
                else packets.Add(new QuorumPacket(kind, kind == PacketType.Trunc ? from : upTo));
                long last = from;
                if (from < durable)
                {
                    foreach (var (zxid, txn) in log.ReadAfter(from))
                    {
                        if (zxid > durable || zxid > upTo) break;
                        packets.Add(new QuorumPacket(PacketType.Proposal, zxid, txn));
                        last = zxid;
                        sent++;
                    }
                }
                foreach (var (zxid, txn) in inMemory)
                {
                    if (zxid <= last) continue;
                    packets.Add(new QuorumPacket(PacketType.Proposal, zxid, txn));
                    sent++;
                }
                packets.Add(new QuorumPacket(PacketType.NewLeader, _newEpoch << 32, Payload.Longs(safe)));
            },
            () =>
            {
                // The learner may have gone (or started over) while the stream was read.
                if (!_learners.TryGetValue(h.Sid, out var current) || !ReferenceEquals(current, h) || h.At != LearnerHandler.Stage.Streaming) return;
                if (packets.Count == 0 || packets[^1].Type != PacketType.NewLeader)
                {
                    peer.LogSink($"WARN could not read the sync stream for learner {h.Sid}; dropping it");
                    Forget(h.Sid);
                    peer.Network.Disconnect(h.Sid);
                    return;
                }
                foreach (var p in packets) peer.Network.Send(h.Sid, p);
                foreach (var p in h.Deferred!) peer.Network.Send(h.Sid, p);
                h.Deferred = null;
                h.At = LearnerHandler.Stage.AwaitNewLeaderAck;
                peer.LogSink($"INFO synced {(h.Observer ? "observer" : "follower")} {h.Sid} (last zxid 0x{peerLast:x}) by {how} + {sent} txns up to 0x{upTo:x}");
            });
    }

    /// <summary>SNAP header and chunks of the newest snapshot (background thread: only the log and the packet list are touched).</summary>
    private void AddSnapshot(List<QuorumPacket> packets, long zxid)
    {
        using var image = peer.Log.OpenNewestSnapshot();
        packets.Add(new QuorumPacket(PacketType.Snap, zxid, Payload.Longs(image.Length)));
        int chunk = Options.SnapshotChunkBytes;
        while (true)
        {
            var buf = new byte[chunk];
            int n = image.ReadAtLeast(buf, chunk, throwOnEndOfStream: false);
            if (n == 0) break;
            packets.Add(new QuorumPacket(PacketType.SnapChunk, zxid, buf.AsMemory(0, n)));
            if (n < chunk) break;
        }
    }

    private void OnAck(LearnerHandler h, long zxid)
    {
        if (Payload.Epoch(zxid) == _newEpoch && (zxid & 0xFFFFFFFFL) == 0)
        {
            // The learner logged everything up to NEWLEADER and took our epoch as its own.
            if (h.At != LearnerHandler.Stage.AwaitNewLeaderAck) return;
            h.At = LearnerHandler.Stage.NewLeaderAcked;
            if (!h.Observer) _newLeaderAcks.Add(h.Sid);
            if (_established) SendUpToDate(h);
            else TryEstablish();
            return;
        }
        if (h.Observer || zxid <= h.AckedZxid) return;
        h.AckedZxid = zxid;
        TryCommit();
    }

    private void TryEstablish()
    {
        if (_newLeaderAcks.Count + 1 < Options.QuorumSize) return;
        _established = true;
        peer.Log.CurrentEpoch = _newEpoch;
        peer.SetEpoch(_newEpoch);
        peer.StateMachine.BecomeLeader(_newEpoch);
        peer.LogSink($"INFO leading epoch {_newEpoch} with {_newLeaderAcks.Count + 1} of {Options.Voters.Count} voters; serving");
        foreach (var h in _learners.Values) if (h.At == LearnerHandler.Stage.NewLeaderAcked) SendUpToDate(h);
    }

    private void SendUpToDate(LearnerHandler h)
    {
        h.At = LearnerHandler.Stage.Active;
        Send(h.Sid, PacketType.UpToDate, _lastCommitted);
    }

    /// <summary>Commits the oldest outstanding proposals, in zxid order, while a quorum has them.</summary>
    private void TryCommit()
    {
        long committed = _lastCommitted;
        // Only observers need the txns themselves (INFORM); followers get one cumulative COMMIT.
        List<(long, ReadOnlyMemory<byte>)>? committedNow = null;
        while (_outstanding.Count > 0)
        {
            var (zxid, txn) = _outstanding.Peek();
            int acks = _ownDurable >= zxid ? 1 : 0;
            foreach (var h in _learners.Values)
            {
                if (!h.Observer && h.Forwarding && h.AckedZxid >= zxid) acks++;
            }
            if (acks < Options.QuorumSize) break;
            _outstanding.Dequeue();
            committed = zxid;
            if (_observersForwarding > 0) (committedNow ??= []).Add((zxid, txn));
        }
        if (committed == _lastCommitted) return;
        _lastCommitted = committed;
        foreach (var h in _learners.Values)
        {
            if (!h.Forwarding) continue;
            if (h.Observer)
            {
                foreach (var (zxid, txn) in committedNow ?? []) SendTo(h, new QuorumPacket(PacketType.Inform, zxid, txn));
            }
            else
            {
                SendTo(h, new QuorumPacket(PacketType.Commit, committed));
            }
        }
        peer.StateMachine.Committed(committed);
        CompleteSyncs();
    }

    /// <summary>A forwarded sync is answered once everything proposed before it is committed (after those COMMITs on the same link).</summary>
    private void CompleteSyncs()
    {
        for (int i = 0; i < _pendingSyncs.Count; i++)
        {
            var (learner, sync, waitFor) = _pendingSyncs[i];
            if (waitFor > _lastCommitted) continue;
            if (_learners.TryGetValue(learner, out var h)) SendTo(h, new QuorumPacket(PacketType.Sync, _lastCommitted, sync));
            _pendingSyncs.RemoveAt(i--);
        }
    }

    /// <summary>Broadcast traffic for one learner: held back while its sync stream is being prepared.</summary>
    private void SendTo(LearnerHandler h, QuorumPacket p)
    {
        if (h.Deferred is { } deferred) deferred.Add(p);
        else peer.Network.Send(h.Sid, p);
    }

    private void Send(long to, PacketType type, long zxid) => peer.Network.Send(to, new QuorumPacket(type, zxid));

}
