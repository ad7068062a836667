using System.Diagnostics;

namespace HotZk.LoadGen;

/// <summary>A server implementation the bench commands can start on loopback, standalone or as an ensemble member.</summary>
internal abstract class ServerTarget(string name)
{
    public string Name { get; } = name;

    /// <summary>The command line (for the report).</summary>
    public abstract string Describe(string cfg, bool ensemble);

    /// <summary>Starts one server with <paramref name="cfg"/>; output goes to <paramref name="log"/>.</summary>
    public abstract Process Start(string cfg, string log, string workDir, bool ensemble);

    /// <summary>Longest time to wait for readiness (HotZk may build itself first).</summary>
    public virtual TimeSpan ReadyTimeout => TimeSpan.FromSeconds(60);

    /// <summary>
    /// True once <paramref name="p"/> runs the server itself rather than a launcher step, so further
    /// members can start without racing a build.
    /// </summary>
    public virtual bool HasLaunched(Process p) => true;

    public static ServerTarget Create(string name, string repoRoot, string zkHeap) => name switch
    {
        "hotzk" => new HotZkTarget(repoRoot),
        "zk" => new ZooKeeperTarget(zkHeap),
        _ => throw new ArgumentException($"unknown target '{name}' (hotzk, zk)"),
    };

    protected static Process Launch(string workDir, string log, IEnumerable<string> command)
    {
        // bash execs the command with output to the log file, so the PID we hold is the server itself.
        var psi = new ProcessStartInfo("bash") { UseShellExecute = false, WorkingDirectory = workDir };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec \"$@\" >>\"$HOTZK_BENCH_LOG\" 2>&1 </dev/null");
        psi.ArgumentList.Add("server");
        foreach (var c in command) psi.ArgumentList.Add(c);
        psi.Environment["HOTZK_BENCH_LOG"] = log;
        return Process.Start(psi) ?? throw new IOException("could not start " + string.Join(' ', command));
    }
}

/// <summary>HotZk via the repository launcher (<c>hotzk server zoo.cfg</c>; server.N lines + myid make it an ensemble member).</summary>
internal sealed class HotZkTarget(string repoRoot) : ServerTarget("hotzk")
{
    /// <summary>What the launcher exec'd the first time (dotnet, server dll), once seen.</summary>
    private string[]? _exec;

    private string Launcher => Path.Combine(repoRoot, "hotzk");

    public override TimeSpan ReadyTimeout => TimeSpan.FromSeconds(600);

    public override string Describe(string cfg, bool ensemble) => $"{Launcher} server {cfg}";

    /// <summary>
    /// The first start goes through the launcher (which builds when sources changed, then execs
    /// <c>dotnet hotzk-server.dll server cfg</c>); later starts exec that same command directly, so a
    /// source edit elsewhere in the checkout cannot put a build into a measured restart.
    /// </summary>
    public override Process Start(string cfg, string log, string workDir, bool ensemble) =>
        _exec is { } e ? Launch(workDir, log, [e[0], e[1], "server", cfg]) : Launch(workDir, log, [Launcher, "server", cfg]);

    public override bool HasLaunched(Process p)
    {
        try
        {
            var args = File.ReadAllText($"/proc/{p.Id}/cmdline").Split('\0');
            int dll = Array.FindIndex(args, a => a.EndsWith("hotzk-server.dll", StringComparison.Ordinal));
            if (dll < 1) return false;
            _exec ??= [args[0], args[dll]];
            return true;
        }
        catch (IOException)
        {
            return true; // gone: the caller sees the exit
        }
    }
}

/// <summary>Apache ZooKeeper 3.8 from the Debian package, with zkServer.sh's default heap.</summary>
internal sealed class ZooKeeperTarget(string heap) : ServerTarget("zk")
{
    public const string Jar = "/usr/share/java/zookeeper.jar";

    // Standalone keeps ZooKeeperServerMain (what zkServer.sh runs without server lines); members run QuorumPeerMain.
    private IEnumerable<string> Command(string cfg, bool ensemble) =>
    [
        "java", $"-Xmx{heap}", "-Dzookeeper.admin.enableServer=false", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-cp", Jar + ":/usr/share/java/slf4j-simple.jar",
        ensemble ? "org.apache.zookeeper.server.quorum.QuorumPeerMain" : "org.apache.zookeeper.server.ZooKeeperServerMain", cfg,
    ];

    public override string Describe(string cfg, bool ensemble) => string.Join(' ', Command(cfg, ensemble));

    public override Process Start(string cfg, string log, string workDir, bool ensemble)
    {
        if (!File.Exists(Jar)) throw new IOException($"{Jar} is missing: apt-get install zookeeper");
        return Launch(workDir, log, Command(cfg, ensemble));
    }
}
