using HotZk.Replication.Zab;
using Xunit.Abstractions;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>Hand-scripted fault sequences in the simulator, for interleavings random schedules rarely hit.</summary>
[Collection("Simulation")]
public class SimScenarioTests(ITestOutputHelper output)
{
    private static SimConfig Five(int seed) => new() { Seed = seed, Voters = 5, Observers = 0, Clients = 0 };

    /// <summary>
    /// A follower restarts while a proposal P is outstanding (logged on it and on the leader only:
    /// the others' disks are slow), re-syncs to the same leader by DIFF and serves reads. Then the
    /// leader and the slow followers crash before P reaches their disks; the survivors elect a leader
    /// without P. Did any client read P?
    /// </summary>
    [Fact]
    public void ARestartedFollowerDoesNotServeAnUncommittedProposal()
    {
        var sim = new EnsembleSimulation(Five(1));
        sim.StartServers();
        Assert.True(sim.RunUntil(() => sim.IsConverged, 10_000), "no leader");
        var leader = sim.CurrentLeader!;
        var follower = sim.Nodes.First(n => n != leader);
        var others = sim.Nodes.Where(n => n != leader && n != follower).ToList();
        long now = sim.Scheduler.Now;
        foreach (var o in others) o.Log.StalledUntil = now + 5000;

        var writer = sim.NewClient(1);
        Assert.True(writer.ConnectTo(leader));
        Assert.True(writer.TryWrite(7));
        sim.RunFor(100);
        long p = leader.Log.LastLoggedZxid;
        Assert.True(follower.Log.DurableZxid == p, "the follower has P on disk");
        Assert.True(leader.Sm!.LastAppliedZxid < p, "P is not committed (only 2 of 5 have it on disk)");

        follower.Crash(silent: false);
        sim.RunFor(50);
        follower.Start();
        Assert.True(sim.RunUntil(() => follower.Sm is { Serving: true }, 3000), "the follower did not rejoin");
        output.WriteLine($"follower n{follower.Id} serving at 0x{follower.Sm!.LastAppliedZxid:x}; P = 0x{p:x}, leader committed 0x{leader.Sm.LastAppliedZxid:x}");

        var reader = sim.NewClient(2);
        Assert.True(reader.ConnectTo(follower));
        Assert.True(reader.TryRead(7));
        sim.RunFor(10);

        // P dies with the disks that never synced it.
        leader.Crash(silent: false, keepUnsynced: false);
        follower.Crash(silent: false, keepUnsynced: false);
        foreach (var o in others) o.Crash(silent: false, keepUnsynced: false);
        sim.RunFor(100);
        foreach (var o in others) o.Start();
        Assert.True(sim.RunUntil(() => others.Any(o => o.Peer is { State: PeerState.Leading }) && others.All(o => o.Sm is { Serving: true }), 10_000), "the three did not elect");
        leader.Start();
        follower.Start();
        Assert.True(sim.RunUntil(() => sim.IsConverged, 20_000), "no convergence");

        var failures = sim.Finish();
        foreach (var f in failures) output.WriteLine(f);
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + sim.Trace.Tail(80));
    }

    /// <summary>
    /// An observer that is LOOKING keeps, per voter, the decided notification with the highest
    /// election round it saw. When every voter restarts, their logical clocks start again at 1 and
    /// they decide in a low round; the observer rejects those decisions as older than what it holds
    /// and never joins, though the ensemble is up and serving.
    /// </summary>
    [Fact]
    public void AnObserverJoinsAfterEveryVoterRestarted()
    {
        var sim = new EnsembleSimulation(new SimConfig { Seed = 1, Voters = 3, Observers = 1, Clients = 0 });
        sim.StartServers();
        Assert.True(sim.RunUntil(() => sim.IsConverged, 10_000), "no leader");
        // A few leader changes push every member's election round up.
        for (int i = 0; i < 3; i++)
        {
            var l = sim.CurrentLeader!;
            l.Crash(silent: false);
            sim.RunFor(200);
            l.Start();
            Assert.True(sim.RunUntil(() => sim.IsConverged, 10_000), $"no convergence after leader change {i}");
        }
        var leader = sim.CurrentLeader!;
        var observer = sim.Nodes.Single(n => n.IsObserver);
        var voters = sim.Nodes.Where(n => !n.IsObserver).ToList();

        // The observer restarts without a link to the leader: it hears the followers' decisions (high round) but cannot join.
        sim.Network.Block(observer.Id, leader.Id);
        observer.Crash(silent: false);
        sim.RunFor(50);
        observer.Start();
        sim.RunFor(1000);
        Assert.Equal(PeerState.Looking, observer.Peer!.State);

        // Every voter restarts: they elect again from round 1.
        foreach (var v in voters) v.Crash(silent: false);
        sim.RunFor(100);
        foreach (var v in voters) v.Start();
        Assert.True(sim.RunUntil(() => voters.Count(v => v.Sm is { Serving: true }) == voters.Count, 10_000), "the voters did not elect");
        sim.Network.Unblock(observer.Id, leader.Id);

        Assert.True(sim.RunUntil(() => sim.IsConverged, 20_000), $"the observer never joined: {observer.Describe()}\n{sim.Trace.Tail(40)}");
    }

    /// <summary>
    /// A follower's disk fails the sync of the txns a new leader sent it. FileTxnLog.Flush returns
    /// normally (the failure goes to the listener), so the follower takes the new epoch and
    /// acknowledges NEWLEADER for a history it does not have; the leader establishes on that ack.
    /// With the new epoch the follower then wins an election and the writes it lacks are gone.
    /// </summary>
    [Fact]
    public void AFollowerWhoseDiskFailedTheSyncDoesNotVouchForTheEpoch()
    {
        var sim = new EnsembleSimulation(new SimConfig { Seed = 3, Voters = 3, Observers = 0, Clients = 0 });
        sim.StartServers();
        Assert.True(sim.RunUntil(() => sim.IsConverged, 10_000), "no leader");
        var first = sim.CurrentLeader!;
        var others = sim.Nodes.Where(n => n != first).ToList();
        var (lagging, keeper) = (others[0], others[1]);

        // W1 everywhere, then W2 and W3 while one follower is cut off: committed by the leader and the other follower.
        var writer = sim.NewClient(1);
        Assert.True(writer.ConnectTo(first));
        Assert.True(writer.TryWrite(1));
        Assert.True(sim.RunUntil(() => sim.IsConverged && lagging.Sm!.LastAppliedZxid == first.Sm!.LastAppliedZxid && first.Sm.LastAppliedZxid > 0, 5000));
        sim.Network.Block(lagging.Id, first.Id);
        sim.Network.Block(lagging.Id, keeper.Id);
        Assert.True(sim.RunUntil(() => writer.Connected && writer.TryWrite(2), 3000) || writer.Connected);
        sim.RunFor(200);
        Assert.True(sim.RunUntil(() => writer.TryWrite(3), 3000));
        sim.RunFor(200);
        long acked = keeper.Log.DurableZxid;
        Assert.True(first.Log.DurableZxid == acked && first.Sm!.LastAppliedZxid == acked, "W3 committed by the leader and the keeper");

        // The leader dies; the keeper (longest log) leads epoch e+1 and syncs the lagging follower, whose disk fails that sync.
        first.Crash(silent: false);
        // A slow disk (the sync is still pending when NEWLEADER asks for a flush) that then fails.
        lagging.Log.StalledUntil = sim.Scheduler.Now + 2000;
        lagging.Log.FailNextSync();
        sim.Network.Unblock(lagging.Id, keeper.Id);
        long epoch = keeper.Log.CurrentEpoch;
        Assert.True(sim.RunUntil(() => lagging.Log.CurrentEpoch > epoch, 5000), "the lagging follower never took the new epoch");
        // The new leader dies right after establishing; the old one comes back.
        keeper.Crash(silent: false);
        sim.Network.Unblock(lagging.Id, first.Id);
        sim.RunFor(100);
        first.Start();
        sim.RunFor(3000);
        keeper.Start();
        Assert.True(sim.RunUntil(() => sim.IsConverged, 20_000), "no convergence");

        var failures = sim.Finish();
        foreach (var f in failures) output.WriteLine(f);
        Assert.True(failures.Count == 0, string.Join("\n", failures) + "\n" + sim.Trace.Tail(100));
    }
}
