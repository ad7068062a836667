using HotZk.Replication.Election;
using HotZk.Replication.Transport;

namespace HotZk.Replication.Zab;

/// <summary>
/// One ensemble member's ZAB state machine: fast leader election while LOOKING, then the leader or
/// learner role it won. Single-threaded and deterministic: a driver calls every method on one
/// thread (a <see cref="PeerLoop"/> in a server, the scheduler in a simulation) and time only
/// comes in through <see cref="OnTick"/>.
/// </summary>
public sealed class ZabPeer : IZabEvents
{
    private readonly FastLeaderElection _election;
    private IPeerRole? _role;
    private long _now;
    private bool _stopped;

    /// <summary>Creates a peer; nothing happens until <see cref="Start"/>.</summary>
    public ZabPeer(ZabOptions options, IPeerTransport network, IReplicatedLog log, IReplicatedStateMachine stateMachine, Action<string>? logSink = null)
    {
        Options = options;
        Network = network;
        Log = log;
        StateMachine = stateMachine;
        LogSink = logSink ?? (_ => { });
        _election = new FastLeaderElection(options.MyId, options.Voters, options.Peers.ToList(), SendVote, options.FinalizeWaitMs);
    }

    /// <summary>Membership and timing.</summary>
    public ZabOptions Options { get; }

    internal IPeerTransport Network { get; }

    internal IReplicatedLog Log { get; }

    internal IReplicatedStateMachine StateMachine { get; }

    internal Action<string> LogSink { get; }

    /// <summary>The current state.</summary>
    public PeerState State { get; private set; } = PeerState.Looking;

    /// <summary>The leader this server follows or is (0 while looking).</summary>
    public long LeaderId { get; private set; }

    /// <summary>Epoch of the current leadership (0 while looking).</summary>
    public long Epoch { get; private set; }

    /// <summary>
    /// Runs slow work (reading a snapshot and log for a learner's sync) off the peer thread, then the
    /// continuation back on it. Null (simulations): both run inline, in order.
    /// </summary>
    public Action<Action, Action>? Offload { get; set; }

    /// <summary>Runs <paramref name="work"/> via <see cref="Offload"/> (or inline), then <paramref name="then"/> on the peer thread.</summary>
    internal void RunOffPeer(Action work, Action then)
    {
        if (Offload is { } offload)
        {
            offload(work, then);
            return;
        }
        work();
        then();
    }

    /// <summary>A consistent picture for other threads (4lw), refreshed on every tick and state change.</summary>
    public QuorumStatus Status => Volatile.Read(ref _status);
    private QuorumStatus _status = new(PeerState.Looking, 0, 0, 0, 0, 0, 0);

    /// <summary>Raised (on the peer thread) when <see cref="State"/> changes.</summary>
    public event Action<PeerState>? StateChanged;

    private readonly RecentTxns _recent = new(4096, 16L << 20);

    /// <summary>Logs a txn (leader proposal or learner copy) and remembers it for a later take-over.</summary>
    internal void AppendToLog(long zxid, ReadOnlyMemory<byte> txn)
    {
        Log.Append(zxid, txn);
        _recent.Add(zxid, txn);
    }

    /// <summary>TRUNC / SNAP: the log lost its tail (or everything), and so does the memory of it.</summary>
    internal void ForgetLoggedAfter(long zxid) => _recent.TruncateAfter(zxid);

    /// <summary>
    /// Applies logged txns in (<paramref name="applied"/>, <paramref name="upTo"/>] — from memory when the
    /// recent ones cover the range, else by reading the log — and returns the last applied zxid.
    /// </summary>
    internal long ApplyLogged(long applied, long upTo)
    {
        if (upTo <= applied) return applied;
        var range = _recent.Range(applied, upTo, Log.LastBefore);
        if (range is null) return StateMachine.CatchUp(upTo);
        foreach (var (zxid, txn) in range)
        {
            StateMachine.ApplyCommitted(zxid, txn);
            applied = zxid;
        }
        return applied;
    }

    /// <summary>Milliseconds, as last given to <see cref="OnTick"/>.</summary>
    internal long Now => _now;

    /// <summary>Starts the first election.</summary>
    public void Start(long nowMs)
    {
        _now = nowMs;
        GoLooking("starting");
    }

    /// <summary>Stops taking part (shutdown): no further packets are sent.</summary>
    public void Stop()
    {
        _stopped = true;
        _role?.Stop();
        _role = null;
    }

    /// <summary>Timers: election resends, heartbeats, liveness limits.</summary>
    public void OnTick(long nowMs)
    {
        _now = nowMs;
        if (_stopped) return;
        if (State == PeerState.Looking)
        {
            var decided = _election.OnTick(nowMs);
            if (decided is { } d) Decide(d);
            return;
        }
        _role?.OnTick();
        PublishStatus();
    }

    private void PublishStatus()
    {
        var (followers, observers, pendingSyncs) = (_role as LeaderRole)?.Counts() ?? (0, 0, 0);
        Volatile.Write(ref _status, new QuorumStatus(State, LeaderId, Epoch, Options.Voters.Count, followers, observers, pendingSyncs));
    }

    /// <summary>A link to <paramref name="peer"/> came up.</summary>
    public void OnLinkUp(long peer)
    {
        if (_stopped) return;
        if (State == PeerState.Looking)
        {
            // Do not wait for the resend timer: tell a newly reachable peer where we stand.
            SendVote(peer, Notification.From(ServerState.Looking, _election.CurrentVote));
        }
        _role?.OnLinkUp(peer);
    }

