namespace HotZk.Hosting.Config;

/// <summary>
/// A server's configuration as read from <c>zoo.cfg</c> (and <c>dataDir/myid</c>), with Apache ZooKeeper's
/// defaults for every key that is not set. Produced by <see cref="ZooConfigParser"/> or
/// <see cref="CreateDefaultStandalone"/>; immutable.
/// </summary>
/// <remarks>
/// Where ZooKeeper derives a default from another key (<see cref="DataLogDir"/> from <see cref="DataDir"/>,
/// the session timeouts from <see cref="TickTime"/>, <see cref="JuteMaxBufferExtraSize"/> from
/// <see cref="JuteMaxBuffer"/>) the property returns the effective value.
/// </remarks>
public sealed record ZooConfig
{
    /// <summary>The four-letter words ZooKeeper 3.8 knows; <c>*</c> in the whitelist enables all of them.</summary>
    public static IReadOnlyList<string> AllFourLetterWords { get; } =
    [
        "ruok", "srvr", "stat", "cons", "crst", "srst", "conf", "envi", "wchs", "wchc", "wchp", "dump",
        "mntr", "isro", "dirs", "gtmk", "stmk", "hash", "reqs", "kill",
    ];

    private readonly string? _dataLogDir;
    private readonly int _minSessionTimeout = -1;
    private readonly int _maxSessionTimeout = -1;
    private readonly int? _juteMaxBufferExtraSize;

    /// <summary>Path of the file this was read from, or <see langword="null"/> for a built-in or text config.</summary>
    public string? ConfigPath { get; init; }

    /// <summary><c>tickTime</c>: base time unit in milliseconds. Default 3000.</summary>
    public int TickTime { get; init; } = 3000;

    /// <summary><c>initLimit</c>: ticks a follower may take to connect and sync. 0 = not set (required for an ensemble).</summary>
    public int InitLimit { get; init; }

    /// <summary><c>syncLimit</c>: ticks a follower may lag. 0 = not set (required for an ensemble).</summary>
    public int SyncLimit { get; init; }

    /// <summary><c>dataDir</c>: absolute path; snapshots live under <c>dataDir/version-2</c>, <c>myid</c> in <c>dataDir</c>.</summary>
    public required string DataDir { get; init; }

    /// <summary><c>dataLogDir</c>: absolute path for transaction logs. Defaults to <see cref="DataDir"/>.</summary>
    public string DataLogDir
    {
        get => _dataLogDir ?? DataDir;
        init => _dataLogDir = value;
    }

    /// <summary><c>clientPort</c>, or <see langword="null"/> when not set (it may then come from this server's <c>server.N</c> line).</summary>
    public int? ClientPort { get; init; }

    /// <summary><c>clientPortAddress</c>: address to bind, or <see langword="null"/> for all interfaces.</summary>
    public string? ClientPortAddress { get; init; }

    /// <summary><c>secureClientPort</c>: accepted but TLS is not supported by HotZk; the parser adds a warning.</summary>
    public int? SecureClientPort { get; init; }

    /// <summary><c>secureClientPortAddress</c>: accepted, unsupported (see <see cref="SecureClientPort"/>).</summary>
    public string? SecureClientPortAddress { get; init; }

    /// <summary><c>maxClientCnxns</c>: concurrent connections per client IP; 0 = unlimited. Default 60.</summary>
    public int MaxClientCnxns { get; init; } = 60;

    /// <summary><c>maxCnxns</c>: total concurrent connections; 0 = unlimited (the default).</summary>
    public int MaxCnxns { get; init; }

    /// <summary><c>minSessionTimeout</c> in ms. Default (or -1): 2 × <see cref="TickTime"/>.</summary>
    public int MinSessionTimeout
    {
        get => _minSessionTimeout < 0 ? 2 * TickTime : _minSessionTimeout;
        init => _minSessionTimeout = value;
    }

    /// <summary><c>maxSessionTimeout</c> in ms. Default (or -1): 20 × <see cref="TickTime"/>.</summary>
    public int MaxSessionTimeout
    {
        get => _maxSessionTimeout < 0 ? 20 * TickTime : _maxSessionTimeout;
        init => _maxSessionTimeout = value;
    }

    /// <summary><c>clientPortListenBacklog</c>: listen backlog; -1 = OS default (the default).</summary>
    public int ClientPortListenBacklog { get; init; } = -1;

    /// <summary>
    /// <c>jute.maxbuffer</c>: largest record (and znode value) in bytes. Default 0xFFFFF (1048575).
    /// Unlike Java ZooKeeper, where it is a JVM-only system property, HotZk reads it from zoo.cfg.
    /// </summary>
    public int JuteMaxBuffer { get; init; } = 0xFFFFF;

