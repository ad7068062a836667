using System.Diagnostics;

namespace HotZk.LoadGen;

/// <summary>One started server (standalone, or one member of an ensemble): process, ports, files.</summary>
internal sealed class ServerInstance
{
    public required ServerTarget Target { get; init; }
    /// <summary>The server id (myid); 1 for a standalone server.</summary>
    public required int Id { get; init; }
    public required int Port { get; init; }
    public required string Cfg { get; init; }
    public required string Log { get; init; }
    public required string WorkDir { get; init; }
    public required bool InEnsemble { get; init; }
    /// <summary>The current process (replaced when the member is restarted).</summary>
    public required Process Process { get; set; }
    public Endpoint Endpoint => new("127.0.0.1", Port);
    public string Connect => Endpoint.ToString();
    public bool Dead { get; set; }

    /// <summary>The <c>Mode:</c> of srvr (standalone, leader, follower, observer), or "" when not serving.</summary>
    public string Mode()
    {
        foreach (var line in Compare.FourLetter("127.0.0.1", Port, "srvr").Split('\n'))
        {
            if (line.StartsWith("Mode:", StringComparison.Ordinal)) return line["Mode:".Length..].Trim();
        }
        return "";
    }

    public bool Exited
    {
        get
        {
            try
            {
                return Process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true;
            }
        }
    }

    public string LogTail(int lines = 30)
    {
        try
        {
            var all = File.ReadAllLines(Log);
            return string.Join('\n', all.Skip(Math.Max(0, all.Length - lines)));
        }
        catch (IOException)
        {
            return "";
        }
    }
}
