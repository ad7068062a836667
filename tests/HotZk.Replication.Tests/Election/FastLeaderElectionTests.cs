using HotZk.Replication.Election;

namespace HotZk.Replication.Tests.Election;

public class FastLeaderElectionTests
{
    private readonly List<(long To, Notification Message)> _sent = [];

    private FastLeaderElection Create(long myId, long[] voters, long[]? observers = null, int finalizeWaitMs = 200, int maxIntervalMs = 60_000)
    {
        var peers = voters.Concat(observers ?? []).Where(id => id != myId).ToArray();
        return new FastLeaderElection(myId, voters, peers, (to, n) => _sent.Add((to, n)), finalizeWaitMs, maxIntervalMs);
    }

    private static Notification Looking(long leader, long zxid, long clock, long peerEpoch = 1) =>
        new(ServerState.Looking, leader, zxid, clock, peerEpoch);

    [Fact]
    public void StartProposesItselfToEveryPeerInANewRound()
    {
        var fle = Create(2, [1, 2, 3], observers: [4]);

        fle.Start(lastZxid: 70, currentEpoch: 5, nowMs: 0);

        Assert.Equal(1, fle.LogicalClock);
        Assert.Equal(ServerState.Looking, fle.State);
        var expected = new Notification(ServerState.Looking, 2, 70, 1, 5);
        Assert.Equal([(1L, expected), (3L, expected), (4L, expected)], _sent);
        Assert.Equal(new Vote(2, 70, 1, 5), fle.CurrentVote);

        _sent.Clear();
        fle.Reset(ServerState.Looking, fle.CurrentVote);
        fle.Start(70, 5, 1000);
        Assert.Equal(2, fle.LogicalClock);
        Assert.All(_sent, s => Assert.Equal(2, s.Message.ElectionEpoch));
    }

    [Fact]
    public void ResendsWithDoublingIntervalUpToTheMaximum()
    {
        var fle = Create(1, [1, 2, 3], maxIntervalMs: 1000);
        fle.Start(5, 1, 0);
        var resendTimes = new List<long>();
        for (long now = 10; now <= 4000; now += 10)
        {
            _sent.Clear();
            Assert.Null(fle.OnTick(now));
            if (_sent.Count > 0)
            {
                Assert.Equal(2, _sent.Count);
                resendTimes.Add(now);
            }
        }

        Assert.Equal([200L, 600, 1400, 2400, 3400], resendTimes);
    }

    [Fact]
    public void AHigherRoundIsAdoptedWithTheBetterOfItsVoteAndMyOwn()
    {
        // Five voters, so one agreeing vote is no quorum and no finalize wait starts.
        var fle = Create(1, [1, 2, 3, 4, 5]);
        fle.Start(lastZxid: 50, currentEpoch: 1, nowMs: 0);
        fle.OnNotification(3, Looking(leader: 3, zxid: 60, clock: 1), 0); // raises my proposal to 3
        Assert.Equal(3, fle.CurrentVote.Leader);
        _sent.Clear();

        // Round 4 with a vote worse than my own initial one: my proposal goes back to myself, not to 3.
        Assert.Null(fle.OnNotification(2, Looking(leader: 2, zxid: 40, clock: 4), 10));

        Assert.Equal(4, fle.LogicalClock);
        Assert.Equal(new Vote(1, 50, 4, 1), fle.CurrentVote);
        Assert.Equal(4, _sent.Count);
        Assert.All(_sent, s => Assert.Equal(Looking(1, 50, 4), s.Message));

        // Round 5 with a better vote: adopted.
        fle.OnNotification(2, Looking(leader: 3, zxid: 60, clock: 5), 20);
        Assert.Equal(new Vote(3, 60, 5, 1), fle.CurrentVote);
    }

    [Fact]
    public void ALaggingLookingVoterGetsMyRoundAndIsNotCounted()
    {
        var fle = Create(1, [1, 2, 3]);
        fle.Start(50, 1, 0);
        fle.OnNotification(2, Looking(2, 10, clock: 3), 0); // round 3, my own vote stays
        _sent.Clear();

        // 3 agrees with me but from round 1: if it counted, {1, 3} would be a quorum.
        Assert.Null(fle.OnNotification(3, Looking(1, 50, clock: 1), 10));

        Assert.Equal([(3L, Looking(1, 50, 3))], _sent);
        Assert.Null(fle.OnTick(1000));
        Assert.Equal(ServerState.Looking, fle.State);
    }

