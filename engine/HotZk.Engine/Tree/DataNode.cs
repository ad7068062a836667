using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>
/// One znode as stored: data, persisted stat fields and child names. <see cref="Cversion"/> is the
/// stored count of child creations; clients see <c>2*Cversion - numChildren</c>.
/// </summary>
public sealed class DataNode
{
    private static readonly HashSet<string> NoChildren = [];

    /// <summary>Node data (null and empty are distinct on the wire).</summary>
    public byte[]? Data;
    /// <summary>Creation zxid.</summary>
    public long Czxid;
    /// <summary>Last modification zxid.</summary>
    public long Mzxid;
    /// <summary>Creation time (ms).</summary>
    public long Ctime;
    /// <summary>Last modification time (ms).</summary>
    public long Mtime;
    /// <summary>Data version.</summary>
    public int Version;
    /// <summary>Stored cversion: number of child creations.</summary>
    public int Cversion;
    /// <summary>ACL version.</summary>
    public int Aversion;
    /// <summary>Stored ephemeral owner (session id, container or TTL encoding, or 0).</summary>
    public long EphemeralOwner;
    /// <summary>zxid of the last child change.</summary>
    public long Pzxid;
    /// <summary>Reference into the <see cref="AclCache"/>.</summary>
    public long AclRef;

    private HashSet<string>? _children;

    /// <summary>Child names (never null; shared empty set when there are none).</summary>
    public IReadOnlyCollection<string> Children => _children ?? NoChildren;

    /// <summary>Number of children.</summary>
    public int ChildCount => _children?.Count ?? 0;

    /// <summary>Adds a child name.</summary>
    public bool AddChild(string name) => (_children ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);

    /// <summary>Removes a child name.</summary>
    public bool RemoveChild(string name) => _children is not null && _children.Remove(name);

    /// <summary>The client-visible stat.</summary>
    public Stat ToStat(bool extendedTypesEnabled)
    {
        int n = ChildCount;
        return new Stat(Czxid, Mzxid, Ctime, Mtime, Version, (Cversion * 2) - n, Aversion,
            EphemeralTypes.VisibleOwner(EphemeralOwner, extendedTypesEnabled), Data?.Length ?? 0, n, Pzxid);
    }
}
