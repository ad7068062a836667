using System.Net;
using System.Net.Sockets;

namespace HotZk.Ensemble.Tests;

/// <summary>
/// Distinct free loopback ports for servers. They come from below the kernel's ephemeral range
/// (32768+ on Linux) so that no outgoing connection or <see cref="LinkProxy"/> (which bind port 0)
/// can take the port of a killed server before it restarts; all candidates stay bound until every
/// port is chosen, so none repeats.
/// </summary>
public static class FreePorts
{
    private const int Low = 20_000;
    private const int High = 32_000;

    public static int[] Take(int count)
    {
        var held = new List<Socket>(count);
        try
        {
            for (int attempt = 0; held.Count < count && attempt < 1000; attempt++)
            {
                int port = Random.Shared.Next(Low, High);
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    s.Bind(new IPEndPoint(IPAddress.Loopback, port));
                    held.Add(s);
                }
                catch (SocketException)
                {
                    s.Dispose();
                }
            }
            if (held.Count < count) throw new InvalidOperationException($"found only {held.Count} of {count} free ports in {Low}-{High}");
            return held.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port).ToArray();
        }
        finally
        {
            foreach (var s in held) s.Dispose();
        }
    }
}
