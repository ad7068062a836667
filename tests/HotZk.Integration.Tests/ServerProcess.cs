using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace HotZk.Integration.Tests;

/// <summary>A hotzk-server child process on loopback, for crash and restart tests.</summary>
public sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process p, int port)
    {
        _process = p;
        Port = port;
    }

    public int Port { get; }
    public int Pid => _process.Id;

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    /// <summary>Lines the server printed (stdout and stderr) so far.</summary>
    public IReadOnlyCollection<string> Output => _output;
    public IPEndPoint Endpoint => new(IPAddress.Loopback, Port);

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static string WriteConfig(string dataDir, int port, string extra = "")
    {
        string cfg = Path.Combine(dataDir, "zoo.cfg");
        File.WriteAllText(cfg, $"tickTime=500\ndataDir={dataDir}\nclientPort={port}\nclientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n{extra}");
        return cfg;
    }

    public static async Task<ServerProcess> StartAsync(string configPath, int port)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "hotzk-server.dll");
        var psi = new ProcessStartInfo("dotnet", $"\"{dll}\" server \"{configPath}\"")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start hotzk-server");
        var sp = new ServerProcess(p, port);
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) sp._output.Enqueue(e.Data); };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) sp._output.Enqueue(e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        if (await WaitForRuokAsync(p, port, TimeSpan.FromSeconds(30))) return sp;
        sp.Kill();
        throw new TimeoutException("hotzk-server did not start within 30 s");
    }

    /// <summary>Polls <c>ruok</c> on the port until the process answers (true), exits or the time runs out (false).</summary>
    public static async Task<bool> WaitForRuokAsync(Process p, int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited) throw new InvalidOperationException($"server process exited with {p.ExitCode}");
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                var s = c.GetStream();
                await s.WriteAsync("ruok"u8.ToArray());
                var buf = new byte[4];
                if (await s.ReadAsync(buf) == 4) return true;
            }
            catch (SocketException) { }
            catch (IOException) { }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>
    /// Polls <c>srvr</c> until the server reports a mode (true). ZooKeeper answers <c>ruok</c> before
    /// its database is loaded, and a client that connects in that window can be left without an
    /// answer (3.8 fails to close such a connection), so "started" means "serving".
    /// </summary>
    public static async Task<bool> WaitForServingAsync(Process p, int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited) throw new InvalidOperationException($"server process exited with {p.ExitCode}");
            try
            {
                using var c = new TcpClient();
                await c.ConnectAsync(IPAddress.Loopback, port);
                var s = c.GetStream();
                await s.WriteAsync("srvr"u8.ToArray());
                using var reader = new StreamReader(s);
                string text = await reader.ReadToEndAsync();
                if (text.Contains("Mode: ", StringComparison.Ordinal)) return true;
            }
            catch (SocketException) { }
            catch (IOException) { }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush.</summary>
    public void Kill()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10000);
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }
}
