namespace HotZk.Client;

/// <summary>A parsed <c>host:port[,host:port...][/chroot]</c> connect string.</summary>
internal sealed class ConnectString
{
    private ConnectString(IReadOnlyList<(string Host, int Port)> hosts, string? chroot)
    {
        Hosts = hosts;
        Chroot = chroot;
    }

    public IReadOnlyList<(string Host, int Port)> Hosts { get; }

    /// <summary>Server-side prefix without trailing slash, or null for none.</summary>
    public string? Chroot { get; }

    public static ConnectString Parse(string connectString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectString);
        string? chroot = null;
        int slash = connectString.IndexOf('/');
        string hostPart = connectString;
        if (slash >= 0)
        {
            chroot = connectString[slash..].TrimEnd('/');
            hostPart = connectString[..slash];
            if (chroot.Length == 0) chroot = null;
        }
        var hosts = new List<(string, int)>();
        foreach (var raw in hostPart.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string host = raw;
            int port = 2181;
            int colon = raw.LastIndexOf(':');
            int bracket = raw.LastIndexOf(']');
            if (colon > bracket)
            {
                host = raw[..colon];
                if (!int.TryParse(raw[(colon + 1)..], out port) || port is <= 0 or > 65535)
                    throw new ArgumentException($"bad port in '{raw}'", nameof(connectString));
            }
            hosts.Add((host.Trim('[', ']'), port));
        }
        if (hosts.Count == 0) throw new ArgumentException("no hosts in connect string", nameof(connectString));
        return new ConnectString(hosts, chroot);
    }
}
