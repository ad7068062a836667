using System.Net;
using HotZk.Hosting;
using HotZk.Hosting.Config;

namespace HotZk.Integration.Tests;

/// <summary>An in-process HotZk on a loopback ephemeral port with its own temp data dir.</summary>
public sealed class TestServer : IAsyncDisposable
{
    private readonly List<string> _log = [];

    private TestServer(string dataDir, ZooConfig config)
    {
        DataDir = dataDir;
        Config = config;
        Host = new HotZkHost(config, line => { lock (_log) _log.Add(line); });
        Host.Start();
    }

    public string DataDir { get; }
    public ZooConfig Config { get; }
    public HotZkHost Host { get; }
    public IPEndPoint Endpoint => Host.Endpoint!;
    public string ConnectString => $"127.0.0.1:{Endpoint.Port}";

    public IReadOnlyList<string> LogLines
    {
        get { lock (_log) return _log.ToList(); }
    }

    public static string NewDataDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "hotzk-it-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static TestServer Start(string? dataDir = null, Func<ZooConfig, ZooConfig>? tweak = null, int port = 0)
    {
        dataDir ??= NewDataDir();
        var config = new ZooConfig
        {
            DataDir = dataDir,
            ClientPort = port,
            ClientPortAddress = "127.0.0.1",
            TickTime = 200,
            FourLetterWordWhitelist = ["*"],
            MaxClientCnxns = 0,
        };
        if (tweak is not null) config = tweak(config);
        return new TestServer(dataDir, config);
    }

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();

    /// <summary>Stops the server and deletes its data.</summary>
    public async Task DisposeAndDeleteAsync()
    {
        await DisposeAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