    [Fact]
    public void AQuorumDecidesOnlyAfterTheFinalizeWait()
    {
        var fle = Create(1, [1, 2, 3]);
        fle.Start(50, 1, 0);

        Assert.Null(fle.OnNotification(2, Looking(1, 50, 1), 100));
        Assert.Null(fle.OnTick(299));
        Assert.Equal(ServerState.Looking, fle.State);

        var result = fle.OnTick(300);

        Assert.Equal(new ElectionResult(ServerState.Leading, new Vote(1, 50, 1, 1)), result);
        Assert.Equal(ServerState.Leading, fle.State);
        Assert.Null(fle.OnTick(400)); // reported once
    }

    [Fact]
    public void ABetterVoteWithinTheFinalizeWaitChangesTheDecision()
    {
        var fle = Create(1, [1, 2, 3]);
        fle.Start(50, 1, 0);
        fle.OnNotification(2, Looking(1, 50, 1), 100); // quorum {1, 2} for 1: wait until 300
        _sent.Clear();

        Assert.Null(fle.OnNotification(3, Looking(3, 60, 1), 250));

        Assert.Equal(new Vote(3, 60, 1, 1), fle.CurrentVote);
        Assert.Equal(2, _sent.Count); // the new proposal went out
        // {1, 3} now agree on 3: a fresh wait from 250.
        Assert.Null(fle.OnTick(300));
        Assert.Null(fle.OnTick(449));
        Assert.Equal(new ElectionResult(ServerState.Following, new Vote(3, 60, 1, 1)), fle.OnTick(450));
        Assert.Equal(ServerState.Following, fle.State);
    }

    [Fact]
    public void AWorseVoteWithinTheFinalizeWaitChangesNothing()
    {
        var fle = Create(3, [1, 2, 3]);
        fle.Start(50, 1, 0);
        fle.OnNotification(2, Looking(3, 50, 1), 100);
        _sent.Clear();

        Assert.Null(fle.OnNotification(1, Looking(1, 40, 1), 150));

        Assert.Empty(_sent);
        Assert.Equal(ServerState.Leading, fle.OnTick(300)?.State);
    }

    [Fact]
    public void AnExpiredWaitDecidesBeforeALateBetterVoteIsSeen()
    {
        var fle = Create(1, [1, 2, 3]);
        fle.Start(50, 1, 0);
        fle.OnNotification(2, Looking(1, 50, 1), 100);
        _sent.Clear();

        var result = fle.OnNotification(3, Looking(3, 60, 1), 300);

        Assert.Equal(new ElectionResult(ServerState.Leading, new Vote(1, 50, 1, 1)), result);
        // Decided, so the looking sender is told who leads.
        Assert.Equal([(3L, new Notification(ServerState.Leading, 1, 50, 1, 1))], _sent);
    }

    [Fact]
    public void ZeroFinalizeWaitDecidesAtOnce()
    {
        var fle = Create(1, [1, 2, 3], finalizeWaitMs: 0);
        fle.Start(50, 1, 0);

        Assert.Equal(ServerState.Leading, fle.OnNotification(2, Looking(1, 50, 1), 0)?.State);
    }

    [Fact]
    public void AStaleVoteArrivingLateDoesNotReplaceTheSendersNewerOne()
    {
        var fle = Create(1, [1, 2, 3, 4, 5]);
        fle.Start(10, 1, 0);
        fle.OnNotification(2, Looking(5, 50, 1), 0); // 2 has moved on to 5, and so do I
        Assert.Equal(5, fle.CurrentVote.Leader);

        fle.OnNotification(2, Looking(2, 20, 1), 0); // 2's first vote, overtaken in transit
        Assert.Null(fle.OnNotification(3, Looking(5, 50, 1), 0)); // {1, 2, 3} agree on 5

        Assert.Equal(new ElectionResult(ServerState.Following, new Vote(5, 50, 1, 1)), fle.OnTick(200));
    }

