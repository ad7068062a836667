using System.Globalization;

namespace HotZk.LoadGen;

/// <summary>One server address of a connect string.</summary>
internal readonly record struct Endpoint(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>
    /// Splits a ZooKeeper connect string <c>h1:p1,h2:p2[/chroot]</c> into its addresses, in order
    /// (a missing port is 2181; a chroot suffix is ignored: the load generator does not use one).
    /// </summary>
    public static IReadOnlyList<Endpoint> ParseList(string connect)
    {
        string hosts = connect;
        int slash = hosts.IndexOf('/');
        if (slash >= 0) hosts = hosts[..slash];
        var list = new List<Endpoint>();
        foreach (var part in hosts.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = part.LastIndexOf(':');
            if (colon < 0)
            {
                list.Add(new Endpoint(part, 2181));
                continue;
            }
            if (!int.TryParse(part[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
                throw new ArgumentException($"bad port in connect address '{part}'");
            list.Add(new Endpoint(part[..colon], port));
        }
        if (list.Count == 0) throw new ArgumentException($"no address in connect string '{connect}'");
        return list;
    }

    /// <summary>The address session <paramref name="index"/> uses: round-robin over the list.</summary>
    public static Endpoint For(IReadOnlyList<Endpoint> list, int index) => list[(int)((uint)index % (uint)list.Count)];

    /// <summary>A connect string of <paramref name="list"/>.</summary>
    public static string Join(IEnumerable<Endpoint> list) => string.Join(',', list);
}
