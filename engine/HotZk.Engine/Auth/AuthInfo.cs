using HotZk.Common;

namespace HotZk.Engine.Auth;

/// <summary>The identities a connection holds: its ip id plus every successful addauth.</summary>
public sealed class AuthInfo
{
    private readonly List<Id> _ids = [];

    /// <summary>Creates the auth info of a connection from <paramref name="remoteAddress"/>.</summary>
    public AuthInfo(string remoteAddress)
    {
        RemoteAddress = remoteAddress;
        _ids.Add(new Id("ip", remoteAddress));
    }

    /// <summary>Remote IP address as text.</summary>
    public string RemoteAddress { get; }

    /// <summary>True once the connection authenticated as super.</summary>
    public bool IsSuper { get; set; }

    /// <summary>The ids, ip first.</summary>
    public IReadOnlyList<Id> Ids => _ids;

    /// <summary>Adds an id (deduplicated).</summary>
    public void Add(Id id)
    {
        if (!_ids.Contains(id)) _ids.Add(id);
    }
}
