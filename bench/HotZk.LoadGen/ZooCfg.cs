using System.Globalization;
using System.Text;

namespace HotZk.LoadGen;

/// <summary>One ensemble member's line: <c>server.Id=127.0.0.1:QuorumPort:ElectionPort</c>.</summary>
internal readonly record struct QuorumMember(int Id, int QuorumPort, int ElectionPort);

/// <summary>The zoo.cfg every target of the bench commands gets: only ports and directories differ.</summary>
internal static class ZooCfg
{
    /// <summary>
    /// The text of one member's zoo.cfg. <paramref name="servers"/> empty = standalone; otherwise
    /// the same <c>server.N</c> lines go to every member, with its own dataDir (holding myid) and client port.
    /// </summary>
    public static string Build(int tickTime, string dataDir, string clientPort, IReadOnlyList<QuorumMember> servers)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"""
            # Identical settings for every target of hotzk bench compare / failover.
            tickTime={tickTime}
            initLimit=10
            syncLimit=5
            dataDir={dataDir}
            clientPort={clientPort}
            clientPortAddress=127.0.0.1
            maxClientCnxns=0
            forceSync=yes
            admin.enableServer=false
            4lw.commands.whitelist=ruok,srvr,stat,mntr,conf

            """);
        foreach (var s in servers) sb.Append(CultureInfo.InvariantCulture, $"server.{s.Id}=127.0.0.1:{s.QuorumPort}:{s.ElectionPort}\n");
        return sb.ToString();
    }

    /// <summary>The zoo.cfg for the report, with placeholders where members differ.</summary>
    public static string Template(int tickTime, int members)
    {
        var servers = Enumerable.Range(1, members > 1 ? members : 0).Select(i => new QuorumMember(i, 0, 0)).ToList();
        string text = Build(tickTime, members > 1 ? "<fresh temp dir per member, holding myid>" : "<fresh temp dir>", "<free port>", servers);
        return text.Replace(":0:0\n", ":<free quorum port>:<free election port>\n", StringComparison.Ordinal);
    }
}
