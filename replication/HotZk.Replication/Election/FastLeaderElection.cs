namespace HotZk.Replication.Election;

/// <summary>
/// ZooKeeper's fast leader election as a deterministic, single-threaded state machine: no threads,
/// timers or sockets. Time arrives as <c>nowMs</c> arguments and messages leave through the
/// <c>send</c> delegate, so the caller (or a simulation) decides when anything happens.
/// </summary>
/// <remarks>
/// A round: bump the logical clock, propose myself, tell every peer. Adopt any better vote (by
/// <see cref="Vote.Beats(Vote)"/>) and re-announce. Once a quorum of voters holds my proposal, wait
/// <c>finalizeWaitMs</c> for a better vote; if none comes, decide. Peers that already decided
/// answer LOOKING notifications with their decision, which is how late joiners and observers learn
/// an established leader (the out-of-election path).
/// </remarks>
public sealed class FastLeaderElection
{
    /// <summary>First resend interval while looking; doubles on every resend up to the maximum.</summary>
    public const int MinNotificationIntervalMs = 200;

    private readonly HashSet<long> _voters;
    private readonly HashSet<long> _peerSet;
    private readonly long[] _peers;
    private readonly Action<long, Notification> _send;
    private readonly int _finalizeWaitMs;
    private readonly int _maxNotificationIntervalMs;
    private readonly int _quorum;

    // Votes of this round (electionEpoch == LogicalClock), one per voter.
    private readonly Dictionary<long, (ServerState State, Vote Vote)> _recvSet = new();
    // Latest FOLLOWING/LEADING notification per voter, whatever its round.
    private readonly Dictionary<long, (ServerState State, Vote Vote)> _outOfElection = new();

    private bool _roundActive;
    private Vote _initialVote;
    private Vote _proposal;
    private Vote _decidedVote;
    private long? _finalizeDeadlineMs;
    private long _nextResendMs;
    private int _resendIntervalMs;

    /// <summary>Creates the election state machine for one member. Nothing is sent until <see cref="Start"/>.</summary>
    /// <param name="myId">This member's server id.</param>
    /// <param name="voters">Ids of the voting members, including <paramref name="myId"/> unless it is an observer.</param>
    /// <param name="peers">Every other member id (voters and observers, not <paramref name="myId"/>); notifications go to all of them.</param>
    /// <param name="send">Called synchronously with (recipient, notification) for every outgoing message.</param>
    /// <param name="finalizeWaitMs">How long to wait for a better vote once a quorum agrees.</param>
    /// <param name="maxNotificationIntervalMs">Upper bound of the resend interval while looking.</param>
    public FastLeaderElection(long myId, IReadOnlyCollection<long> voters, IReadOnlyCollection<long> peers,
        Action<long, Notification> send, int finalizeWaitMs = 200, int maxNotificationIntervalMs = 60_000)
    {
        ArgumentNullException.ThrowIfNull(voters);
        ArgumentNullException.ThrowIfNull(peers);
        ArgumentNullException.ThrowIfNull(send);
        ArgumentOutOfRangeException.ThrowIfNegative(finalizeWaitMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxNotificationIntervalMs);

        _voters = new HashSet<long>(voters);
        _peerSet = new HashSet<long>(peers);
        if (_voters.Count == 0)
            throw new ArgumentException("An ensemble needs at least one voter.", nameof(voters));
        if (_peerSet.Contains(myId))
            throw new ArgumentException($"Peers must not include this member's own id {myId}.", nameof(peers));
        foreach (long voter in _voters)
        {
            if (voter != myId && !_peerSet.Contains(voter))
                throw new ArgumentException($"Voter {voter} is not among the peers.", nameof(peers));
        }

        // Sorted so the send order, and with it a simulation, is reproducible.
        _peers = [.. _peerSet.Order()];
        _send = send;
        _finalizeWaitMs = finalizeWaitMs;
        _maxNotificationIntervalMs = maxNotificationIntervalMs;
        _quorum = _voters.Count / 2 + 1;
        MyId = myId;
        IsObserver = !_voters.Contains(myId);
        State = ServerState.Looking;
        _decidedVote = new Vote(myId, 0, 0, 0);
    }

    /// <summary>This member's server id.</summary>
    public long MyId { get; }

    /// <summary>True when this member is not a voter: it never counts and only learns the leader from others.</summary>
    public bool IsObserver { get; }

    /// <summary>The election round; each <see cref="Start"/> bumps it and larger rounds seen from voters are adopted.</summary>
    public long LogicalClock { get; private set; }

    /// <summary><see cref="ServerState.Looking"/> while a round runs (or before the first); the decided state after.</summary>
    public ServerState State { get; private set; }

    /// <summary>The proposal (with <see cref="LogicalClock"/> as its election epoch) while looking; the decided vote after.</summary>
    public Vote CurrentVote => _roundActive ? _proposal with { ElectionEpoch = LogicalClock } : _decidedVote;

