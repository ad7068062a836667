namespace HotZk.Engine.Processing;

/// <summary>Engine settings (mapped from zoo.cfg by the host).</summary>
public sealed class EngineOptions
{
    /// <summary>Base time unit (ms).</summary>
    public int TickTime { get; init; } = 3000;
    /// <summary>Lower bound of negotiated session timeouts (ms); -1 = 2 × tickTime.</summary>
    public int MinSessionTimeout { get; init; } = -1;
    /// <summary>Upper bound of negotiated session timeouts (ms); -1 = 20 × tickTime.</summary>
    public int MaxSessionTimeout { get; init; } = -1;
    /// <summary>Server id (myid; 1 standalone) — top byte of session ids.</summary>
    public long ServerId { get; init; } = 1;
    /// <summary>Enables TTL nodes.</summary>
    public bool ExtendedTypesEnabled { get; init; }
    /// <summary>Disables every ACL check.</summary>
    public bool SkipAcl { get; init; }
    /// <summary><c>super:&lt;base64&gt;</c> digest that grants super rights, or null.</summary>
    public string? SuperDigest { get; init; }
    /// <summary>Reject creates/setData beyond a quota's hard limits with QUOTAEXCEEDED.</summary>
    public bool EnforceQuota { get; init; }
    /// <summary>Whether reconfig is enabled.</summary>
    public bool ReconfigEnabled { get; init; }
    /// <summary>Container/TTL reaper interval (ms).</summary>
    public int ContainerCheckIntervalMs { get; init; } = 60000;
    /// <summary>Reaper rate limit per minute.</summary>
    public int ContainerMaxPerMinute { get; init; } = 10000;
    /// <summary>Never-used containers older than this (by mtime) are reaped; 0 = never.</summary>
    public long ContainerMaxNeverUsedIntervalMs { get; init; }
    /// <summary>Txns between snapshots (with jitter in [n/2, n)).</summary>
    public int SnapCount { get; init; } = 100000;
    /// <summary>Also snapshot once the log since the last snapshot exceeds this many bytes (with jitter in [n/2, n)); 0 = off. ZooKeeper's snapSizeLimitInKb.</summary>
    public long SnapSizeLimitBytes { get; init; } = 4L << 30;
    /// <summary>Purge old snapshots and log segments after each snapshot (autopurge.purgeInterval &gt; 0).</summary>
    public bool AutoPurge { get; init; }
    /// <summary>Snapshots kept by purge.</summary>
    public int SnapRetainCount { get; init; } = 3;
    /// <summary>
    /// <c>readonlymode.enabled</c>: an ensemble member without a leader serves read-only clients after
    /// <see cref="ReadOnlyDelayMs"/>.
    /// </summary>
    public bool ReadOnlyModeEnabled { get; init; }
    /// <summary>How long a member stays leaderless before it serves read-only clients (ZooKeeper: max(2 s, tickTime)).</summary>
    public int ReadOnlyDelayMs => Math.Max(2000, TickTime);
    /// <summary>Part of an ensemble: the engine starts <see cref="EngineRole.Looking"/> and serves once the ensemble layer assigns a role.</summary>
    public bool Ensemble { get; init; }
    /// <summary>
    /// Ensemble leader: the highest zxid counter it proposes before stepping down for a new epoch
    /// (ZooKeeper refuses counter 0xFFFFFFFF). Lower only in tests of the rollover.
    /// </summary>
    public long ZxidCounterLimit { get; init; } = 0xFFFFFFFEL;

    /// <summary>Effective minimum session timeout.</summary>
    public int EffectiveMinSessionTimeout => MinSessionTimeout > 0 ? MinSessionTimeout : 2 * TickTime;
    /// <summary>Effective maximum session timeout.</summary>
    public int EffectiveMaxSessionTimeout => MaxSessionTimeout > 0 ? MaxSessionTimeout : 20 * TickTime;
}
