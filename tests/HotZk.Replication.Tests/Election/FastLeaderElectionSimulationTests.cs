using HotZk.Replication.Election;

namespace HotZk.Replication.Tests.Election;

public class FastLeaderElectionSimulationTests
{
    private const int Seeds = 200;

    // Resends start at 200 ms and double, so a 2 s wait spans three of them: with 20% loss a better
    // vote gets through before anyone decides (10,000 seeds checked). With the default 200 ms wait
    // FLE itself may decide without it (even on two leaders, which ZooKeeper's discovery phase sorts out).
    private const int LossTolerantFinalizeWaitMs = 2000;

    // With 20% loss each way a round trip fails a third of the time; capping the backoff keeps
    // enough retries inside the simulated minute that no seed waits on a run of bad luck.
    private const int LossyMaxIntervalMs = 2000;

    private static readonly long[] ThreeVoters = [1, 2, 3];

    private sealed record History(long Id, long Zxid, long Epoch);

    private static History[] RandomHistories(Random rng, IEnumerable<long> ids) =>
        ids.Select(id =>
        {
            long epoch = rng.Next(1, 4);
            return new History(id, (epoch << 32) | (uint)rng.Next(0, 6), epoch);
        }).ToArray();

    private static long Best(IEnumerable<History> candidates) =>
        candidates.Aggregate((best, c) => Vote.Beats(c.Id, c.Zxid, c.Epoch, best.Id, best.Zxid, best.Epoch) ? c : best).Id;

    private static void StartAll(ElectionSimulation sim, Random rng, IEnumerable<History> histories)
    {
        foreach (var h in histories.OrderBy(_ => rng.Next()))
            sim.Start(h.Id, h.Zxid, h.Epoch);
    }

    private static void AssertDecided(ElectionSimulation sim, long id, long expectedLeader, ServerState expectedState, string context)
    {
        var decisions = sim.DecisionsOf(id);
        Assert.True(decisions.Count == 1, $"{context}: member {id} decided {decisions.Count} times");
        var result = decisions[0];
        Assert.True(expectedLeader == result.Vote.Leader, $"{context}: member {id} chose {result.Vote.Leader}, expected {expectedLeader}");
        Assert.True(expectedState == result.State, $"{context}: member {id} is {result.State}, expected {expectedState}");
        Assert.Equal(expectedState, sim[id].State);
        Assert.Equal(result.Vote, sim[id].CurrentVote);
    }

    private static void AssertOneLeader(ElectionSimulation sim, IEnumerable<long> voters, long expectedLeader, string context)
    {
        foreach (long id in voters)
            AssertDecided(sim, id, expectedLeader, id == expectedLeader ? ServerState.Leading : ServerState.Following, context);
    }

    [Fact]
    public void ThreeVotersElectTheBestUnderReorderingDelayAndDuplicates()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var sim = new ElectionSimulation(seed, duplicateRate: 0.2);
            sim.AddEnsemble(ThreeVoters, []);
            var rng = new Random(seed * 7919);
            var histories = RandomHistories(rng, ThreeVoters);
            StartAll(sim, rng, histories);