    /// <summary>True while a round started by <see cref="Start"/> has not decided or been reset.</summary>
    public bool IsRoundActive => _roundActive;

    /// <summary>
    /// Begins a new round: bumps the logical clock, proposes this member and notifies every peer.
    /// Observers propose themselves too; no voter ever counts that vote.
    /// </summary>
    /// <param name="lastZxid">Last zxid in this member's log.</param>
    /// <param name="currentEpoch">This member's current (accepted leader) epoch.</param>
    /// <param name="nowMs">Current time.</param>
    public void Start(long lastZxid, long currentEpoch, long nowMs)
    {
        LogicalClock++;
        State = ServerState.Looking;
        _roundActive = true;
        _recvSet.Clear();
        _outOfElection.Clear();
        _finalizeDeadlineMs = null;
        _initialVote = new Vote(MyId, lastZxid, 0, currentEpoch);
        _proposal = _initialVote;
        _resendIntervalMs = Math.Min(MinNotificationIntervalMs, _maxNotificationIntervalMs);
        _nextResendMs = nowMs + _resendIntervalMs;
        SendToAll();
    }

    /// <summary>Handles one received notification.</summary>
    /// <param name="from">Sender's server id.</param>
    /// <param name="n">The notification.</param>
    /// <param name="nowMs">Current time.</param>
    /// <returns>The decision when this call made it (including a finalize wait that had already expired); otherwise null.</returns>
    public ElectionResult? OnNotification(long from, Notification n, long nowMs)
    {
        if (from == MyId || !_peerSet.Contains(from))
            return null;

        // The wait ran out before this message arrived: the decision came first.
        ElectionResult? expired = DecideIfFinalizeExpired(nowMs);

        if (!_roundActive)
        {
            // A decided member tells a looking one who leads; an idle LOOKING member (Reset without Start) stays quiet.
            if (State != ServerState.Looking && n.State == ServerState.Looking)
                _send(from, Notification.From(State, _decidedVote));
            return expired;
        }

        if (!_voters.Contains(from))
        {
            // Observers are never counted, but a looking voter lets them see its round.
            if (n.State == ServerState.Looking && !IsObserver)
                _send(from, Notification.From(ServerState.Looking, CurrentVote));
            return null;
        }

        // A vote for a non-voter can never win; ZooKeeper drops such notifications too.
        if (!_voters.Contains(n.Leader))
            return null;

        if (_finalizeDeadlineMs is not null)
        {
            if (!n.Vote.Beats(_proposal))
            {
                // Nothing better: keep waiting, but still help a lagging sender catch up.
                if (n.State == ServerState.Looking && n.ElectionEpoch < LogicalClock)
                    _send(from, Notification.From(ServerState.Looking, CurrentVote));
                return null;
            }
            _finalizeDeadlineMs = null;
        }

        return n.State switch
        {
            ServerState.Looking => IsObserver ? null : OnLooking(from, n, nowMs),
            ServerState.Following or ServerState.Leading => OnDecided(from, n),
            _ => null,
        };
    }

    /// <summary>Advances time: resends the proposal when the resend interval has passed and finishes an expired finalize wait.</summary>
    /// <param name="nowMs">Current time.</param>
    /// <returns>The decision when the finalize wait ran out in this call; otherwise null.</returns>
    public ElectionResult? OnTick(long nowMs)
    {
        if (!_roundActive)
            return null;
        ElectionResult? decided = DecideIfFinalizeExpired(nowMs);
        if (decided is not null)
            return decided;
        if (nowMs >= _nextResendMs)
        {
            SendToAll();
            _resendIntervalMs = (int)Math.Min(2L * _resendIntervalMs, _maxNotificationIntervalMs);
            _nextResendMs = nowMs + _resendIntervalMs;
        }
        return null;
    }

    /// <summary>
    /// Records that this member left the election some other way (or lost its leader and will
    /// <see cref="Start"/> again). Stops any running round; the state and vote are what LOOKING peers
    /// are told. With <see cref="ServerState.Looking"/> the member stays silent until the next <see cref="Start"/>.
    /// </summary>
    /// <param name="state">The member's state now.</param>
    /// <param name="vote">The vote to announce (the leader it follows or leads with).</param>
    public void Reset(ServerState state, Vote vote)
    {
        State = state;
        _decidedVote = vote;
        _roundActive = false;
        _finalizeDeadlineMs = null;
        _recvSet.Clear();
        _outOfElection.Clear();
    }

    /// <summary>
    /// The leader established <paramref name="epoch"/>: the decided vote announced to LOOKING members
    /// carries it, so every member of the ensemble answers with the same (leader, epoch) whatever round
    /// it joined in.
    /// </summary>
    public void UpdateDecidedEpoch(long epoch)
    {
        if (State != ServerState.Looking && !_roundActive) _decidedVote = _decidedVote with { PeerEpoch = epoch };
    }