    /// <summary>
    /// <c>jute.maxbuffer.extrasize</c>: slack allowed on top of <see cref="JuteMaxBuffer"/> for server-added
    /// data. Defaults to <see cref="JuteMaxBuffer"/>; never less than 1024.
    /// </summary>
    public int JuteMaxBufferExtraSize
    {
        get => Math.Max(1024, _juteMaxBufferExtraSize ?? JuteMaxBuffer);
        init => _juteMaxBufferExtraSize = value;
    }

    /// <summary><c>snapCount</c>: transactions between snapshots (randomised in [n/2, n)). Default 100000.</summary>
    public int SnapCount { get; init; } = 100_000;

    /// <summary><c>snapSizeLimitInKb</c>: also snapshot when the log grows past this many KiB. Default 4194304 (4 GiB).</summary>
    public long SnapSizeLimitInKb { get; init; } = 4_194_304;

    /// <summary><c>txnLogSizeLimitInKb</c>: roll a log file past this many KiB; -1 = off (the default).</summary>
    public long TxnLogSizeLimitInKb { get; init; } = -1;

    /// <summary><c>preAllocSize</c>: log preallocation step in KiB. Default 65536 (64 MiB).</summary>
    public long PreAllocSizeKb { get; init; } = 65_536;

    /// <summary><c>forceSync</c>: fsync the log before acknowledging (<c>yes</c>, the default); <c>no</c> disables it.</summary>
    public bool ForceSync { get; init; } = true;

    /// <summary><c>autopurge.snapRetainCount</c>: snapshots kept by purging. Default 3; smaller values are raised to 3.</summary>
    public int AutopurgeSnapRetainCount { get; init; } = 3;

    /// <summary><c>autopurge.purgeInterval</c>: hours between automatic purges; 0 = off (the default).</summary>
    public int AutopurgePurgeInterval { get; init; }

    /// <summary>
    /// <c>4lw.commands.whitelist</c> entries, trimmed, as written (<c>*</c> = all). Default: only <c>srvr</c>.
    /// Use <see cref="IsFourLetterWordAllowed"/> rather than reading this list.
    /// </summary>
    public IReadOnlyList<string> FourLetterWordWhitelist { get; init; } = ["srvr"];

    /// <summary><c>extendedTypesEnabled</c>: enables TTL nodes (and limits server ids to 254). Default false.</summary>
    public bool ExtendedTypesEnabled { get; init; }

    /// <summary><c>emulate353TTLNodes</c>: 3.5.3-compatible TTL encoding; requires <see cref="ExtendedTypesEnabled"/>. Default false.</summary>
    public bool Emulate353TtlNodes { get; init; }

    /// <summary><c>skipACL</c>: <c>yes</c> disables all ACL checks. Default no.</summary>
    public bool SkipAcl { get; init; }

    /// <summary><c>enforceQuota</c>: fail writes past a quota with QUOTAEXCEEDED. Default false.</summary>
    public bool EnforceQuota { get; init; }

    /// <summary>
    /// Super user digest <c>super:&lt;base64 sha1&gt;</c> from <c>DigestAuthenticationProvider.superDigest</c>
    /// (or <c>zookeeper.DigestAuthenticationProvider.superDigest</c>); <see langword="null"/> when unset.
    /// </summary>
    public string? SuperDigest { get; init; }

    /// <summary><c>znode.container.checkIntervalMs</c>: container/TTL reaper period. Default 60000. Read from zoo.cfg (JVM-only in Java).</summary>
    public int ContainerCheckIntervalMs { get; init; } = 60_000;

    /// <summary><c>znode.container.maxPerMinute</c>: reaper deletion rate cap. Default 10000. Read from zoo.cfg (JVM-only in Java).</summary>
    public int ContainerMaxPerMinute { get; init; } = 10_000;

    /// <summary><c>znode.container.maxNeverUsedIntervalMs</c>: reap never-used containers after this long; 0 = never (the default).</summary>
    public long ContainerMaxNeverUsedIntervalMs { get; init; }

    /// <summary><c>globalOutstandingLimit</c>: stop reading sockets past this many queued requests. Default 1000.</summary>
    public int GlobalOutstandingLimit { get; init; } = 1000;

    /// <summary><c>digest.enabled</c>: maintain tree digests in logs and snapshots. Default true.</summary>
    public bool DigestEnabled { get; init; } = true;

