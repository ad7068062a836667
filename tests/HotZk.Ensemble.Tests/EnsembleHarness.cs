using System.Diagnostics;
using System.Globalization;
using System.Text;
using HotZk.Client;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace HotZk.Ensemble.Tests;

/// <summary>
/// A real-process ensemble on loopback: N participants (ids 1..N) and optional observers (ids after
/// them), each a <c>hotzk-server</c> with its own directory, <c>myid</c> and zoo.cfg.
/// </summary>
/// <remarks>
/// Peer links go through <see cref="LinkProxy"/>s so they can be cut: server i's zoo.cfg lists its own
/// election port truthfully, and for every other server j the port of proxy (i→j), which forwards to
/// j's real election port. Whichever side dials, a link between i and j passes a proxy of that pair.
/// Wrap a test body in <see cref="RunAsync"/> so a failure message carries the tail of every log.
/// </remarks>
public sealed class EnsembleHarness : IAsyncDisposable
{
    private readonly Dictionary<int, EnsembleServer> _servers = [];
    private readonly Dictionary<(int From, int To), LinkProxy> _proxies = [];
    private readonly ITestOutputHelper? _output;
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private EnsembleHarness(string root, EnsembleSettings settings, ITestOutputHelper? output)
    {
        Root = root;
        Settings = settings;
        _output = output;
    }

    /// <summary>The directory holding every server's directory.</summary>
    public string Root { get; }

    public EnsembleSettings Settings { get; }

    /// <summary>Every server id, participants first.</summary>
    public IReadOnlyList<int> Ids => [.. _servers.Keys.Order()];

    /// <summary>Participant (voter) ids.</summary>
    public IReadOnlyList<int> Voters => [.. _servers.Values.Where(s => !s.IsObserver).Select(s => s.Id).Order()];

    /// <summary>The leader found by the last successful <see cref="WaitForLeaderAsync"/>.</summary>
    public int LeaderId { get; private set; }

    public EnsembleServer this[int id] => _servers[id];

