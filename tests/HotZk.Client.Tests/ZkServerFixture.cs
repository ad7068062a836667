using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HotZk.Client.Tests;

/// <summary>
/// Starts one Apache ZooKeeper 3.8 server (standalone, loopback, free port, temp dir) per test run,
/// or uses the server named by HOTZK_TEST_CONNECT (host:port) so the same tests run against HotZk.
/// </summary>
public sealed class ZkServerFixture : IAsyncLifetime
{
    private const string ClassPath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar";
    private Process? _process;
    private string? _dir;
    private readonly StringBuilder _log = new();

    public string ConnectString { get; private set; } = "";

    public bool IsApache => _process is not null;

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable("HOTZK_TEST_CONNECT");
        if (!string.IsNullOrWhiteSpace(external))
        {
            ConnectString = external.Trim();
            return;
        }
        int port = FreePort();
        _dir = Path.Combine(Path.GetTempPath(), "hotzk-client-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path.Combine(_dir, "data"));
        var cfg = Path.Combine(_dir, "zoo.cfg");
        await File.WriteAllTextAsync(cfg, $"""
            tickTime=1000
            dataDir={_dir}/data
            clientPort={port}
            clientPortAddress=127.0.0.1
            maxClientCnxns=0
            admin.enableServer=false
            4lw.commands.whitelist=*
            extendedTypesEnabled=true
            """);
        var psi = new ProcessStartInfo("java")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", ClassPath,
                     "org.apache.zookeeper.server.ZooKeeperServerMain", cfg })
            psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start java");
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        ConnectString = $"127.0.0.1:{port}";

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) break;
            if (await RuokAsync(port)) return;
            await Task.Delay(200);
        }
        throw new InvalidOperationException("Apache ZooKeeper did not start:\n" + LogText());
    }

    public async Task DisposeAsync()
    {
        if (_process is { } p)
        {
            try
            {
                if (!p.HasExited)
                {
                    p.Kill();
                    await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
                }
            }
            catch (Exception)
            {
                // Already gone.
            }
            p.Dispose();
        }
        if (_dir is not null)
        {
            try { Directory.Delete(_dir, true); } catch (IOException) { }
        }
    }

    /// <summary>A fresh, unique absolute path under which a test keeps its nodes.</summary>
    public static string UniquePath(string name) => "/t-" + name + "-" + Guid.NewGuid().ToString("N")[..8];

    public Task<ZkClient> ConnectAsync(ZkClientOptions? options = null, string chroot = "", int timeoutMs = 10_000) =>
        ZkClient.ConnectAsync(ConnectString + chroot, TimeSpan.FromMilliseconds(timeoutMs), options);

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_log)
        {
            if (_log.Length < 200_000) _log.AppendLine(line);
        }
    }

    private string LogText()
    {
        lock (_log) return _log.ToString();
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static async Task<bool> RuokAsync(int port)
    {
        try
        {
            using var c = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await c.ConnectAsync(IPAddress.Loopback, port, cts.Token);
            var s = c.GetStream();
            await s.WriteAsync("ruok"u8.ToArray(), cts.Token);
            var buf = new byte[4];
            int n = 0;
            while (n < 4)
            {
                int r = await s.ReadAsync(buf.AsMemory(n), cts.Token);
                if (r == 0) break;
                n += r;
            }
            return n == 4 && Encoding.ASCII.GetString(buf) == "imok";
        }
        catch (Exception)
        {
            return false;
        }
    }
}

[CollectionDefinition("zk")]
public sealed class ZkCollection : ICollectionFixture<ZkServerFixture>;

/// <summary>
/// A test that depends on the settings of the fixture's own server (tickTime 1000 ms): skipped, with
/// the reason shown, when the suite is pointed at an external server through HOTZK_TEST_CONNECT.
/// </summary>
public sealed class OwnServerFactAttribute : FactAttribute
{
    public OwnServerFactAttribute()
    {
        if (!string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("HOTZK_TEST_CONNECT")))
            Skip = "depends on the fixture's own server settings (tickTime 1000 ms); HOTZK_TEST_CONNECT points elsewhere";
    }
}
