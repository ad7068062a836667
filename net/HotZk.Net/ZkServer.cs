using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using HotZk.Engine.Processing;

namespace HotZk.Net;

/// <summary>The client port: accepts connections, enforces connection limits, tracks live connections.</summary>
public sealed class ZkServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<ClientConnection, byte> _connections = new();
    private readonly ConcurrentDictionary<string, int> _perIp = new();
    private readonly Action<string> _log;
    private Socket? _listener;
    private Task? _acceptLoop;
    private int _count;

    /// <summary>Creates a server in front of <paramref name="engine"/>.</summary>
    public ZkServer(ZkEngine engine, NetOptions options, ServerInfo info, Action<string>? log = null)
    {
        Engine = engine;
        Options = options;
        Info = info;
        _log = log ?? (_ => { });
        FourLetterWords = new FourLetterWordHandler(this);
    }

    /// <summary>The engine.</summary>
    public ZkEngine Engine { get; }
    /// <summary>Settings.</summary>
    public NetOptions Options { get; }
    /// <summary>Static facts for srvr/conf/envi.</summary>
    public ServerInfo Info { get; }
    /// <summary>Four-letter word handler.</summary>
    public FourLetterWordHandler FourLetterWords { get; }
    /// <summary>The bound endpoint (port resolved when 0 was asked for).</summary>
    public IPEndPoint? LocalEndPoint => _listener?.LocalEndPoint as IPEndPoint;
    /// <summary>Live connections.</summary>
    public ICollection<ClientConnection> Connections => _connections.Keys;
    /// <summary>Number of live connections.</summary>
    public int ConnectionCount => Volatile.Read(ref _count);

    /// <summary>Writes a log line.</summary>
    public void Log(string line) => _log(line);

    /// <summary>Binds and starts accepting.</summary>
    public void Start()
    {
        var ep = Options.Endpoint;
        _listener = new Socket(ep.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        if (ep.AddressFamily == AddressFamily.InterNetworkV6) _listener.DualMode = true;
        _listener.Bind(ep);
        _listener.Listen(Options.ListenBacklog > 0 ? Options.ListenBacklog : 1024);
        _acceptLoop = AcceptLoopAsync();
        Log($"INFO binding to port {LocalEndPoint}");
    }

    private async Task AcceptLoopAsync()
    {
        var listener = _listener!;
        while (true)
        {
            Socket s;
            try
            {
                s = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            s.NoDelay = true;
            var remote = (IPEndPoint)s.RemoteEndPoint!;
            var addr = remote.Address.IsIPv4MappedToIPv6 ? remote.Address.MapToIPv4() : remote.Address;
            string ip = addr.ToString();
            int perIp = _perIp.AddOrUpdate(ip, 1, (_, n) => n + 1);
            if (Options.MaxClientCnxns > 0 && perIp > Options.MaxClientCnxns)
            {
                Log($"WARN Too many connections from {ip} - max is {Options.MaxClientCnxns}");
                _perIp.AddOrUpdate(ip, 0, (_, n) => n - 1);
                s.Dispose();
                continue;
            }
            if (Options.MaxCnxns > 0 && Volatile.Read(ref _count) >= Options.MaxCnxns)
            {
                Log($"WARN Too many connections in total - max is {Options.MaxCnxns}");
                _perIp.AddOrUpdate(ip, 0, (_, n) => n - 1);
                s.Dispose();
                continue;
            }
            var conn = new ClientConnection(s, this);
            _connections[conn] = 0;
            Interlocked.Increment(ref _count);
            _ = Task.Run(conn.RunAsync);
        }
    }

    /// <summary>Called once per connection when it closes.</summary>
    internal void OnConnectionClosed(ClientConnection conn)
    {
        if (!_connections.TryRemove(conn, out _)) return;
        Interlocked.Decrement(ref _count);
        _perIp.AddOrUpdate(conn.RemoteAddress, 0, (_, n) => Math.Max(0, n - 1));
        Engine.Disconnected(conn, conn.Session);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _listener?.Dispose();
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        foreach (var c in _connections.Keys) c.Close("server shutting down");
    }
}

/// <summary>Static server facts shown by srvr/conf/envi/mntr.</summary>
public sealed class ServerInfo
{
    /// <summary>Version string, e.g. "3.9.3-hotzk, built on …".</summary>
    public string Version { get; init; } = "3.9.3-hotzk-0.1.0";
    /// <summary>Build date as shown by srvr.</summary>
    public string BuildDate { get; init; } = "2026-11-23 00:00 UTC";
    /// <summary>"standalone", "leader", …</summary>
    public string Mode { get; init; } = "standalone";
    /// <summary>conf output lines (key=value).</summary>
    public IReadOnlyList<string> ConfLines { get; init; } = [];
    /// <summary>dataDir (for dirs).</summary>
    public string DataDir { get; init; } = "";
    /// <summary>dataLogDir (for dirs).</summary>
    public string DataLogDir { get; init; } = "";
    /// <summary>Ensemble metrics for mntr (zk_peer_state, zk_quorum_size, a leader's learner counts), or null standalone.</summary>
    public Func<IReadOnlyList<KeyValuePair<string, string>>>? QuorumMetrics { get; init; }
    /// <summary>Start time.</summary>
    public DateTime StartTime { get; init; } = DateTime.UtcNow;
}