    [Fact]
    public void NonMembersAreIgnored()
    {
        var fle = Create(1, [1, 2, 3]);
        fle.Start(50, 1, 0);
        _sent.Clear();

        Assert.Null(fle.OnNotification(9, Looking(9, 1000, 5, peerEpoch: 9), 0));
        Assert.Null(fle.OnNotification(1, Looking(1, 50, 1), 0)); // myself

        Assert.Empty(_sent);
        Assert.Equal(1, fle.LogicalClock);
        Assert.Equal(new Vote(1, 50, 1, 1), fle.CurrentVote);
        Assert.Null(fle.OnTick(150));
        Assert.Equal(ServerState.Looking, fle.State);
    }

    [Fact]
    public void ObserversAreAnsweredButNeverCountedOrFollowed()
    {
        var fle = Create(1, [1, 2, 3], observers: [4]);
        fle.Start(50, 1, 0);
        _sent.Clear();

        // Agreeing with me would make a quorum {1, 4} if observers counted.
        Assert.Null(fle.OnNotification(4, Looking(1, 50, 1), 0));
        // A better vote (and a newer round) from an observer changes nothing.
        Assert.Null(fle.OnNotification(4, Looking(2, 900, 7, peerEpoch: 5), 0));

        Assert.Equal([(4L, Looking(1, 50, 1)), (4L, Looking(1, 50, 1))], _sent);
        Assert.Equal(new Vote(1, 50, 1, 1), fle.CurrentVote);
        Assert.Null(fle.OnTick(150));
        Assert.Equal(ServerState.Looking, fle.State);
    }

    [Fact]
    public void AVoteForANonVoterIsIgnored()
    {
        var fle = Create(1, [1, 2, 3], observers: [4]);
        fle.Start(50, 1, 0);

        Assert.Null(fle.OnNotification(2, Looking(4, 900, 1, peerEpoch: 5), 0));

        Assert.Equal(1, fle.CurrentVote.Leader);
    }

    [Fact]
    public void ALookingObserverNeitherAnswersVotersNorDecidesFromLookingVotes()
    {
        var fle = Create(4, [1, 2, 3], observers: [4]);
        Assert.True(fle.IsObserver);
        fle.Start(10, 1, 0);
        _sent.Clear();

        // Every voter agrees on a better vote than mine (and one is a round behind).
        Assert.Null(fle.OnNotification(1, Looking(3, 60, 1), 0));
        Assert.Null(fle.OnNotification(2, Looking(3, 60, 1), 0));
        Assert.Null(fle.OnNotification(3, Looking(3, 60, 1), 0));
        Assert.Null(fle.OnNotification(3, Looking(3, 60, 0), 0));

        Assert.Empty(_sent);
        Assert.Equal(new Vote(4, 10, 1, 1), fle.CurrentVote);
        Assert.Null(fle.OnTick(1000));
        Assert.Equal(ServerState.Looking, fle.State);
    }

    [Fact]
    public void ADecidedMemberAnswersLookingPeersWithItsDecision()
    {
        var fle = Create(1, [1, 2, 3], observers: [4]);
        fle.Start(50, 1, 0);
        fle.OnNotification(2, Looking(1, 50, 1), 0);
        Assert.NotNull(fle.OnTick(200));
        _sent.Clear();

        fle.OnNotification(3, Looking(3, 10, 1), 300);
        fle.OnNotification(4, Looking(4, 999, 6), 300);
        fle.OnNotification(2, new Notification(ServerState.Following, 1, 50, 1, 1), 300);

        var answer = new Notification(ServerState.Leading, 1, 50, 1, 1);
        Assert.Equal([(3L, answer), (4L, answer)], _sent);
        Assert.Equal(ServerState.Leading, fle.State);
    }

    [Fact]
    public void ResetRecordsWhatLookingPeersAreToldAndAnIdleLookerStaysQuiet()
    {
        var fle = Create(2, [1, 2, 3]);
        fle.Start(50, 1, 0);
        var vote = new Vote(3, 80, 4, 2);

        fle.Reset(ServerState.Following, vote);
        _sent.Clear();
        fle.OnNotification(1, Looking(1, 10, 9), 0);
        Assert.Equal([(1L, new Notification(ServerState.Following, 3, 80, 4, 2))], _sent);
        Assert.Equal(vote, fle.CurrentVote);

        fle.Reset(ServerState.Looking, vote);
        _sent.Clear();
        Assert.Null(fle.OnNotification(1, Looking(1, 10, 9), 0));
        Assert.Null(fle.OnTick(10_000));
        Assert.Empty(_sent);
    }