    /// <summary>Writes the directories, configs and proxies; <see cref="StartAll"/> starts the processes.</summary>
    public static EnsembleHarness Create(int participants, int observers = 0, EnsembleSettings? settings = null, ITestOutputHelper? output = null)
    {
        string root = Path.Combine(Path.GetTempPath(), "hotzk-ensemble-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var h = new EnsembleHarness(root, settings ?? new EnsembleSettings(), output);
        int n = participants + observers;
        int[] ports = FreePorts.Take(3 * n);
        for (int id = 1; id <= n; id++)
        {
            int k = 3 * (id - 1);
            h._servers[id] = new EnsembleServer(id, id > participants, Path.Combine(root, $"s{id}"), ports[k], ports[k + 1], ports[k + 2]);
        }
        foreach (var from in h._servers.Values)
        {
            foreach (var to in h._servers.Values)
            {
                if (from.Id != to.Id) h._proxies[(from.Id, to.Id)] = new LinkProxy($"{from.Id}->{to.Id}", to.ElectionPort);
            }
        }
        foreach (var s in h._servers.Values) File.WriteAllText(s.ConfigPath, h.ConfigFor(s));
        return h;
    }

    private string ConfigFor(EnsembleServer me)
    {
        var sb = new StringBuilder();
        var st = Settings;
        sb.Append(CultureInfo.InvariantCulture, $"tickTime={st.TickTime}\ninitLimit={st.InitLimit}\nsyncLimit={st.SyncLimit}\n");
        sb.Append(CultureInfo.InvariantCulture, $"dataDir={me.DataDir}\nclientPort={me.ClientPort}\nclientPortAddress=127.0.0.1\n");
        sb.Append(CultureInfo.InvariantCulture, $"maxClientCnxns=0\n4lw.commands.whitelist=*\nmaxSessionTimeout={st.MaxSessionTimeout}\n");
        if (st.SnapCount is int snap) sb.Append(CultureInfo.InvariantCulture, $"snapCount={snap}\n");
        foreach (var s in _servers.Values.OrderBy(s => s.Id))
        {
            int election = s.Id == me.Id ? s.ElectionPort : _proxies[(me.Id, s.Id)].Port;
            sb.Append(CultureInfo.InvariantCulture, $"server.{s.Id}=127.0.0.1:{s.QuorumPort}:{election}{(s.IsObserver ? ":observer" : "")}\n");
        }
        if (me.IsObserver) sb.Append("peerType=observer\n");
        sb.Append(st.Extra);
        return sb.ToString();
    }

    /// <summary>Starts every server process (they elect a leader on their own: see <see cref="WaitForLeaderAsync"/>).</summary>
    public void StartAll()
    {
        foreach (var s in _servers.Values) s.Start();
        Log($"started servers {string.Join(",", _servers.Keys)} in {Root}");
    }

    /// <summary>SIGKILL of server <paramref name="id"/>, by pid.</summary>
    public void Kill(int id)
    {
        _servers[id].Kill();
        Log($"killed server {id}");
    }

    /// <summary>Starts server <paramref name="id"/> again (killing it first if it runs) with its data intact.</summary>
    public void Restart(int id)
    {
        var s = _servers[id];
        if (s.IsRunning) s.Kill();
        s.Start();
        Log($"restarted server {id}");
    }

    /// <summary>Kills server <paramref name="id"/>, deletes its data (keeping myid) and starts it empty.</summary>
    public void WipeAndRestart(int id)
    {
        var s = _servers[id];
        s.Kill();
        s.WipeData();
        s.Start();
        Log($"wiped and restarted server {id}");
    }

    /// <summary>Cuts every link between a server in <paramref name="ids"/> and one outside it (connections closed, new ones refused).</summary>
    public void Partition(params int[] ids)
    {
        foreach (var proxy in CrossingLinks(ids)) proxy.Block();
        Log($"partitioned {{{string.Join(",", ids)}}} from the rest");
    }

    /// <summary>Like <see cref="Partition"/>, but the crossing links go silent instead of closing: only timeouts can detect it.</summary>
    public void Silence(params int[] ids)
    {
        foreach (var proxy in CrossingLinks(ids)) proxy.Silence();
        Log($"silenced every link between {{{string.Join(",", ids)}}} and the rest");
    }

    /// <summary>Restores every link.</summary>
    public void Heal()
    {
        foreach (var proxy in _proxies.Values) proxy.Restore();
        Log("healed all links");
    }

    private IEnumerable<LinkProxy> CrossingLinks(int[] ids)
    {
        var inside = ids.ToHashSet();
        return _proxies.Where(kv => inside.Contains(kv.Key.From) != inside.Contains(kv.Key.To)).Select(kv => kv.Value).ToList();
    }

    /// <summary>The raw <c>srvr</c> answer of server <paramref name="id"/>, or null when unreachable.</summary>
    public Task<string?> SrvrAsync(int id) => FourLetterWords.AskAsync(_servers[id].ClientPort, "srvr");

    /// <summary>leader, follower or observer; null when not serving (electing), down or unreachable.</summary>
    public async Task<string?> ModeOf(int id) => FourLetterWords.ParseMode(await SrvrAsync(id));

    /// <summary>The last zxid server <paramref name="id"/> applied (srvr's Zxid), or null when not serving.</summary>
    public async Task<long?> ZxidOf(int id) => FourLetterWords.ParseZxid(await SrvrAsync(id));

    /// <summary>"1=leader 2=follower 3=(not serving) 4=(down)": for messages.</summary>
    public async Task<string> DescribeModesAsync()
    {
        var parts = new List<string>();
        foreach (var s in _servers.Values.OrderBy(s => s.Id))
        {
            string mode = !s.IsRunning ? $"({s.Status})" : (await ModeOf(s.Id)) ?? "(not serving)";
            parts.Add($"{s.Id}={mode}");
        }
        return string.Join(" ", parts);
    }

    /// <summary>
    /// Waits until every running server of <paramref name="among"/> (default: all running servers)
    /// serves in the right role: voters as leader or follower with exactly one leader among them,
    /// observers as observer. Returns (and remembers in <see cref="LeaderId"/>) the leader.
    /// </summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout, params int[] among)
    {
        var ids = (among.Length > 0 ? among : [.. _servers.Keys]).Where(id => _servers[id].IsRunning).Order().ToArray();
        var sw = Stopwatch.StartNew();
        string last = "";
        for (int round = 0; sw.Elapsed < timeout && round < 10_000; round++)
        {
            var modes = new Dictionary<int, string?>();
            foreach (int id in ids) modes[id] = await ModeOf(id);
            last = string.Join(" ", modes.Select(kv => $"{kv.Key}={kv.Value ?? "(not serving)"}"));
            var leaders = modes.Where(kv => kv.Value == "leader").Select(kv => kv.Key).ToList();
            bool rolesOk = modes.All(kv => _servers[kv.Key].IsObserver ? kv.Value == "observer" : kv.Value is "leader" or "follower");
            if (rolesOk && leaders.Count == 1)
            {
                LeaderId = leaders[0];
                Log($"leader {LeaderId} after {sw.ElapsedMilliseconds} ms ({last})");
                return LeaderId;
            }
            foreach (int id in ids)
            {
                if (!_servers[id].IsRunning) throw Failure($"server {id} died while waiting for a leader: {_servers[id].Status}");
            }
            await Task.Delay(100);
        }
        throw Failure($"no single leader among {{{string.Join(",", ids)}}} within {timeout.TotalSeconds:0.#} s; last modes: {last}");
    }

    /// <summary>Waits until every running server reports the same applied zxid (writes have quiesced); returns it.</summary>
    public async Task<long> WaitForSameZxidAsync(TimeSpan timeout, params int[] among)
    {
        var ids = (among.Length > 0 ? among : [.. _servers.Keys]).Where(id => _servers[id].IsRunning).ToArray();
        var sw = Stopwatch.StartNew();
        string last = "";
        for (int round = 0; sw.Elapsed < timeout && round < 10_000; round++)
        {
            var zxids = new Dictionary<int, long?>();
            foreach (int id in ids) zxids[id] = await ZxidOf(id);
            last = string.Join(" ", zxids.Select(kv => $"{kv.Key}=0x{kv.Value:x}"));
            if (zxids.Values.All(z => z is not null) && zxids.Values.Distinct().Count() == 1) return zxids.Values.First()!.Value;
            await Task.Delay(100);
        }
        throw Failure($"servers did not converge on one zxid within {timeout.TotalSeconds:0.#} s: {last}");
    }

    /// <summary>"127.0.0.1:p1,127.0.0.1:p2" for <paramref name="ids"/> in that order (default: every server).</summary>
    public string ConnectString(params int[] ids) =>
        string.Join(",", (ids.Length > 0 ? ids : [.. _servers.Keys.Order()]).Select(id => _servers[id].Address));

    /// <summary>A client for <paramref name="ids"/> (tried in that order).</summary>
    public Task<ZkClient> ConnectAsync(TimeSpan sessionTimeout, params int[] ids) =>
        ZkClient.ConnectAsync(ConnectString(ids), sessionTimeout, new ZkClientOptions { ConnectTimeout = TimeSpan.FromSeconds(15) });

    /// <summary>The last lines of every server's log, one block per server.</summary>
    public string LogTails(int lines = 40)
    {
        var sb = new StringBuilder();
        foreach (var s in _servers.Values.OrderBy(s => s.Id))
        {
            sb.Append(CultureInfo.InvariantCulture, $"----- server {s.Id}{(s.IsObserver ? " (observer)" : "")}: {s.Status}, log {s.LogPath} (last {lines} lines) -----\n");
            sb.Append(s.LogTail(lines)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>An exception whose message ends with every server's log tail.</summary>
    public XunitException Failure(string message) => new($"{message}\n\n{LogTails()}");

    /// <summary>Runs a test body; any failure is rethrown with the log tails of every server appended.</summary>
    public async Task RunAsync(Func<Task> body)
    {
        try
        {
            await body();
        }
        catch (Exception e)
        {
            string modes;
            try { modes = await DescribeModesAsync(); } catch (Exception) { modes = "(unknown)"; }
            Log($"FAILED: {e.GetType().Name}: {e.Message}");
            throw new XunitException($"{e.GetType().Name}: {e.Message}\n{e.StackTrace}\n\nmodes at failure: {modes}\n\n{LogTails()}");
        }
    }

    /// <summary>A timestamped line in the test output.</summary>
    public void Log(string message)
    {
        try
        {
            _output?.WriteLine($"[{_clock.Elapsed.TotalSeconds,7:0.000}s] {message}");
        }
        catch (InvalidOperationException)
        {
            // Output after the test finished (e.g. from a background writer): drop it.
        }
    }

    /// <summary>Kills every server we started (by pid), closes the proxies and deletes the directories.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers.Values)
        {
            try { s.Kill(); } catch (Exception e) { Log($"kill of server {s.Id} failed: {e.Message}"); }
        }
        foreach (var p in _proxies.Values) await p.DisposeAsync();
        if (Environment.GetEnvironmentVariable("HOTZK_KEEP_ENSEMBLE_DIRS") != "1")
        {
            for (int attempt = 0; attempt < 5; attempt++)
            {
                try
                {
                    Directory.Delete(Root, recursive: true);
                    break;
                }
                catch (IOException)
                {
                    await Task.Delay(200);
                }
                catch (UnauthorizedAccessException)
                {
                    break;
                }
            }
        }
    }
}
