using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace HotZk.LoadGen;

/// <summary>
/// One target's servers on loopback: a standalone server, or an N-member ensemble whose members share
/// one zoo.cfg apart from dataDir (with myid) and clientPort. Starts, waits for serving, kills, restarts, stops.
/// </summary>
internal sealed class ServerGroup
{
    private static readonly HashSet<int> HandedOut = [];
    private static readonly Random PortRandom = new();

    private ServerGroup(ServerTarget target, List<ServerInstance> members, List<QuorumMember> quorum)
    {
        Target = target;
        Members = members;
        Quorum = quorum;
    }

    public ServerTarget Target { get; }
    public List<ServerInstance> Members { get; }
    public List<QuorumMember> Quorum { get; }
    public bool IsEnsemble => Quorum.Count > 0;
    public string Connect => Endpoint.Join(Members.Select(m => m.Endpoint));
    public string ModeName => Describe(Members.Count);

    public static string Describe(int size) => size > 1 ? $"{size}-node ensemble" : "standalone";

    /// <summary>
    /// A free loopback port below the kernel's ephemeral range: the clients' outgoing connections take
    /// ephemeral ports, and one could otherwise hold a killed member's port when it restarts.
    /// Never hands out the same port twice in this process.
    /// </summary>
    public static int AllocatePort()
    {
        int low = 32768;
        try
        {
            low = int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split('\t', ' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            // not Linux: keep the default
        }
        int from = Math.Max(1024, low - 12000), to = Math.Max(from + 1000, low);
        for (int attempt = 0; attempt < 1000; attempt++)
        {
            int port;
            lock (HandedOut)
            {
                port = PortRandom.Next(from, to);
                if (!HandedOut.Add(port)) continue;
            }
            try
            {
                using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                s.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // taken: try another
            }
        }
        return Limits.FreePort();
    }

    /// <summary>
    /// Starts <paramref name="size"/> servers of <paramref name="t"/> under <paramref name="dir"/> (1 = standalone)
    /// and waits until they serve: standalone answers srvr with a mode; an ensemble has exactly one
    /// leader and every other member a follower. Up to three attempts with fresh ports and directories.
    /// </summary>
    public static ServerGroup Start(ServerTarget t, string dir, int size, int tickTime, TextWriter log)
    {
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            if (attempt > 0 && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            var group = Create(t, dir, size, tickTime);
            try
            {
                log.WriteLine($"starting {t.Name} ({group.ModeName}): {t.Describe(group.Members[0].Cfg, group.IsEnsemble)}" + (size > 1 ? $" (and members 2..{size})" : ""));
                var sw = Stopwatch.StartNew();
                foreach (var m in group.Members)
                {
                    m.Process = t.Start(m.Cfg, m.Log, m.WorkDir, group.IsEnsemble);
                    // The first start may build HotZk: the others wait for it rather than build concurrently.
                    while (!m.Exited && !t.HasLaunched(m.Process) && sw.Elapsed < t.ReadyTimeout) Thread.Sleep(100);
                }
                var modes = group.WaitServing(t.ReadyTimeout - sw.Elapsed);
                log.WriteLine($"{t.Name} serving on {group.Connect} after {sw.Elapsed.TotalSeconds:0.0} s: " +
                    string.Join(", ", group.Members.Select(m => $"{m.Id}={modes[m.Id]} (pid {m.Process.Id})")));
                return group;
            }
            catch (IOException e)
            {
                last = e;
                log.WriteLine($"{t.Name} start attempt {attempt + 1} failed: {e.Message}");
                group.Stop();
            }
        }
        throw last!;
    }

    private static ServerGroup Create(ServerTarget t, string dir, int size, int tickTime)
    {
        var quorum = new List<QuorumMember>();
        if (size > 1)
        {
            for (int id = 1; id <= size; id++) quorum.Add(new QuorumMember(id, AllocatePort(), AllocatePort()));
        }
        var members = new List<ServerInstance>();
        for (int id = 1; id <= size; id++)
        {
            string work = size > 1 ? Path.Combine(dir, id.ToString(CultureInfo.InvariantCulture)) : dir;
            string data = Path.Combine(work, "data");
            Directory.CreateDirectory(data);
            int port = AllocatePort();
            if (size > 1) File.WriteAllText(Path.Combine(data, "myid"), id.ToString(CultureInfo.InvariantCulture) + "\n");
            string cfg = Path.Combine(work, "zoo.cfg");
            File.WriteAllText(cfg, ZooCfg.Build(tickTime, data, port.ToString(CultureInfo.InvariantCulture), quorum));
            members.Add(new ServerInstance
            {
                Target = t,
                Id = id,
                Port = port,
                Cfg = cfg,
                Log = Path.Combine(work, "server.log"),
                WorkDir = work,
                InEnsemble = size > 1,
                Process = Process.GetCurrentProcess(), // placeholder until started
            });
        }
        return new ServerGroup(t, members, quorum);
    }

    /// <summary>Modes of every member by id ("" = not serving).</summary>
    public Dictionary<int, string> Modes() => Members.ToDictionary(m => m.Id, m => m.Mode());

    /// <summary>True when <paramref name="modes"/> is a serving state of this group.</summary>
    public bool IsServing(Dictionary<int, string> modes) => IsEnsemble
        ? modes.Values.All(m => m is "leader" or "follower") && modes.Values.Count(m => m == "leader") == 1
        : modes.Values.All(m => m.Length > 0);

    /// <summary>Waits until the group serves (see <see cref="Start"/>); throws with the log tail when a member exits or time runs out.</summary>
    public Dictionary<int, string> WaitServing(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        var modes = new Dictionary<int, string>();
        do
        {
            if (Members.FirstOrDefault(m => m.Exited) is { } dead)
                throw new IOException($"{Target.Name} member {dead.Id} exited with code {ExitCode(dead)}:\n{dead.LogTail()}");
            modes = Modes();
            if (IsServing(modes) && (IsEnsemble || Members.All(m => Compare.FourLetter("127.0.0.1", m.Port, "ruok") == "imok"))) return modes;
            Thread.Sleep(100);
        }
        while (sw.Elapsed < timeout);
        throw new IOException($"{Target.Name} not serving within {timeout.TotalSeconds:0} s (modes: {string.Join(", ", modes.Select(kv => $"{kv.Key}={(kv.Value.Length == 0 ? "-" : kv.Value)}"))}):\n" +
            string.Join("\n", Members.Select(m => $"--- member {m.Id} ({m.Log}) ---\n{m.LogTail(15)}")));
    }

    /// <summary>The member answering "Mode: leader", or null.</summary>
    public ServerInstance? Leader() => Members.FirstOrDefault(m => !m.Exited && m.Mode() == "leader");

    /// <summary>
    /// SIGKILL by PID; returns the Stopwatch timestamp taken right after the signal was sent. Does not
    /// wait for the exit (that would block a thread the measuring client may need); <see cref="Restart"/> does.
    /// </summary>
    public static long Kill(ServerInstance m)
    {
        Limits.Signal(m.Process.Id, 9);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Starts a killed or stopped member again with its zoo.cfg and data directory.</summary>
    public void Restart(ServerInstance m)
    {
        m.Process.WaitForExit(10_000);
        if (!m.Exited) throw new InvalidOperationException($"member {m.Id} is still running");
        m.Process.Dispose();
        m.Process = Target.Start(m.Cfg, m.Log, m.WorkDir, IsEnsemble);
        m.Dead = false;
    }

    /// <summary>Polls srvr until <paramref name="m"/> reports <paramref name="mode"/>; false on timeout or exit.</summary>
    public static bool WaitMode(ServerInstance m, string mode, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            if (m.Exited) return false;
            if (m.Mode() == mode) return true;
            Thread.Sleep(20);
        }
        return false;
    }

    /// <summary>SIGTERM to every member at once, SIGKILL to whatever is left after the grace period.</summary>
    public void Stop(int graceMs = 10_000)
    {
        var running = Members.Where(m => m.Process.Id != Environment.ProcessId && !m.Exited).ToList();
        foreach (var m in running) Limits.Signal(m.Process.Id, 15);
        var sw = Stopwatch.StartNew();
        foreach (var m in running)
        {
            if (!m.Process.WaitForExit((int)Math.Max(0, graceMs - sw.ElapsedMilliseconds))) Limits.StopProcess(m.Process, 0);
        }
    }

    /// <summary>The members for the report.</summary>
    public List<MemberInfo> Info(Dictionary<int, string>? modes = null) => Members.Select(m =>
    {
        var q = Quorum.FirstOrDefault(x => x.Id == m.Id);
        return new MemberInfo
        {
            Id = m.Id,
            ClientPort = m.Port,
            QuorumPort = IsEnsemble ? q.QuorumPort : null,
            ElectionPort = IsEnsemble ? q.ElectionPort : null,
            Pid = m.Exited ? 0 : m.Process.Id,
            Mode = modes?.GetValueOrDefault(m.Id) ?? "",
            Command = Target.Describe(m.Cfg, IsEnsemble),
        };
    }).ToList();

    private static string ExitCode(ServerInstance m)
    {
        try
        {
            return m.Process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }
}
