using System.Diagnostics;
using System.Text;

namespace HotZk.Ensemble.Tests;

/// <summary>
/// One ensemble member: its ports, directories and (while running) its <c>hotzk-server</c> process.
/// Layout: <c>Dir/zoo.cfg</c>, <c>Dir/server.log</c> (stdout and stderr of every start, appended) and
/// <c>Dir/data</c> (the dataDir, holding <c>myid</c>).
/// </summary>
public sealed class EnsembleServer
{
    private Process? _process;
    private int _starts;

    public EnsembleServer(int id, bool observer, string dir, int clientPort, int quorumPort, int electionPort)
    {
        Id = id;
        IsObserver = observer;
        Dir = dir;
        ClientPort = clientPort;
        QuorumPort = quorumPort;
        ElectionPort = electionPort;
        Directory.CreateDirectory(DataDir);
        WriteMyId();
    }

    public int Id { get; }
    public bool IsObserver { get; }
    public string Dir { get; }
    public string DataDir => Path.Combine(Dir, "data");
    public string ConfigPath => Path.Combine(Dir, "zoo.cfg");
    public string LogPath => Path.Combine(Dir, "server.log");
    public int ClientPort { get; }
    public int QuorumPort { get; }
    public int ElectionPort { get; }
    public string Address => $"127.0.0.1:{ClientPort}";

    /// <summary>True while the process we started is alive.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The live process id, or null.</summary>
    public int? Pid => IsRunning ? _process!.Id : null;

    /// <summary>"running (pid N)", "killed", "exited with code N": for diagnostics.</summary>
    public string Status => _process is null ? "not started / killed" : _process.HasExited ? $"exited with code {_process.ExitCode}" : $"running (pid {_process.Id})";

    /// <summary>Size of the log file now: pass it to <see cref="LogSince"/> to read only what a later phase printed.</summary>
    public long LogLength => File.Exists(LogPath) ? new FileInfo(LogPath).Length : 0;

    /// <summary>
    /// Starts <c>dotnet hotzk-server.dll server zoo.cfg</c>. The shell <c>exec</c>s dotnet, so the pid we
    /// hold is the server's and its output goes straight to the log file (nothing to pump, nothing lost
    /// when the server is killed).
    /// </summary>
    public void Start()
    {
        if (IsRunning) throw new InvalidOperationException($"server {Id} is already running");
        _starts++;
        File.AppendAllText(LogPath, $"===== harness: start #{_starts} of server {Id} at {DateTime.UtcNow:HH:mm:ss.fff} =====\n");
        string dll = Path.Combine(AppContext.BaseDirectory, "hotzk-server.dll");
        var psi = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = false,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec dotnet \"$0\" server \"$1\" >>\"$2\" 2>&1 </dev/null");
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add(ConfigPath);
        psi.ArgumentList.Add(LogPath);
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start server {Id}");
    }

    /// <summary>SIGKILL by pid (no shutdown hooks, no flush) and wait for the exit.</summary>
    public void Kill()
    {
        var p = _process;
        if (p is null) return;
        if (!p.HasExited)
        {
            File.AppendAllText(LogPath, $"===== harness: kill -9 of server {Id} (pid {p.Id}) at {DateTime.UtcNow:HH:mm:ss.fff} =====\n");
            p.Kill(entireProcessTree: false);
            if (!p.WaitForExit(10_000)) throw new InvalidOperationException($"server {Id} (pid {p.Id}) did not die after SIGKILL");
        }
        p.Dispose();
        _process = null;
    }

    /// <summary>Deletes the data directory's contents except <c>myid</c> (the server must be down).</summary>
    public void WipeData()
    {
        if (IsRunning) throw new InvalidOperationException($"server {Id} is running; kill it before wiping its data");
        Directory.Delete(DataDir, recursive: true);
        Directory.CreateDirectory(DataDir);
        WriteMyId();
    }

    /// <summary>The last <paramref name="lines"/> lines of the log file.</summary>
    public string LogTail(int lines)
    {
        if (!File.Exists(LogPath)) return "(no log)";
        var all = ReadLog(0).Split('\n');
        return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
    }

    /// <summary>What the log file holds from byte <paramref name="offset"/> on.</summary>
    public string LogSince(long offset) => File.Exists(LogPath) ? ReadLog(offset) : "";

    private string ReadLog(long offset)
    {
        using var fs = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        fs.Seek(Math.Min(offset, fs.Length), SeekOrigin.Begin);
        using var reader = new StreamReader(fs, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private void WriteMyId() => File.WriteAllText(Path.Combine(DataDir, "myid"), $"{Id}\n");
}
