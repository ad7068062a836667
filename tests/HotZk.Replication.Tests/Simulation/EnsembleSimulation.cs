using HotZk.Replication.Transport;
using HotZk.Replication.Zab;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// A whole ensemble in one process, driven by one seeded <see cref="Random"/> and a virtual clock:
/// servers with disks, links, clients, and faults (link breaks, partitions, delay spikes, disk
/// stalls, crashes with lost unsynced writes, sometimes of a majority). After the faulty phase
/// everything heals; the ensemble must converge, accept a write, and pass the checkers.
/// </summary>
internal sealed class EnsembleSimulation
{
    private readonly SimConfig _config;
    private readonly SimScheduler _scheduler;
    private readonly SimTrace _trace;
    private readonly SimGhost _ghost;
    private readonly SimNetwork _network;
    private readonly List<SimNode> _nodes = [];
    private readonly List<SimClient> _clients = [];
    private readonly List<SimOp> _history = [];
    private readonly List<string> _failures = [];
    private static readonly PacketType[] CrashPoints =
    [
        PacketType.LeaderInfo, PacketType.AckEpoch, PacketType.Diff, PacketType.Trunc, PacketType.Snap, PacketType.SnapChunk,
        PacketType.NewLeader, PacketType.UpToDate, PacketType.Proposal, PacketType.Ack, PacketType.Commit, PacketType.Inform,
        PacketType.FollowerInfo,
    ];

    private readonly long[] _voters;
    private int _partitionToken;
    private int _crashes;

    public EnsembleSimulation(SimConfig config, bool verbose = false, Action<string>? output = null)
    {
        _config = config;
        _scheduler = new SimScheduler(new Random(config.Seed));
        _trace = new SimTrace(verbose, output);
        _ghost = new SimGhost(_scheduler, _trace);
        int members = config.Voters + config.Observers;
        _voters = [.. Enumerable.Range(1, config.Voters).Select(i => (long)i)];
        long[] observers = [.. Enumerable.Range(config.Voters + 1, config.Observers).Select(i => (long)i)];
        _network = new SimNetwork(_scheduler, _trace, config, Enumerable.Range(1, members).Select(i => (long)i));
        for (long id = 1; id <= members; id++)
        {
            var options = new ZabOptions
            {
                MyId = id,
                Voters = _voters,
                Observers = observers,
                TickTime = config.TickTime,
                InitLimit = config.InitLimit,
                SyncLimit = config.SyncLimit,
                FinalizeWaitMs = config.FinalizeWaitMs,
                SnapshotChunkBytes = config.SnapshotChunkBytes,
            };
            _nodes.Add(new SimNode(id, options, _scheduler, _trace, _ghost, _network, config));
        }
    }

    public SimRunResult Run()
    {
        var rng = _scheduler.Rng;
        foreach (var node in _nodes) _scheduler.After(rng.Next(50), node.Start);
        for (int i = 0; i < _config.Clients; i++)
        {
            var c = new SimClient(i + 1, _scheduler, _trace, _nodes, _history, _config);
            _clients.Add(c);
            c.Start(rng.Next(300));
        }
        ScheduleFault(500);

        _scheduler.RunUntil(_config.ChaosMs);
        if (!_scheduler.Halted) EndChaos();
        if (!_scheduler.Halted) Converge();
        if (!_scheduler.Halted && _failures.Count == 0) ProbeLiveness();
        if (!_scheduler.Halted && _failures.Count == 0) Converge();
        if (_scheduler.RanAway) _failures.Add($"runaway: more than {_scheduler.MaxEvents} events by t={_scheduler.Now}");
        _failures.InsertRange(0, _ghost.Violations);
        if (_ghost.Violations.Count == 0) _failures.AddRange(SimChecker.Check(FinalState()));
        return Result();
    }

    // ------------------------------------------------------------------ scripted scenarios

    /// <summary>The servers, for scenarios that script their own faults.</summary>
    public IReadOnlyList<SimNode> Nodes => _nodes;

    public SimScheduler Scheduler => _scheduler;

    public SimNetwork Network => _network;

    public SimTrace Trace => _trace;

    /// <summary>Starts every server (no clients, no random faults).</summary>
    public void StartServers()
    {
        foreach (var node in _nodes) node.Start();
    }

    /// <summary>A client for a scenario; its operations join the judged history.</summary>
    public SimClient NewClient(long id) => new(id, _scheduler, _trace, _nodes, _history, _config) { Active = false };

    /// <summary>Runs until <paramref name="condition"/> or <paramref name="withinMs"/> passed; true when it held.</summary>
    public bool RunUntil(Func<bool> condition, long withinMs) => _scheduler.RunUntil(_scheduler.Now + withinMs, condition);

    public void RunFor(long ms) => _scheduler.RunUntil(_scheduler.Now + ms);

    public SimNode? CurrentLeader => Leader();

    public bool IsConverged => Converged();