    /// <summary>A link went down.</summary>
    public void OnLinkDown(long peer)
    {
        if (_stopped) return;
        _role?.OnLinkDown(peer);
    }

    /// <summary>A packet arrived.</summary>
    public void OnPacket(long from, QuorumPacket packet)
    {
        if (_stopped) return;
        if (packet.Type == PacketType.Vote)
        {
            Notification n;
            try
            {
                n = Notification.Decode(packet.Data.Span);
            }
            catch (InvalidDataException e)
            {
                LogSink($"WARN bad election notification from {from}: {e.Message}");
                return;
            }
            var decided = _election.OnNotification(from, n, _now);
            if (State == PeerState.Looking && decided is { } d) Decide(d);
            return;
        }
        _role?.OnPacket(from, packet);
    }

    /// <inheritdoc/>
    public void OnDurable(long zxid)
    {
        if (!_stopped) _role?.OnDurable(zxid);
    }

    /// <inheritdoc/>
    public void OnLogFailed(long fromZxid, Exception error)
    {
        if (_stopped) return;
        // A server that cannot log cannot promise anything to a quorum: leave the ensemble's work to others until it can.
        LogSink($"ERROR txn log failed at 0x{fromZxid:x}: {error.Message}; leaving the quorum");
        GoLooking("txn log failure");
    }

    /// <summary>Leader: the state machine prepped a txn.</summary>
    public void Propose(long zxid, ReadOnlyMemory<byte> txn)
    {
        if (!_stopped) (_role as LeaderRole)?.Propose(zxid, txn);
    }

    /// <summary>Learner: a client request for the leader.</summary>
    public void Forward(ReadOnlyMemory<byte> request)
    {
        if (!_stopped) (_role as LearnerRole)?.Send(PacketType.Request, 0, request);
    }

    /// <summary>Learner: a client's sync for the leader (echoed back after every earlier commit).</summary>
    public void ForwardSync(ReadOnlyMemory<byte> sync)
    {
        if (!_stopped) (_role as LearnerRole)?.Send(PacketType.Sync, 0, sync);
    }

    /// <summary>Learner: live sessions to report with the next heartbeat.</summary>
    public void ReportSessions(ReadOnlyMemory<byte> touches)
    {
        if (!_stopped) (_role as LearnerRole)?.QueueTouches(touches);
    }

    /// <summary>Leader: answers a learner's forwarded request that made no txn.</summary>
    public void RequestFailed(long learner, ReadOnlyMemory<byte> failure)
    {
        if (!_stopped && _role is LeaderRole) Network.Send(learner, new QuorumPacket(PacketType.RequestFailed, 0, failure));
    }

    /// <summary>Leader: stop leading (e.g. zxid counter exhausted) and elect again.</summary>
    public void StepDown(string reason)
    {
        if (!_stopped && State == PeerState.Leading) GoLooking(reason);
    }

    /// <summary>Leaves the current role and starts an election.</summary>
    internal void GoLooking(string reason)
    {
        if (_stopped) return;
        var previous = State;
        _role?.Stop();
        _role = null;
        if (previous != PeerState.Looking || LeaderId != 0) LogSink($"INFO {Describe(previous)} -> LOOKING: {reason}");
        State = PeerState.Looking;
        LeaderId = 0;
        Epoch = 0;
        StateMachine.BecomeLooking();
        // Votes carry the last logged zxid: it must be on disk. After a failed sync the log is cut back
        // to what is (which also lets it take appends again).
        EnsureLogDurable();
        _election.Start(Log.LastLoggedZxid, Log.CurrentEpoch, _now);
        PublishStatus();
        if (previous != PeerState.Looking) StateChanged?.Invoke(State);
    }

    private void Decide(ElectionResult result)
    {
        LeaderId = result.Vote.Leader;
        LogSink($"INFO election round {_election.LogicalClock} decided: leader {LeaderId} (zxid 0x{result.Vote.Zxid:x}, epoch {result.Vote.PeerEpoch}); this server is {result.State}");
        switch (result.State)
        {
            case ServerState.Leading:
                State = PeerState.Leading;
                _role = new LeaderRole(this);
                break;
            case ServerState.Following:
                State = PeerState.Following;
                _role = new FollowerRole(this, LeaderId);
                break;
            default:
                State = PeerState.Observing;
                _role = new ObserverRole(this, LeaderId);
                break;
        }
        StateChanged?.Invoke(State);
        _role.Start();
        PublishStatus();
    }

    /// <summary>
    /// Flushes the log; false (after cutting it back to its durable part) when not everything made it
    /// to disk. A member must never vouch — with a vote, an ACK of NEWLEADER or as a leader — for
    /// history it does not have.
    /// </summary>
    internal bool EnsureLogDurable()
    {
        Log.Flush();
        long durable = Log.DurableZxid;
        if (durable >= Log.LastLoggedZxid) return true;
        LogSink($"WARN txn log durable only to 0x{durable:x} of 0x{Log.LastLoggedZxid:x}: dropping the rest");
        Log.TruncateAfter(durable);
        ForgetLoggedAfter(durable);
        return false;
    }

    /// <summary>A role established its epoch.</summary>
    internal void SetEpoch(long epoch)
    {
        Epoch = epoch;
        _election.UpdateDecidedEpoch(epoch);
    }

    private void SendVote(long to, Notification n) => Network.Send(to, new QuorumPacket(PacketType.Vote, 0, n.Encode()));

    private static string Describe(PeerState s) => s.ToString().ToUpperInvariant();
}
