using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HotZk.Integration.Tests;

/// <summary>Apache ZooKeeper 3.8 (Debian package) as a child process on loopback, for import and comparison tests.</summary>
public sealed class ApacheZkProcess : IDisposable
{
    private const string ClassPath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar";
    private readonly Process _process;

    private ApacheZkProcess(Process p, int port)
    {
        _process = p;
        Port = port;
    }

    public int Port { get; }
    public string ConnectString => $"127.0.0.1:{Port}";

    public static bool IsInstalled => File.Exists("/usr/share/java/zookeeper.jar");

    public static async Task<ApacheZkProcess> StartAsync(string dataDir, string extraConfig = "")
    {
        int port = ServerProcess.FreePort();
        Directory.CreateDirectory(dataDir);
        string cfg = Path.Combine(dataDir, "..", Path.GetFileName(dataDir) + ".cfg");
        await File.WriteAllTextAsync(cfg, $"tickTime=1000\ndataDir={dataDir}\nclientPort={port}\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=*\n{extraConfig}\n");
        var psi = new ProcessStartInfo("java") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", ClassPath, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start java");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var zk = new ApacheZkProcess(p, port);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited) throw new InvalidOperationException($"Apache ZooKeeper exited with {p.ExitCode}");
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                var s = c.GetStream();
                await s.WriteAsync("ruok"u8.ToArray());
                var buf = new byte[4];
                if (await s.ReadAsync(buf) == 4) return zk;
            }
            catch (SocketException) { }
            catch (IOException) { }
            await Task.Delay(200);
        }
        zk.Dispose();
        throw new TimeoutException("Apache ZooKeeper did not start");
    }

    /// <summary>SIGKILL, like a crash: whatever it acknowledged is in its fsync'd log.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill();
        _process.WaitForExit(10000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
