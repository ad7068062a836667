using System.Globalization;
using System.Net;
using HotZk.Engine.Processing;
using HotZk.Engine.Storage;
using HotZk.Hosting.Config;
using HotZk.Net;
using HotZk.Replication.Server;
using HotZk.Replication.Transport;

namespace HotZk.Hosting;

/// <summary>
/// The composition root: turns a <see cref="ZooConfig"/> into a running standalone server
/// (log, snapshots, engine, client port). Tests and benchmarks start it in-process; the
/// hotzk-server executable is a thin shell over it.
/// </summary>
public sealed class HotZkHost : IAsyncDisposable
{
    private readonly ZooConfig _config;
    private readonly Action<string> _log;
    private FileTxnLog? _txnLog;
    private EnsembleMember? _member;

    /// <summary>Creates a host for <paramref name="config"/>.</summary>
    public HotZkHost(ZooConfig config, Action<string>? log = null)
    {
        _config = config;
        _log = log ?? (line => Console.Error.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd HH:mm:ss,fff} {line}"));
    }

    /// <summary>The ensemble member (ensemble mode, after <see cref="Start"/>).</summary>
    public EnsembleMember? Member => _member;

    /// <summary>The engine (after <see cref="Start"/>).</summary>
    public ZkEngine? Engine { get; private set; }

    /// <summary>The client port (after <see cref="Start"/>).</summary>
    public ZkServer? Server { get; private set; }

    /// <summary>The bound client endpoint.</summary>
    public IPEndPoint? Endpoint => Server?.LocalEndPoint;

    /// <summary>Recovers state, binds the client port and starts serving.</summary>
    public void Start()
    {
        foreach (var k in _config.UnknownKeys) _log($"INFO unknown zoo.cfg key '{k}' ignored");
        foreach (var w in _config.Warnings) _log($"WARN {w}");

        Directory.CreateDirectory(_config.DataDir);
        Directory.CreateDirectory(_config.DataLogDir);
        DetectApacheDataDir(_config.DataDir);

        _txnLog = new FileTxnLog(new FileTxnLogOptions(_config.DataLogDir)
        {
            ForceSync = _config.ForceSync,
            PreallocationSize = Math.Max(1L << 20, _config.PreAllocSizeKb * 1024),
            Log = _log,
        });
        var snapshots = new FileSnapshotStore(_config.DataDir, _log);
        var engineOptions = new EngineOptions
        {
            TickTime = _config.TickTime,
            MinSessionTimeout = _config.MinSessionTimeout,
            MaxSessionTimeout = _config.MaxSessionTimeout,
            ServerId = _config.ServerId ?? 1,
            ExtendedTypesEnabled = _config.ExtendedTypesEnabled,
            SkipAcl = _config.SkipAcl,
            EnforceQuota = _config.EnforceQuota,
            SuperDigest = _config.SuperDigest,
            ReconfigEnabled = _config.ReconfigEnabled,
            ContainerCheckIntervalMs = _config.ContainerCheckIntervalMs,
            ContainerMaxPerMinute = _config.ContainerMaxPerMinute,
            ContainerMaxNeverUsedIntervalMs = _config.ContainerMaxNeverUsedIntervalMs,
            SnapCount = _config.SnapCount,
            SnapSizeLimitBytes = _config.SnapSizeLimitInKb * 1024,
            SnapRetainCount = _config.AutopurgeSnapRetainCount,
            AutoPurge = _config.AutopurgePurgeInterval > 0,
            Ensemble = _config.IsEnsemble,
            ReadOnlyModeEnabled = _config.ReadOnlyModeEnabled,
            ZxidCounterLimit = _config.Properties.TryGetValue("hotzk.zxidCounterLimit", out string? limit) ? long.Parse(limit, CultureInfo.InvariantCulture) : 0xFFFFFFFEL,
        };
        if (_config.IsEnsemble)
        {
            _member = new EnsembleMember(EnsembleOptions(), engineOptions, _txnLog, snapshots, Path.Combine(_config.DataDir, "version-2"), _log);
            Engine = _member.Engine;
            _member.Start();
        }
        else
        {
            Engine = new ZkEngine(engineOptions, _txnLog, snapshots, _log);
            Engine.Start();
        }

        var address = string.IsNullOrEmpty(_config.ClientPortAddress) ? IPAddress.Any : IPAddress.Parse(_config.ClientPortAddress);
        var netOptions = new NetOptions
        {
            Endpoint = new IPEndPoint(address, _config.ClientPort ?? _config.Servers.FirstOrDefault(s => s.Id == _config.ServerId)?.ClientPort ?? 2181),
            MaxClientCnxns = _config.MaxClientCnxns,
            MaxCnxns = _config.MaxCnxns,
            JuteMaxBuffer = _config.JuteMaxBuffer,
            ListenBacklog = _config.ClientPortListenBacklog,
            FourLetterWordAllowed = _config.IsFourLetterWordAllowed,
            MaxOutstandingPerConnection = Math.Max(16, _config.GlobalOutstandingLimit),
        };
        var info = new ServerInfo
        {
            Mode = "standalone",
            ConfLines = ConfLines(),
            DataDir = _config.DataDir,
            DataLogDir = _config.DataLogDir,
            QuorumMetrics = _member is null ? null : () => _member.Peer.Status.ToMetrics(),
        };
        Server = new ZkServer(Engine, netOptions, info, _log);
        Server.Start();
        _log($"INFO HotZk serving on {Server.LocalEndPoint} (dataDir {_config.DataDir})");
    }