    [Fact]
    public void JoiningAnEstablishedEnsembleNeedsAQuorumAndTheLeaderSayingItLeads()
    {
        var fle = Create(5, [1, 2, 3, 4, 5]);
        fle.Start(900, 9, 0); // round 1; the ensemble decided in round 7
        var following = new Notification(ServerState.Following, 1, 40, 7, 2);

        Assert.Null(fle.OnNotification(2, following, 0));
        Assert.Null(fle.OnNotification(3, following, 0));
        Assert.Null(fle.OnNotification(4, following, 0)); // a quorum of 3 follows 1, but 1 has not said so
        Assert.Null(fle.OnTick(10_000));
        Assert.Equal(ServerState.Looking, fle.State);

        var result = fle.OnNotification(1, following with { State = ServerState.Leading }, 10_000);

        Assert.Equal(new ElectionResult(ServerState.Following, new Vote(1, 40, 7, 2)), result);
    }

    [Fact]
    public void DecidedMembersOfDifferentRoundsAgreeOnLeaderAndEpochNotRound()
    {
        // Rounds are not persisted and members join an ensemble from different rounds (ZOOKEEPER-1732):
        // outside the election, (leader, peer epoch) is what must match.
        var fle = Create(3, [1, 2, 3]);
        fle.Start(900, 9, 0);

        // Different epochs: no quorum, even though both name leader 1 and 1 says it leads.
        Assert.Null(fle.OnNotification(2, new Notification(ServerState.Following, 1, 40, 6, 1), 0));
        Assert.Null(fle.OnNotification(1, new Notification(ServerState.Leading, 1, 40, 7, 2), 0));
        Assert.Equal(ServerState.Looking, fle.State);

        // 2 refreshed its vote to the established epoch (from its older round 6): {1, 2} agree and 1 leads.
        Assert.Equal(ServerState.Following, fle.OnNotification(2, new Notification(ServerState.Following, 1, 40, 6, 2), 0)?.State);
    }

    [Fact]
    public void DecidedVotesOfMyOwnRoundDecideWithoutTheWait()
    {
        var fle = Create(3, [1, 2, 3]);
        fle.Start(10, 1, 0);

        Assert.Null(fle.OnNotification(2, new Notification(ServerState.Following, 1, 50, 1, 1), 0));
        var result = fle.OnNotification(1, new Notification(ServerState.Leading, 1, 50, 1, 1), 0);

        Assert.Equal(new ElectionResult(ServerState.Following, new Vote(1, 50, 1, 1)), result);
        Assert.Equal(1, fle.LogicalClock);
    }

    [Fact]
    public void DuringTheWaitOnlyABetterVoteIsLookedAt()
    {
        var fle = Create(1, [1, 2, 3]);
        fle.Start(50, 1, 0);
        fle.OnNotification(2, Looking(1, 50, 1), 0); // quorum {1, 2}: waiting until 200
        _sent.Clear();

        // Not better than my proposal: dropped, as ZooKeeper's finalize poll drops it, so even a
        // newer round does not restart the election.
        Assert.Null(fle.OnNotification(3, Looking(3, 10, 5), 100));
        Assert.Equal(1, fle.LogicalClock);
        Assert.Empty(_sent);
        // A lagging sender is still answered.
        Assert.Null(fle.OnNotification(3, Looking(3, 10, 0), 100));
        Assert.Equal([(3L, Looking(1, 50, 1))], _sent);

        Assert.Equal(ServerState.Leading, fle.OnTick(200)?.State);
    }

    [Fact]
    public void RejectsInconsistentMembership()
    {
        Action<long, Notification> send = (_, _) => { };
        Assert.Throws<ArgumentException>(() => new FastLeaderElection(1, [1, 2, 3], [1, 2, 3], send));
        Assert.Throws<ArgumentException>(() => new FastLeaderElection(1, [1, 2, 3], [2], send));
        Assert.Throws<ArgumentException>(() => new FastLeaderElection(1, [], [2], send));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastLeaderElection(1, [1, 2], [2], send, finalizeWaitMs: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastLeaderElection(1, [1, 2], [2], send, maxNotificationIntervalMs: 0));
        Assert.True(new FastLeaderElection(4, [1, 2, 3], [1, 2, 3], send).IsObserver);
    }
}
