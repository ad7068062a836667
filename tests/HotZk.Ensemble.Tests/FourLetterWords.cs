using System.Net;
using System.Net.Sockets;
using System.Text;

namespace HotZk.Ensemble.Tests;

/// <summary>Four-letter-word commands over a fresh loopback connection, bounded in time.</summary>
public static class FourLetterWords
{
    /// <summary>The server's answer to <paramref name="command"/>, or null when it could not be reached in time.</summary>
    public static async Task<string?> AskAsync(int port, string command, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(2));
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            await socket.SendAsync(Encoding.ASCII.GetBytes(command), SocketFlags.None, cts.Token);
            var sb = new StringBuilder();
            var buf = new byte[4096];
            while (true)
            {
                int n = await socket.ReceiveAsync(buf, SocketFlags.None, cts.Token);
                if (n == 0) break;
                sb.Append(Encoding.UTF8.GetString(buf, 0, n));
            }
            return sb.ToString();
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>The <c>Mode:</c> value of <c>srvr</c> (leader, follower, observer, standalone), or null when not serving or unreachable.</summary>
    public static string? ParseMode(string? srvr) => Field(srvr, "Mode: ");

    /// <summary>The <c>Zxid:</c> value of <c>srvr</c>, or null.</summary>
    public static long? ParseZxid(string? srvr)
    {
        string? hex = Field(srvr, "Zxid: ");
        if (hex is null) return null;
        if (hex.StartsWith("0x", StringComparison.Ordinal)) hex = hex[2..];
        return long.TryParse(hex, System.Globalization.NumberStyles.HexNumber, null, out long z) ? z : null;
    }

    private static string? Field(string? text, string prefix)
    {
        if (text is null) return null;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal)) return line[prefix.Length..].Trim();
        }
        return null;
    }
}