    /// <summary>The ensemble settings of zoo.cfg: every member's election port carries its peer links.</summary>
    private EnsembleMemberOptions EnsembleOptions()
    {
        var c = _config;
        long myId = c.ServerId ?? throw new InvalidDataException($"an ensemble member needs {Path.Combine(c.DataDir, "myid")}");
        if (!c.Servers.Any(s => s.Id == myId)) throw new InvalidDataException($"myid {myId} has no server.{myId} line in zoo.cfg");
        return new EnsembleMemberOptions
        {
            MyId = myId,
            Members = c.Servers.Select(s => new PeerAddress(s.Id, s.Host, s.ElectionPort)).ToList(),
            Observers = c.Servers.Where(s => s.Role == ServerRole.Observer).Select(s => (long)s.Id).ToList(),
            TickTime = c.TickTime,
            InitLimit = Math.Max(1, c.InitLimit),
            SyncLimit = Math.Max(1, c.SyncLimit),
            JuteMaxBuffer = c.JuteMaxBuffer,
            FinalizeWaitMs = c.Properties.TryGetValue("hotzk.finalizeWaitMs", out string? wait) ? int.Parse(wait, CultureInfo.InvariantCulture) : 50,
        };
    }

    private List<string> ConfLines()
    {
        var c = _config;
        string v2(string d) => Path.Combine(d, "version-2");
        return
        [
            $"clientPort={c.ClientPort ?? 2181}",
            "secureClientPort=-1",
            $"dataDir={v2(c.DataDir)}",
            "dataDirSize=0",
            $"dataLogDir={v2(c.DataLogDir)}",
            "dataLogSize=0",
            $"tickTime={c.TickTime}",
            $"maxClientCnxns={c.MaxClientCnxns}",
            $"minSessionTimeout={c.MinSessionTimeout}",
            $"maxSessionTimeout={c.MaxSessionTimeout}",
            $"clientPortListenBacklog={c.ClientPortListenBacklog}",
            $"serverId={(c.ServerId ?? 0).ToString(CultureInfo.InvariantCulture)}",
        ];
    }

    private void DetectApacheDataDir(string dataDir)
    {
        string v2 = Path.Combine(dataDir, "version-2");
        if (!Directory.Exists(v2)) return;
        // The importer's own listing: snapshot.<hex>, .gz and .snappy snapshots, log.<hex> logs.
        bool apache = ApacheSnapshotReader.ListSnapshots(v2).Count > 0 || ApacheTxnLogReader.ListLogs(v2).Count > 0;
        bool hotzk = Directory.Exists(Path.Combine(dataDir, "hotzk-snap")) || Directory.Exists(Path.Combine(dataDir, "hotzk-log"));
        if (apache && !hotzk)
        {
            // Starting empty here would look like data loss to the user: refuse instead.
            throw new InvalidDataException($"{dataDir} is an Apache ZooKeeper data dir (version-2/ holds snapshot.<zxid>[.gz|.snappy] or log.<zxid> files). " +
                 $"HotZk does not serve it in place: run 'hotzk import --from {dataDir} --to <new dataDir>' and point dataDir at the result.");
        }
    }

    /// <summary>Stops serving and flushes the log.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Server is not null) await Server.DisposeAsync().ConfigureAwait(false);
        if (_member is not null) _member.Dispose();
        else Engine?.Dispose();
        _txnLog?.Dispose();
    }
}