    /// <summary><c>reconfigEnabled</c>: allow the reconfig operation. Default false.</summary>
    public bool ReconfigEnabled { get; init; }

    /// <summary><c>standaloneEnabled</c>: a single configured server runs standalone. Default true.</summary>
    public bool StandaloneEnabled { get; init; } = true;

    /// <summary><c>electionAlg</c>: always 3 (fast leader election); other values are rejected.</summary>
    public int ElectionAlg { get; init; } = 3;

    /// <summary><c>peerType</c>: this server's role; the role in its own <c>server.N</c> line wins when they differ.</summary>
    public ServerRole PeerType { get; init; } = ServerRole.Participant;

    /// <summary><c>localSessionsEnabled</c>. Default false.</summary>
    public bool LocalSessionsEnabled { get; init; }

    /// <summary><c>localSessionsUpgradingEnabled</c>. Default false (the Java config parser's default).</summary>
    public bool LocalSessionsUpgradingEnabled { get; init; }

    /// <summary><c>readonlymode.enabled</c>: serve read-only clients without a quorum; also whitelists <c>isro</c>. Default false.</summary>
    public bool ReadOnlyModeEnabled { get; init; }

    /// <summary><c>dynamicConfigFile</c> as written, or <see langword="null"/>. HotZk does not read it yet.</summary>
    public string? DynamicConfigFile { get; init; }

    /// <summary>The <c>server.N</c> lines, ordered by id. Empty for a standalone config.</summary>
    public IReadOnlyList<ServerSpec> Servers { get; init; } = [];

    /// <summary><c>group.N</c> and <c>weight.N</c> lines (hierarchical quorums), raw key → value.</summary>
    public IReadOnlyDictionary<string, string> QuorumGroupsAndWeights { get; init; } = new Dictionary<string, string>();

    /// <summary><c>admin.*</c> keys (HTTP admin server), raw key → value. Accepted, not interpreted.</summary>
    public IReadOnlyDictionary<string, string> AdminSettings { get; init; } = new Dictionary<string, string>();

    /// <summary>This server's id from <c>dataDir/myid</c>, or <see langword="null"/> when there is none (standalone).</summary>
    public int? ServerId { get; init; }

    /// <summary>Every key/value of the file after overrides (last occurrence wins), in first-seen order.</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();

    /// <summary>Keys HotZk does not know; to be logged, never fatal.</summary>
    public IReadOnlyList<string> UnknownKeys { get; init; } = [];

    /// <summary>Non-fatal remarks from parsing (unsupported keys, values adjusted); to be logged.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// True when this config asks for an ensemble, as Java decides it: more than one participant in the
    /// <c>server.N</c> lines, or any server lines with <c>standaloneEnabled=false</c>.
    /// </summary>
    public bool IsEnsemble
    {
        get
        {
            int participants = 0;
            foreach (var s in Servers)
            {
                if (s.Role == ServerRole.Participant)
                {
                    participants++;
                }
            }

            return participants > 1 || (!StandaloneEnabled && participants > 0);
        }
    }

    /// <summary>
    /// Whether the four-letter word <paramref name="cmd"/> may run: listed in the whitelist, the whitelist
    /// contains <c>*</c>, or it is <c>srvr</c> (always allowed), or <c>isro</c> with read-only mode on.
    /// Comparison is case-sensitive, as in ZooKeeper.
    /// </summary>
    /// <param name="cmd">The four ASCII letters received, e.g. <c>ruok</c>.</param>
    public bool IsFourLetterWordAllowed(string cmd)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        if (cmd == "srvr" || (cmd == "isro" && ReadOnlyModeEnabled))
        {
            return true;
        }

        foreach (string entry in FourLetterWordWhitelist)
        {
            if (entry == cmd || entry == "*")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The built-in config used when <c>hotzk server</c> gets no file: standalone, tickTime 2000 (as in
    /// zoo_sample.cfg), clientPort 2181 bound on 0.0.0.0 (all IPv4 interfaces, like ZooKeeper's default
    /// bind), every four-letter word enabled, maxClientCnxns 60, everything else ZooKeeper's defaults.
    /// </summary>
    /// <param name="dataDir">Data directory; a relative path resolves against the current working directory.</param>
    public static ZooConfig CreateDefaultStandalone(string dataDir)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDir);
        return new ZooConfig
        {
            DataDir = Path.GetFullPath(dataDir),
            TickTime = 2000,
            ClientPort = 2181,
            ClientPortAddress = "0.0.0.0",
            MaxClientCnxns = 60,
            FourLetterWordWhitelist = ["*"],
        };
    }
}
