using System.Globalization;
using System.Text;
using HotZk.Engine.Processing;
using HotZk.Protocol;

namespace HotZk.Net;

/// <summary>Answers four-letter words with ZooKeeper's output formats (zk-protocol.md §10).</summary>
public sealed class FourLetterWordHandler
{
    private readonly ZkServer _server;

    /// <summary>Creates the handler.</summary>
    public FourLetterWordHandler(ZkServer server) => _server = server;

    /// <summary>Runs <paramref name="cmd"/> on <paramref name="conn"/>, writes the text and closes.</summary>
    public async Task RunAsync(ClientConnection conn, FourLetterCommand cmd, ReadOnlyMemory<byte> rest)
    {
        string name = HotZk.Protocol.FourLetterWords.Name(cmd);
        string text;
        if (!_server.Options.FourLetterWordAllowed(name))
        {
            text = $"{name} is not executed because it is not in the whitelist.\n";
        }
        else
        {
            try
            {
                text = await RenderAsync(cmd, conn).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                _server.Log($"ERROR four-letter word {name}: {e}");
                text = "";
            }
        }
        conn.Enqueue(Encoding.UTF8.GetBytes(text));
        conn.Close("four-letter word answered");
    }

    /// <summary>Produces the text of a command.</summary>
    public Task<string> RenderAsync(FourLetterCommand cmd, ClientConnection? self = null)
    {
        var engine = _server.Engine;
        if (engine.Role == EngineRole.Looking && cmd is FourLetterCommand.Srvr or FourLetterCommand.Stat or FourLetterCommand.Mntr
            or FourLetterCommand.Wchs or FourLetterCommand.Wchc or FourLetterCommand.Wchp or FourLetterCommand.Dump)
        {
            // ZooKeeper's answer while an ensemble member has no leader.
            return Task.FromResult(NotServing);
        }
        return cmd switch
        {
            FourLetterCommand.Ruok => Task.FromResult("imok"),
            FourLetterCommand.Isro => Task.FromResult(engine.Role switch { EngineRole.Looking => "null", EngineRole.ReadOnly => "ro", _ => "rw" }),
            FourLetterCommand.Srvr => engine.InvokeAsync(() => Srvr(false)),
            FourLetterCommand.Stat => engine.InvokeAsync(() => Srvr(true)),
            FourLetterCommand.Cons => Task.FromResult(Cons()),
            FourLetterCommand.Crst => Task.FromResult(Crst()),
            FourLetterCommand.Srst => Task.FromResult(Srst()),
            FourLetterCommand.Conf => Task.FromResult(string.Join("\n", _server.Info.ConfLines) + "\n"),
            FourLetterCommand.Envi => Task.FromResult(Envi()),
            FourLetterCommand.Mntr => engine.InvokeAsync(Mntr),
            FourLetterCommand.Wchs => engine.InvokeAsync(Wchs),
            FourLetterCommand.Wchc => engine.InvokeAsync(Wchc),
            FourLetterCommand.Wchp => engine.InvokeAsync(Wchp),
            FourLetterCommand.Dump => engine.InvokeAsync(Dump),
            FourLetterCommand.Dirs => Task.FromResult(Dirs()),
            FourLetterCommand.Gtmk => Task.FromResult("0"),
            FourLetterCommand.Hash => Task.FromResult(""),
            _ => Task.FromResult(""),
        };
    }

    /// <summary>What ZooKeeper answers to most commands while it is not serving.</summary>
    public const string NotServing = "This ZooKeeper instance is not currently serving requests\n";

    /// <summary>srvr's Mode / mntr's zk_server_state: the ensemble role, or the configured mode when standalone.</summary>
    private string Mode => _server.Engine.Role switch
    {
        EngineRole.Leader => "leader",
        EngineRole.Follower => "follower",
        EngineRole.Observer => "observer",
        EngineRole.ReadOnly => "read-only",
        _ => _server.Info.Mode,
    };