    /// <summary>Ends a scenario: violations seen while running, then the checkers on the final state.</summary>
    public IReadOnlyList<string> Finish()
    {
        var failures = new List<string>(_ghost.Violations);
        if (failures.Count == 0) failures.AddRange(SimChecker.Check(FinalState()));
        return failures;
    }

    // ------------------------------------------------------------------ faults

    private void ScheduleFault(long delay)
    {
        _scheduler.After(delay, () =>
        {
            if (_scheduler.Now >= _config.ChaosMs) return;
            InjectFault();
            int mean = _config.FaultIntervalMs;
            ScheduleFault((mean / 4) + _scheduler.Rng.Next(mean * 3 / 2));
        });
    }

    private void InjectFault()
    {
        var rng = _scheduler.Rng;
        int r = rng.Next(100);
        var up = _nodes.Where(n => n.IsUp).ToList();
        var leader = up.FirstOrDefault(n => n.Peer!.State == PeerState.Leading);
        if (r < 25)
        {
            var links = _network.Links.Where(l => l.Up).ToList();
            if (links.Count > 0) _network.Break(links[rng.Next(links.Count)]);
        }
        else if (r < 40)
        {
            var side = _nodes.Where(_ => rng.Next(2) == 0).Select(n => n.Id).ToList();
            if (side.Count > 0 && side.Count < _nodes.Count) Partition(side, 300 + rng.Next(4000));
        }
        else if (r < 48)
        {
            if (leader is not null) Partition([leader.Id], 300 + rng.Next(3000));
        }
        else if (r < 56)
        {
            var n = _nodes[rng.Next(_nodes.Count)];
            _network.Slow(n.Id, _scheduler.Now + 200 + rng.Next(2000), 30 + rng.Next(400));
        }
        else if (r < 59)
        {
            var n = rng.Next(2) == 0 && leader is not null ? leader : _nodes[rng.Next(_nodes.Count)];
            n.Pause(_scheduler.Now + 100 + rng.Next(rng.Next(2) == 0 ? 600 : 3000));
        }
        else if (r < 61)
        {
            var n = rng.Next(2) == 0 && leader is not null ? leader : _nodes[rng.Next(_nodes.Count)];
            if (_config.DiskErrors) n.Log.FailNextSync();
        }
        else if (r < 63)
        {
            // One slow disk, or several (then proposals wait for a quorum while a minority has them on disk).
            var victims = rng.Next(2) == 0 ? [_nodes[rng.Next(_nodes.Count)]] : _nodes.Where(n => n != leader && rng.Next(2) == 0).ToList();
            long until = _scheduler.Now + 50 + rng.Next(rng.Next(2) == 0 ? 600 : 3000);
            foreach (var n in victims)
            {
                n.Log.StalledUntil = until;
                _trace.Add(_scheduler.Now, n.Id, "disk-stall", until);
            }
        }
        else if (r < 70)
        {
            if (up.Count > 0) Crash(up[rng.Next(up.Count)], 50 + rng.Next(4000));
        }
        else if (r < 78)
        {
            // Crash at a chosen protocol step (mid-sync, right after an epoch change, between ack and commit).
            if (up.Count == 0) return;
            var n = up[rng.Next(up.Count)];
            var type = CrashPoints[rng.Next(CrashPoints.Length)];
            int downMs = 50 + rng.Next(2000);
            n.CrashTrigger = (type, _scheduler.Now + 3000, () =>
            {
                if (n.IsUp && _scheduler.Now < _config.ChaosMs) Crash(n, downMs);
            });
        }
        else if (r < 90)
        {
            if (leader is not null) Crash(leader, 50 + rng.Next(3000));
        }
        else
        {
            if (up.Count > 0) Crash(up[rng.Next(up.Count)], rng.Next(50));
        }
    }

    private void Partition(List<long> side, int durationMs)
    {
        int token = ++_partitionToken;
        _network.Partition(side);
        _scheduler.After(durationMs, () =>
        {
            if (token == _partitionToken) _network.Heal();
        });
    }

    private void Crash(SimNode node, int downMs)
    {
        var rng = _scheduler.Rng;
        if (!node.IsObserver)
        {
            int votersUp = _nodes.Count(n => n.IsUp && !n.IsObserver);
            int quorum = (_voters.Length / 2) + 1;
            if (votersUp - 1 < quorum && rng.NextDouble() >= _config.QuorumLossChance) return;
        }
        _crashes++;
        node.Crash(rng.NextDouble() < _config.SilentCrashChance);
        _scheduler.After(downMs, () =>
        {
            if (!node.IsUp) node.Start();
        });
    }

    private void EndChaos()
    {
        _trace.Add(_scheduler.Now, 0, "end-of-chaos");
        _partitionToken++;
        _network.Heal();
        _network.ClearSlow();
        foreach (var c in _clients) c.Active = false;
        foreach (var n in _nodes)
        {
            n.Log.EndStall();
            if (!n.IsUp) _scheduler.After(_scheduler.Rng.Next(200), () =>
            {
                if (!n.IsUp) n.Start();
            });
        }
    }

