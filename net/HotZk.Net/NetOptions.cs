using System.Net;

namespace HotZk.Net;

/// <summary>Client-port settings (mapped from zoo.cfg by the host).</summary>
public sealed class NetOptions
{
    /// <summary>Address and port to listen on.</summary>
    public IPEndPoint Endpoint { get; init; } = new(IPAddress.Any, 2181);
    /// <summary>Max concurrent connections per client IP (0 = unlimited).</summary>
    public int MaxClientCnxns { get; init; } = 60;
    /// <summary>Max concurrent connections in total (0 = unlimited).</summary>
    public int MaxCnxns { get; init; }
    /// <summary>Largest accepted frame (jute.maxbuffer).</summary>
    public int JuteMaxBuffer { get; init; } = 0xFFFFF;
    /// <summary>Listen backlog (-1 = OS default).</summary>
    public int ListenBacklog { get; init; } = -1;
    /// <summary>Drop connections that do not finish the handshake within this time (ms).</summary>
    public int SessionlessCnxnTimeoutMs { get; init; } = 10000;
    /// <summary>A connection stops being read while this many of its requests are unanswered (globalOutstandingLimit).</summary>
    public int MaxOutstandingPerConnection { get; init; } = 1000;
    /// <summary>Decides which four-letter words may run.</summary>
    public Func<string, bool> FourLetterWordAllowed { get; init; } = cmd => cmd == "srvr";
}