    private static string Hex(long v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    private string Srvr(bool withClients)
    {
        var e = _server.Engine;
        var sb = new StringBuilder();
        sb.Append("Zookeeper version: ").Append(_server.Info.Version).Append(", built on ").Append(_server.Info.BuildDate).Append('\n');
        if (e.Role == EngineRole.ReadOnly) sb.Append("READ-ONLY mode; serving only read-only clients\n");
        if (withClients)
        {
            sb.Append("Clients:\n");
            foreach (var c in _server.Connections)
            {
                sb.Append(" /").Append(c.RemoteAddress).Append(':').Append(c.RemoteEndPoint.Port)
                  .Append('[').Append(c.Session is null ? 0 : 1).Append("](queued=").Append(Math.Max(0, c.Outstanding))
                  .Append(",recved=").Append(c.Received).Append(",sent=").Append(c.Sent).Append(")\n");
            }
            sb.Append('\n');
        }
        var st = e.Stats;
        sb.Append("Latency min/avg/max: ").Append(st.MinLatency).Append('/')
          .Append(st.AvgLatency.ToString("0.0###", CultureInfo.InvariantCulture)).Append('/').Append(st.MaxLatency).Append('\n');
        sb.Append("Received: ").Append(st.PacketsReceived).Append('\n');
        sb.Append("Sent: ").Append(st.PacketsSent).Append('\n');
        sb.Append("Connections: ").Append(_server.ConnectionCount).Append('\n');
        sb.Append("Outstanding: ").Append(e.OutstandingRequests).Append('\n');
        sb.Append("Zxid: ").Append(Hex(e.Tree.LastProcessedZxid)).Append('\n');
        sb.Append("Mode: ").Append(Mode).Append('\n');
        // ZooKeeper counts the root twice (as "" and "/").
        sb.Append("Node count: ").Append(e.Tree.NodeCount + 1).Append('\n');
        return sb.ToString();
    }

    private string Cons()
    {
        var sb = new StringBuilder();
        foreach (var c in _server.Connections)
        {
            sb.Append(" /").Append(c.RemoteAddress).Append(':').Append(c.RemoteEndPoint.Port)
              .Append('[').Append(c.Session is null ? 0 : 1).Append("](queued=").Append(Math.Max(0, c.Outstanding))
              .Append(",recved=").Append(c.Received).Append(",sent=").Append(c.Sent);
            if (c.SessionId != 0)
            {
                sb.Append(",sid=").Append(Hex(c.SessionId))
                  .Append(",lop=").Append(OpName(c.LastOp))
                  .Append(",est=").Append(new DateTimeOffset(c.Established).ToUnixTimeMilliseconds())
                  .Append(",to=").Append(c.SessionTimeout);
                if (c.LastCxid >= 0) sb.Append(",lcxid=").Append(Hex(c.LastCxid));
                sb.Append(",lzxid=").Append(Hex(c.LastZxid))
                  .Append(",lresp=").Append(c.LastResponseTime)
                  .Append(",llat=").Append(c.LastLatency)
                  .Append(",minlat=").Append(c.LatencyCount == 0 ? 0 : c.MinLatency)
                  .Append(",avglat=").Append(c.LatencyCount == 0 ? 0 : c.TotalLatency / c.LatencyCount)
                  .Append(",maxlat=").Append(c.MaxLatency);
            }
            sb.Append(")\n");
        }
        sb.Append('\n');
        return sb.ToString();
    }

    private static string OpName(HotZk.Common.OpCode op) => op switch
    {
        HotZk.Common.OpCode.Create => "CREA",
        HotZk.Common.OpCode.Create2 => "CR2",
        HotZk.Common.OpCode.Delete => "DELE",
        HotZk.Common.OpCode.Exists => "EXIS",
        HotZk.Common.OpCode.GetData => "GETD",
        HotZk.Common.OpCode.SetData => "SETD",
        HotZk.Common.OpCode.GetAcl => "GACL",
        HotZk.Common.OpCode.SetAcl => "SACL",
        HotZk.Common.OpCode.GetChildren => "GETC",
        HotZk.Common.OpCode.GetChildren2 => "GETC",
        HotZk.Common.OpCode.Sync => "SYNC",
        HotZk.Common.OpCode.Ping => "PING",
        HotZk.Common.OpCode.Multi => "MULT",
        HotZk.Common.OpCode.CloseSession => "CLOS",
        HotZk.Common.OpCode.SetWatches => "SETW",
        _ => "NA",
    };

    private string Crst()
    {
        foreach (var c in _server.Connections) c.ResetStats();
        return "Connection stats reset.\n";
    }

    private string Srst()
    {
        _server.Engine.Stats.Reset();
        return "Server stats reset.\n";
    }

    private string Envi()
    {
        var sb = new StringBuilder("Environment:\n");
        void Kv(string k, string? v) => sb.Append(k).Append('=').Append(v ?? "<NA>").Append('\n');
        Kv("zookeeper.version", _server.Info.Version + ", built on " + _server.Info.BuildDate);
        Kv("host.name", Environment.MachineName);
        Kv("java.version", Environment.Version.ToString());
        Kv("java.vendor", ".NET");
        Kv("java.home", AppContext.BaseDirectory);
        Kv("java.class.path", AppContext.BaseDirectory);
        Kv("java.library.path", AppContext.BaseDirectory);
        Kv("java.io.tmpdir", Path.GetTempPath());
        Kv("java.compiler", "<NA>");
        Kv("os.name", "Linux");
        Kv("os.arch", System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant());
        Kv("os.version", Environment.OSVersion.Version.ToString());
        Kv("user.name", Environment.UserName);
        Kv("user.home", Environment.GetFolderPath(Environment.SpecialFolder.UserProfile));
        Kv("user.dir", Environment.CurrentDirectory);
        var gc = GC.GetGCMemoryInfo();
        Kv("os.memory.free", ((gc.TotalAvailableMemoryBytes - GC.GetTotalMemory(false)) / (1024 * 1024)) + "MB");
        Kv("os.memory.max", (gc.TotalAvailableMemoryBytes / (1024 * 1024)) + "MB");
        Kv("os.memory.total", (GC.GetTotalMemory(false) / (1024 * 1024)) + "MB");
        return sb.ToString();
    }

    private string Mntr()
    {
        var e = _server.Engine;
        var st = e.Stats;
        var sb = new StringBuilder();
        void Kv(string k, object v) => sb.Append(k).Append('\t').Append(Convert.ToString(v, CultureInfo.InvariantCulture)).Append('\n');
        Kv("zk_version", _server.Info.Version + ", built on " + _server.Info.BuildDate);
        Kv("zk_server_state", Mode);
        Kv("zk_avg_latency", st.AvgLatency.ToString("0.0###", CultureInfo.InvariantCulture));
        Kv("zk_max_latency", st.MaxLatency);
        Kv("zk_min_latency", st.MinLatency);
        Kv("zk_packets_received", st.PacketsReceived);
        Kv("zk_packets_sent", st.PacketsSent);
        Kv("zk_num_alive_connections", _server.ConnectionCount);
        Kv("zk_outstanding_requests", e.OutstandingRequests);
        Kv("zk_znode_count", e.Tree.NodeCount + 1);
        Kv("zk_watch_count", e.Tree.Watches.Data.Count + e.Tree.Watches.Child.Count);
        Kv("zk_ephemerals_count", e.Tree.EphemeralCount);
        Kv("zk_approximate_data_size", e.Tree.ApproximateDataSize);
        Kv("zk_open_file_descriptor_count", OpenFds());
        Kv("zk_max_file_descriptor_count", 1048576);
        Kv("zk_global_sessions", e.Sessions.Count);
        Kv("zk_local_sessions", 0);
        Kv("zk_uptime", (long)(DateTime.UtcNow - _server.Info.StartTime).TotalMilliseconds);
        Kv("zk_auth_failed_count", 0);
        Kv("zk_connection_drop_probability", 0);
        Kv("zk_last_client_response_size", -1);
        Kv("zk_max_client_response_size", -1);
        Kv("zk_min_client_response_size", -1);
        Kv("zk_outstanding_tls_handshake", 0);
        Kv("zk_non_mtls_local_conn_count", 0);
        Kv("zk_non_mtls_remote_conn_count", 0);
        // HotZk's own memory figures (zk_ prefix: mntr consumers expect every key to carry it): the tree's native name/data bytes, its slot and index arrays, and the GC heap.
        var gc = GC.GetGCMemoryInfo();
        if (_server.Info.QuorumMetrics is { } quorum)
        {
            foreach (var kv in quorum()) Kv(kv.Key, kv.Value);
        }
        Kv("zk_hotzk_tree_native_bytes", e.Tree.NativeBytes);
        Kv("zk_hotzk_tree_index_bytes", e.Tree.IndexBytes);
        Kv("zk_hotzk_gc_heap_bytes", gc.HeapSizeBytes);
        Kv("zk_hotzk_gc_committed_bytes", gc.TotalCommittedBytes);
        return sb.ToString();
    }

    private static long OpenFds()
    {
        try { return Directory.GetFileSystemEntries("/proc/self/fd").Length; }
        catch (IOException) { return -1; }
        catch (UnauthorizedAccessException) { return -1; }
    }

    private string Wchs()
    {
        var d = _server.Engine.Tree.Watches.Data;
        return $"{d.WatcherCount} connections watching {d.PathCount} paths\nTotal watches:{d.Count}\n";
    }

    private string Wchc()
    {
        var d = _server.Engine.Tree.Watches.Data;
        var sb = new StringBuilder();
        foreach (var w in d.Watchers)
        {
            long sid = w is ClientConnection c ? c.SessionId : 0;
            sb.Append(Hex(sid)).Append('\n');
            foreach (var p in d.PathsOf(w)) sb.Append('\t').Append(p).Append('\n');
        }
        return sb.ToString();
    }

    private string Wchp()
    {
        var d = _server.Engine.Tree.Watches.Data;
        var sb = new StringBuilder();
        foreach (var (path, watchers) in d.All)
        {
            sb.Append(path).Append('\n');
            foreach (var w in watchers.Keys)
            {
                long sid = w is ClientConnection c ? c.SessionId : 0;
                sb.Append('\t').Append(Hex(sid)).Append('\n');
            }
        }
        return sb.ToString();
    }

    private string Dump()
    {
        var e = _server.Engine;
        var sb = new StringBuilder("SessionTracker dump:\n");
        var buckets = e.Sessions.Buckets.ToList();
        sb.Append("Session Sets (").Append(buckets.Count).Append(")/(").Append(e.Sessions.Count).Append("):\n");
        foreach (var (at, set) in buckets)
        {
            sb.Append(set.Count).Append(" expire at ").Append(at).Append(":\n");
            foreach (var s in set) sb.Append('\t').Append(Hex(s.Id)).Append('\n');
        }
        sb.Append("ephemeral nodes dump:\n");
        sb.Append("Sessions with Ephemerals (").Append(e.Tree.Ephemerals.Count).Append("):\n");
        foreach (var (sid, paths) in e.Tree.Ephemerals)
        {
            sb.Append(Hex(sid)).Append(":\n");
            foreach (var p in paths) sb.Append('\t').Append(p).Append('\n');
        }
        sb.Append("Connections dump:\n");
        sb.Append("Connections Sets (0)/(").Append(_server.ConnectionCount).Append("):\n");
        return sb.ToString();
    }

    private string Dirs()
    {
        static long Size(string dir)
        {
            try
            {
                long total = 0;
                foreach (var f in new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories)) total += f.Length;
                return total;
            }
            catch (IOException) { return 0; }
        }
        return $"datadir_size: {Size(_server.Info.DataDir)}\nlogdir_size: {Size(_server.Info.DataLogDir)}\n";
    }
}
