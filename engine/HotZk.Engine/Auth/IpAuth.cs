using System.Net;

namespace HotZk.Engine.Auth;

/// <summary>The ip scheme: exact addresses and CIDR ranges, IPv4 and IPv6.</summary>
public static class IpAuth
{
    /// <summary>True when <paramref name="aclId"/> parses as an address with optional /bits.</summary>
    public static bool IsValidId(string aclId) => TryParse(aclId, out _, out _);

    /// <summary>True when <paramref name="clientAddress"/> falls inside <paramref name="aclId"/>.</summary>
    public static bool Matches(string aclId, string clientAddress)
    {
        if (!TryParse(aclId, out var net, out int bits)) return false;
        if (!IPAddress.TryParse(clientAddress, out var addr)) return false;
        if (addr.IsIPv4MappedToIPv6 && net.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) addr = addr.MapToIPv4();
        var a = addr.GetAddressBytes();
        var n = net.GetAddressBytes();
        if (a.Length != n.Length) return false;
        for (int i = 0; i < a.Length && bits > 0; i++, bits -= 8)
        {
            int mask = bits >= 8 ? 0xFF : (0xFF << (8 - bits)) & 0xFF;
            if ((a[i] & mask) != (n[i] & mask)) return false;
        }
        return true;
    }

    private static bool TryParse(string id, out IPAddress address, out int bits)
    {
        address = IPAddress.None;
        bits = 0;
        string host = id;
        int slash = id.IndexOf('/');
        if (slash >= 0)
        {
            host = id[..slash];
            if (!int.TryParse(id.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out bits)) return false;
        }
        if (!IPAddress.TryParse(host, out var parsed)) return false;
        // Java's IPAuthenticationProvider accepts dotted IPv4 only with four parts.
        if (parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && host.Split('.').Length != 4) return false;
        int max = parsed.GetAddressBytes().Length * 8;
        if (slash < 0) bits = max;
        if (bits < 0 || bits > max) return false;
        address = parsed;
        return true;
    }
}
