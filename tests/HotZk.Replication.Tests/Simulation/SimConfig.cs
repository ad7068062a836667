namespace HotZk.Replication.Tests.Simulation;

/// <summary>One run's shape: ensemble, timing, workload and how hard the faults hit. <see cref="ForSeed"/> varies it per seed.</summary>
internal sealed record SimConfig
{
    public int Seed { get; init; }

    public int Voters { get; init; } = 3;

    public int Observers { get; init; }

    // ZAB timing: short ticks keep failure detection (and so each run) brief in virtual time.
    public int TickTime { get; init; } = 100;

    public int InitLimit { get; init; } = 10;

    public int SyncLimit { get; init; } = 5;

    public int FinalizeWaitMs { get; init; } = 100;

    public int SnapshotChunkBytes { get; init; } = 256;

    public int PeerTickMs { get; init; } = 25;

    // Network.
    public int MaxPacketDelayMs { get; init; } = 20;

    public int ReconnectMinMs { get; init; } = 10;

    public int ReconnectSpreadMs { get; init; } = 200;

    // Storage: engine-like snapshots every SnapCount/2..SnapCount txns.
    public int SnapCount { get; init; } = 40;

    public bool AutoPurge { get; init; }

    // Workload.
    public int Clients { get; init; } = 3;

    public int Keys { get; init; } = 4;

    public int ThinkTimeMs { get; init; } = 40;

    public int OpTimeoutMs { get; init; } = 2000;

    // Phases (virtual ms): faults until ChaosMs, then heal and converge within QuietMs.
    public long ChaosMs { get; init; } = 20_000;

    public long QuietMs { get; init; } = 20_000;

    /// <summary>Mean time between faults.</summary>
    public int FaultIntervalMs { get; init; } = 700;

    /// <summary>Chance that a crash may take down the quorum too (otherwise a majority of voters stays up).</summary>
    public double QuorumLossChance { get; init; } = 0.1;

    /// <summary>Chance that a crashed machine vanishes silently (peers time out) rather than resetting its sockets.</summary>
    public double SilentCrashChance { get; init; } = 0.4;

    /// <summary>Inject txn-log sync failures (off by default: see the disk-error scenario; they break safety today).</summary>
    public bool DiskErrors { get; init; }

    /// <summary>A broken disk for testing the checkers: a crash also loses txns that were reported durable.</summary>
    public bool LyingDisk { get; init; }

    public static SimConfig ForSeed(int seed, bool big)
    {
        var rng = new Random(unchecked(seed * 31 + 7));
        return new SimConfig
        {
            Seed = seed,
            Voters = big ? 5 : 3,
            Observers = big ? 1 : rng.Next(4) == 0 ? 1 : 0,
            SnapCount = 10 + rng.Next(60),
            AutoPurge = rng.Next(2) == 0,
            Clients = 2 + rng.Next(3),
            Keys = 2 + rng.Next(5),
            ThinkTimeMs = 10 + rng.Next(60),
            ChaosMs = 10_000 + rng.Next(15_000),
            FaultIntervalMs = 300 + rng.Next(1200),
            MaxPacketDelayMs = 5 + rng.Next(16),
            QuorumLossChance = rng.Next(3) == 0 ? 0.35 : 0.1,
        };
    }
}