            Assert.True(sim.RunUntilDecided(ThreeVoters, 60_000), $"seed {seed}: no decision in 60 simulated seconds");
            AssertOneLeader(sim, ThreeVoters, Best(histories), $"seed {seed}");
        }
    }

    [Fact]
    public void ThreeVotersElectTheBestUnderTwentyPercentLoss()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var sim = new ElectionSimulation(seed, lossRate: 0.2, duplicateRate: 0.1);
            sim.AddEnsemble(ThreeVoters, [], LossTolerantFinalizeWaitMs, LossyMaxIntervalMs);
            var rng = new Random(seed * 7919);
            var histories = RandomHistories(rng, ThreeVoters);
            StartAll(sim, rng, histories);

            Assert.True(sim.RunUntilDecided(ThreeVoters, 60_000), $"seed {seed}: no decision in 60 simulated seconds");
            AssertOneLeader(sim, ThreeVoters, Best(histories), $"seed {seed}");
        }
    }

    [Fact]
    public void ThreeVotersAlwaysDecideUnderLossWithDefaultTimings()
    {
        // Liveness only: at 200 ms the best vote may be lost (see LossTolerantFinalizeWaitMs).
        for (int seed = 0; seed < Seeds; seed++)
        {
            var sim = new ElectionSimulation(seed, lossRate: 0.2, duplicateRate: 0.1);
            sim.AddEnsemble(ThreeVoters, [], maxNotificationIntervalMs: LossyMaxIntervalMs);
            var rng = new Random(seed * 7919);
            StartAll(sim, rng, RandomHistories(rng, ThreeVoters));

            Assert.True(sim.RunUntilDecided(ThreeVoters, 60_000), $"seed {seed}: no decision in 60 simulated seconds");
            foreach (long id in ThreeVoters)
            {
                var decision = Assert.Single(sim.DecisionsOf(id));
                Assert.Contains(decision.Vote.Leader, ThreeVoters);
                Assert.Equal(decision.Vote.Leader == id ? ServerState.Leading : ServerState.Following, decision.State);
            }
        }
    }

    [Fact]
    public void ThreeLiveVotersOfFiveElectTheBestLiveOne()
    {
        long[] voters = [1, 2, 3, 4, 5];
        long[] live = [1, 2, 3];
        for (int seed = 0; seed < Seeds; seed++)
        {
            var sim = new ElectionSimulation(seed, lossRate: 0.1, duplicateRate: 0.1);
            sim.AddEnsemble(voters, [], LossTolerantFinalizeWaitMs, LossyMaxIntervalMs);
            var rng = new Random(seed * 7919);
            var histories = RandomHistories(rng, live);
            StartAll(sim, rng, histories);
            // 4 and 5 (which would have the best logs) never run: what is sent to them is lost.

            Assert.True(sim.RunUntilDecided(live, 60_000), $"seed {seed}: no decision in 60 simulated seconds");
            AssertOneLeader(sim, live, Best(histories), $"seed {seed}");
        }
    }

    [Fact]
    public void OneVoterOfThreeNeverDecides()
    {
        var sim = new ElectionSimulation(seed: 1);
        sim.AddEnsemble(ThreeVoters, []);
        sim.Start(1, 5, 1);

        Assert.False(sim.RunUntilDecided([1], 300_000));
        Assert.Empty(sim.DecisionsOf(1));
        Assert.Equal(ServerState.Looking, sim[1].State);
        Assert.True(sim[1].IsRoundActive);
    }

    [Fact]
    public void LateStarterFollowsTheEstablishedLeaderEvenWithABetterLog()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var sim = new ElectionSimulation(seed, lossRate: 0.2, duplicateRate: 0.1);
            sim.AddEnsemble(ThreeVoters, [], LossTolerantFinalizeWaitMs, LossyMaxIntervalMs);
            var rng = new Random(seed * 7919);
            var histories = RandomHistories(rng, [1, 2]);
            // A second round straight away: the ensemble decides at election epoch 2, so the
            // newcomer's round 1 never matches and it must use the out-of-election path.
            StartAll(sim, rng, histories);
            StartAll(sim, rng, histories);
            Assert.True(sim.RunUntilDecided([1, 2], 60_000), $"seed {seed}: the first two did not decide");
            long leader = Best(histories);
            AssertOneLeader(sim, [1, 2], leader, $"seed {seed}");

            sim.Start(3, (9L << 32) | 100, 9);
            Assert.Equal(1, sim[3].LogicalClock);
            Assert.True(sim.RunUntilDecided([3], 60_000), $"seed {seed}: the late starter did not decide");

            AssertDecided(sim, 3, leader, ServerState.Following, $"seed {seed}");
            Assert.Equal(2, sim[3].LogicalClock);
            AssertOneLeader(sim, [1, 2], leader, $"seed {seed} after the join");
        }
    }

    [Fact]
    public void ObserverLearnsTheLeaderAndNeverSwaysTheVote()
    {
        for (int seed = 0; seed < Seeds; seed++)
        {
            var sim = new ElectionSimulation(seed, lossRate: 0.2, duplicateRate: 0.1);
            sim.AddEnsemble(ThreeVoters, [4], LossTolerantFinalizeWaitMs, LossyMaxIntervalMs);
            var rng = new Random(seed * 7919);
            var histories = RandomHistories(rng, ThreeVoters);
            // The observer has the best log of all.
            StartAll(sim, rng, histories.Append(new History(4, (9L << 32) | 100, 9)));

            Assert.True(sim.RunUntilDecided([1, 2, 3, 4], 60_000), $"seed {seed}: no decision in 60 simulated seconds");
            long leader = Best(histories);
            AssertOneLeader(sim, ThreeVoters, leader, $"seed {seed}");
            AssertDecided(sim, 4, leader, ServerState.Observing, $"seed {seed}");
            Assert.True(sim[4].IsObserver);
        }
    }
}
