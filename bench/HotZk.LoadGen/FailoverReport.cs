namespace HotZk.LoadGen;

/// <summary>Settings of <c>hotzk bench failover</c> (JSON).</summary>
public sealed class FailoverSettings
{
    public List<string> Targets { get; set; } = ["hotzk", "zk"];
    public int Nodes { get; set; } = 3;
    public int Znodes { get; set; } = 100_000;
    public int ValueSize { get; set; } = 100;
    public int Kills { get; set; } = 5;
    public double KillTimeoutSec { get; set; } = 60;
    public double RestartTimeoutSec { get; set; } = 600;
    public int TickTime { get; set; } = 2000;
    public string ZkHeap { get; set; } = "1000m";
    public string? OutPath { get; set; }
    public string? BaseDir { get; set; }
    public bool Verbose { get; set; }
}

/// <summary>One leader kill (JSON). Times are milliseconds.</summary>
public sealed class FailoverKill
{
    public int Index { get; set; }
    public int LeaderId { get; set; }
    public int LeaderPid { get; set; }
    public string KilledUtc { get; set; } = "";
    /// <summary>Members the writer was connected to (every member except the leader), in its order.</summary>
    public List<int> WriterMembers { get; set; } = [];
    public long WritesBeforeKill { get; set; }
    /// <summary>Last successful write before the kill → the kill.</summary>
    public double? LastWriteBeforeKillMs { get; set; }
    /// <summary>The figure: kill → reply of the first write committed under a newer epoch.</summary>
    public double? KillToFirstWriteMs { get; set; }
    public int? FirstWriteMemberId { get; set; }
    public string? FirstWriteZxid { get; set; }
    /// <summary>Writes of the old epoch whose replies arrived after the kill (in flight at the kill; not counted).</summary>
    public long OldEpochRepliesAfterKill { get; set; }
    public int? NewLeaderId { get; set; }
    public int SessionsCreated { get; set; }
    public int SessionsResumed { get; set; }
    public int SessionsExpired { get; set; }
    public int ConnectFailures { get; set; }
    public int ConnectionsLost { get; set; }
    public int ReadTimeouts { get; set; }
    public Dictionary<string, long> ErrorsByCode { get; set; } = [];
    /// <summary>Restart of the killed member → it answers srvr "Mode: follower" (process start, recovery, sync).</summary>
    public double? RestartToFollowerMs { get; set; }
    public bool Failed { get; set; }
    public string? Error { get; set; }
}

/// <summary>The populate step before the kills (JSON).</summary>
public sealed class FailoverPopulate
{
    public long Created { get; set; }
    public long Errors { get; set; }
    public double Seconds { get; set; }
    public double CreatesPerSec { get; set; }
    /// <summary>zk_znode_count of the leader's mntr after populating (null when not reported).</summary>
    public long? ZnodeCount { get; set; }
    public long LeaderRssKb { get; set; }
}

/// <summary>Medians and maxima over the kills of one target (JSON), milliseconds.</summary>
public sealed class FailoverSummary
{
    public int Kills { get; set; }
    public int Failures { get; set; }
    public double? MedianKillToFirstWriteMs { get; set; }
    public double? MaxKillToFirstWriteMs { get; set; }
    public double? MedianRestartToFollowerMs { get; set; }
    public double? MaxRestartToFollowerMs { get; set; }
}

/// <summary>One target's failover run (JSON).</summary>
public sealed class FailoverTarget
{
    public string Target { get; set; } = "";
    public List<MemberInfo> Members { get; set; } = [];
    public FailoverPopulate? Populate { get; set; }
    public List<FailoverKill> Kills { get; set; } = [];
    public FailoverSummary Summary { get; set; } = new();
}

/// <summary>The whole failover result written to perf-baselines/ (JSON).</summary>
public sealed class FailoverReport
{
    public string Command { get; set; } = "";
    public string StartedUtc { get; set; } = "";
    public Fingerprint Fingerprint { get; set; } = new();
    public string Mode { get; set; } = "";
    public FailoverSettings Settings { get; set; } = new();
    public string ZooCfg { get; set; } = "";
    public Dictionary<string, string> ServerCommands { get; set; } = [];
    public List<FailoverTarget> Targets { get; set; } = [];
    /// <summary>hotzk / zk of the summary figures (lower is better).</summary>
    public Dictionary<string, double?> Ratio { get; set; } = [];
    public List<string> Incidents { get; set; } = [];
}
