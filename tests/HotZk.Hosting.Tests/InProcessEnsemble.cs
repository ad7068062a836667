using System.Net;
using System.Net.Sockets;
using System.Text;
using HotZk.Hosting;
using HotZk.Hosting.Config;
using HotZk.Net;
using HotZk.Protocol;

namespace HotZk.Hosting.Tests;

/// <summary>A few ensemble members as <see cref="HotZkHost"/>s in this process: real sockets, real logs, fsync on.</summary>
public sealed class InProcessEnsemble : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hotzk-ens-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly int[] _clientPorts;
    private readonly int[] _electionPorts;
    private readonly HotZkHost?[] _hosts;
    private readonly string _extra;
    private readonly StringBuilder _log = new();

    private InProcessEnsemble(int n, string extra)
    {
        _extra = extra;
        _clientPorts = Enumerable.Range(0, n).Select(_ => FreePort()).ToArray();
        _electionPorts = Enumerable.Range(0, n).Select(_ => FreePort()).ToArray();
        _hosts = new HotZkHost?[n];
    }

    public int Count => _hosts.Length;

    /// <summary>Everything the members logged (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    public static async Task<InProcessEnsemble> StartAsync(int n, string extraConfig = "")
    {
        var e = new InProcessEnsemble(n, extraConfig);
        for (int i = 1; i <= n; i++) e.Start(i);
        await e.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        return e;
    }

    public string ConnectString(params int[] ids) =>
        string.Join(",", (ids.Length == 0 ? Enumerable.Range(1, Count) : ids).Select(i => $"127.0.0.1:{_clientPorts[i - 1]}"));

    public void Start(int id)
    {
        string dir = Path.Combine(_root, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "myid"), id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var cfg = new StringBuilder();
        cfg.AppendLine("tickTime=200\ninitLimit=10\nsyncLimit=5\n4lw.commands.whitelist=*");
        cfg.AppendLine($"dataDir={dir}\nclientPort={_clientPorts[id - 1]}\nclientPortAddress=127.0.0.1");
        for (int i = 1; i <= Count; i++) cfg.AppendLine($"server.{i}=127.0.0.1:{FreePort()}:{_electionPorts[i - 1]}");
        cfg.AppendLine(_extra);
        var config = ZooConfigParser.ParseText(cfg.ToString(), dir);
        var host = new HotZkHost(config, line =>
        {
            lock (_log) _log.Append('[').Append(id).Append("] ").AppendLine(line);
        });
        host.Start();
        _hosts[id - 1] = host;
    }

    public async Task StopAsync(int id)
    {
        var h = _hosts[id - 1];
        _hosts[id - 1] = null;
        if (h is not null) await h.DisposeAsync();
    }

    public HotZkHost? Host(int id) => _hosts[id - 1];

    public string FourLetter(int id, string cmd) => _hosts[id - 1] is { Server: { } s } ? s.FourLetterWords.RenderAsync(Enum.Parse<FourLetterCommand>(cmd, ignoreCase: true)).GetAwaiter().GetResult() : "";

    public string? ModeOf(int id)
    {
        foreach (var line in FourLetter(id, "srvr").Split('\n'))
        {
            if (line.StartsWith("Mode: ", StringComparison.Ordinal)) return line[6..];
        }
        return null;
    }

    public async Task<int> WaitForLeaderAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var live = Enumerable.Range(1, Count).Where(i => _hosts[i - 1] is not null).ToList();
            var modes = live.Select(ModeOf).ToList();
            if (modes.Count(m => m == "leader") == 1 && modes.All(m => m is "leader" or "follower" or "observer"))
            {
                return live[modes.IndexOf("leader")];
            }
            await Task.Delay(50);
        }
        throw new TimeoutException("no leader within " + timeout + "\n" + Log[Math.Max(0, Log.Length - 6000)..]);
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = 1; i <= Count; i++) await StopAsync(i);
        try { Directory.Delete(_root, true); } catch (IOException) { }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