    // ------------------------------------------------------------------ convergence and liveness

    private SimNode? Leader() => _nodes.FirstOrDefault(n => n.Peer is { State: PeerState.Leading });

    /// <summary>One leader, everyone synced to it and serving, every server at the same applied zxid.</summary>
    private bool Converged()
    {
        var leader = Leader();
        if (leader is null || !leader.Sm!.Serving) return false;
        // Breaks from the last faults may still be on their way to an end.
        if (_network.Links.Any(l => !l.Up || !l.View[0] || !l.View[1])) return false;
        // Published on the leader's ticks: followers and observers receiving the broadcast.
        var status = leader.Peer!.Status;
        if (status.SyncedFollowers != _voters.Length - 1 || status.SyncedObservers != _config.Observers) return false;
        long applied = leader.Sm.LastAppliedZxid;
        foreach (var n in _nodes)
        {
            if (n.Peer is not { } p || !n.Sm!.Serving || n.Paused) return false;
            if (n != leader && p.LeaderId != leader.Id) return false;
            if (n.Sm.LastAppliedZxid != applied) return false;
        }
        return true;
    }

    private void Converge()
    {
        long deadline = _scheduler.Now + _config.QuietMs;
        long nextCheck = _scheduler.Now;
        bool ok = _scheduler.RunUntil(deadline, () =>
        {
            if (_scheduler.Now < nextCheck) return false;
            nextCheck = _scheduler.Now + 10;
            return Converged();
        });
        if (!ok && !_scheduler.Halted)
            _failures.Add($"liveness: no convergence within {_config.QuietMs} ms of quiet{StuckLookingHint()}: " + string.Join("; ", _nodes.Select(n => n.Describe())));
    }

    /// <summary>Names the known election problem when its symptom shows: members LOOKING beside a leader that has a serving quorum.</summary>
    private string StuckLookingHint()
    {
        var leader = Leader();
        if (leader is null || !leader.Sm!.Serving) return "";
        var looking = _nodes.Where(n => n.Peer is { State: PeerState.Looking }).Select(n => $"n{n.Id}").ToList();
        return looking.Count == 0 ? "" : $" ({string.Join(",", looking)} stuck LOOKING beside established leader n{leader.Id}: the out-of-election path of FastLeaderElection)";
    }

    private void ProbeLiveness()
    {
        var probe = new SimClient(1000, _scheduler, _trace, _nodes, _history, _config);
        SimOp? done = null;
        probe.Completed = op => done ??= op;
        // Inactive: it only issues the one write below.
        probe.Active = false;
        probe.Start(0);
        long deadline = _scheduler.Now + 5000;
        if (!_scheduler.RunUntil(deadline, () => probe.Connected))
        {
            _failures.Add("liveness: the probe client could not connect to any server in 5 s");
            return;
        }
        probe.TryWrite(0);
        _scheduler.RunUntil(deadline + 5000, () => done is not null);
        if (done is not { Outcome: SimOutcome.Ok })
            _failures.Add($"liveness: a write in a healed ensemble did not complete: {done?.ToString() ?? "no answer"}; " + string.Join("; ", _nodes.Select(n => n.Describe())));
    }

    // ------------------------------------------------------------------ results

    private SimCheckInput FinalState()
    {
        var finals = _nodes.Where(n => n.IsUp).Select(n => new SimFinalNode(n.Id, n.Sm!.AppliedZxids, n.Sm.Digest, n.Sm.Values)).ToList();
        return new SimCheckInput(_history, _ghost.Txns, Leader()?.Id ?? 0, finals);
    }

    private SimRunResult Result()
    {
        var leader = Leader();
        int commits = leader?.Sm!.AppliedZxids.Count ?? 0;
        var summary = $"  {_scheduler.Now} ms virtual, {_scheduler.EventsRun} events, {_network.PacketsSent} packets ({_network.PacketsDropped} dropped), " +
            $"{_network.LinkBreaks} link breaks, {_crashes} crashes, {_history.Count} ops\n  " + string.Join("\n  ", _nodes.Select(n => n.Describe()));
        return new SimRunResult(
            _config,
            _failures,
            _trace.Hash,
            _scheduler.EventsRun,
            _scheduler.Now,
            commits,
            _history.Count(o => o.Kind == SimOpKind.Write && o.Outcome == SimOutcome.Ok),
            _history.Count(o => o.Kind == SimOpKind.Write && o.Outcome == SimOutcome.Unknown),
            _history.Count(o => o.Kind == SimOpKind.Read && o.Outcome == SimOutcome.Ok),
            _crashes,
            _nodes.Sum(n => n.TimesLeading),
            _nodes.Sum(n => n.Log.SnapInstalls),
            _nodes.Sum(n => n.Log.Truncations),
            _failures.Count > 0 ? _trace.Tail() : "",
            summary);
    }
}
