using System.Diagnostics;

namespace HotZk.Integration.Tests;

/// <summary>Apache ZooKeeper 3.8 (Debian package) as a child process on loopback, for import and comparison tests.</summary>
public sealed class ApacheZkProcess : IDisposable
{
    // snappy-java is only loaded when snapshots are snappy-compressed.
    private const string ClassPath = "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-nop.jar:/usr/share/java/snappy-java.jar";
    private readonly Process _process;

    private ApacheZkProcess(Process p, int port)
    {
        _process = p;
        Port = port;
    }

    public int Port { get; }
    public string ConnectString => $"127.0.0.1:{Port}";

    public static bool IsInstalled => File.Exists("/usr/share/java/zookeeper.jar");

    /// <summary>Starts ZooKeeper on a free loopback port.</summary>
    /// <param name="dataDir">Its dataDir.</param>
    /// <param name="extraConfig">zoo.cfg lines to add.</param>
    /// <param name="snapshotCompression"><c>gz</c> or <c>snappy</c>: the <c>zookeeper.snapshot.compression.method</c> JVM property (a JVM property only, not read from zoo.cfg).</param>
    public static async Task<ApacheZkProcess> StartAsync(string dataDir, string extraConfig = "", string? snapshotCompression = null)
    {
        int port = ServerProcess.FreePort();
        Directory.CreateDirectory(dataDir);
        string cfg = Path.Combine(dataDir, "..", Path.GetFileName(dataDir) + ".cfg");
        await File.WriteAllTextAsync(cfg, $"tickTime=1000\ndataDir={dataDir}\nclientPort={port}\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\nadmin.enableServer=false\n4lw.commands.whitelist=*\n{extraConfig}\n");
        var psi = new ProcessStartInfo("java") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1" })
            psi.ArgumentList.Add(a);
        if (snapshotCompression is not null) psi.ArgumentList.Add("-Dzookeeper.snapshot.compression.method=" + snapshotCompression);
        foreach (var a in new[] { "-cp", ClassPath, "org.apache.zookeeper.server.ZooKeeperServerMain", cfg })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start java");
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var zk = new ApacheZkProcess(p, port);
        if (await ServerProcess.WaitForServingAsync(p, port, TimeSpan.FromSeconds(60))) return zk;
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