    private ElectionResult? OnLooking(long from, Notification n, long nowMs)
    {
        Vote vote = n.Vote;
        if (n.ElectionEpoch > LogicalClock)
        {
            // I am behind: join the newer round, starting again from the better of its vote and mine.
            LogicalClock = n.ElectionEpoch;
            _recvSet.Clear();
            _proposal = vote.Beats(_initialVote) ? vote : _initialVote;
            SendToAll();
        }
        else if (n.ElectionEpoch < LogicalClock)
        {
            // The sender is behind: show it my round so it catches up; its vote does not count.
            _send(from, Notification.From(ServerState.Looking, CurrentVote));
            return null;
        }
        else if (vote.Beats(_proposal))
        {
            _proposal = vote;
            SendToAll();
        }

        RecordLooking(from, vote);

        Vote proposal = CurrentVote;
        if (CountAgreeing(_recvSet, proposal, countSelf: true, acrossRounds: false) >= _quorum)
        {
            _finalizeDeadlineMs = nowMs + _finalizeWaitMs;
            return DecideIfFinalizeExpired(nowMs);
        }
        return null;
    }

    private ElectionResult? OnDecided(long from, Notification n)
    {
        Vote vote = n.Vote;
        if (!IsObserver && n.ElectionEpoch == LogicalClock)
        {
            _recvSet[from] = (n.State, vote);
            if (CountAgreeing(_recvSet, vote, countSelf: true, acrossRounds: false) >= _quorum && CheckLeader(vote))
                return Decide(vote);
        }

        // The latest decision per voter (links are FIFO, so the last one received is the newest). Round
        // numbers are not persisted: a restarted voter decides again in a lower round, and members of one
        // ensemble may have joined it from different rounds, so rounds must not gate this box.
        _outOfElection[from] = (n.State, vote);

        if (CountAgreeing(_outOfElection, vote, countSelf: false, acrossRounds: true) >= _quorum && CheckLeader(vote))
        {
            // Join the established ensemble's round so my answers to later LOOKING peers match theirs.
            LogicalClock = n.ElectionEpoch;
            return Decide(vote);
        }
        return null;
    }

    private void RecordLooking(long from, Vote vote)
    {
        // Within one round a member's proposals only improve and a decision is final, so an entry
        // that is better (or decided) is newer: a reordered stale message must not replace it.
        if (_recvSet.TryGetValue(from, out var existing)
            && (existing.State != ServerState.Looking || existing.Vote.Beats(vote)))
        {
            return;
        }
        _recvSet[from] = (ServerState.Looking, vote);
    }

    /// <summary>
    /// Voters whose vote matches <paramref name="target"/>: the whole vote within a round; leader and
    /// peer epoch for decisions gathered across rounds (members refresh the epoch of their decided
    /// vote once their leader established it, as ZooKeeper does since ZOOKEEPER-1732).
    /// </summary>
    private int CountAgreeing(Dictionary<long, (ServerState State, Vote Vote)> box, Vote target, bool countSelf, bool acrossRounds)
    {
        int count = 0;
        foreach (var (sid, entry) in box)
        {
            if (sid == MyId || !_voters.Contains(sid))
                continue;
            bool agrees = acrossRounds
                ? entry.Vote.Leader == target.Leader && entry.Vote.PeerEpoch == target.PeerEpoch
                : entry.Vote == target;
            if (agrees)
                count++;
        }
        if (countSelf && !IsObserver && CurrentVote == target)
            count++;
        return count;
    }

    /// <summary>
    /// Guards against electing a leader that is gone: another leader must itself have said it is
    /// LEADING; if I am the leader, the vote must be from my own round.
    /// </summary>
    private bool CheckLeader(Vote vote)
    {
        if (vote.Leader == MyId)
            return LogicalClock == vote.ElectionEpoch;
        return IsLeading(_recvSet, vote.Leader) || IsLeading(_outOfElection, vote.Leader);
    }

    private static bool IsLeading(Dictionary<long, (ServerState State, Vote Vote)> box, long leader) =>
        box.TryGetValue(leader, out var entry) && entry.State == ServerState.Leading && entry.Vote.Leader == leader;

    private ElectionResult? DecideIfFinalizeExpired(long nowMs)
    {
        if (_roundActive && _finalizeDeadlineMs is { } deadline && nowMs >= deadline)
            return Decide(CurrentVote);
        return null;
    }

    private ElectionResult Decide(Vote vote)
    {
        ServerState state = vote.Leader == MyId ? ServerState.Leading
            : IsObserver ? ServerState.Observing
            : ServerState.Following;
        Reset(state, vote);
        return new ElectionResult(state, vote);
    }

    private void SendToAll()
    {
        var notification = Notification.From(ServerState.Looking, CurrentVote);
        foreach (long peer in _peers)
            _send(peer, notification);
    }
}
