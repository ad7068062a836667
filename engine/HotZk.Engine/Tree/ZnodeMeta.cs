using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>
/// The persisted fields of a znode (what a snapshot stores besides path and data).
/// <see cref="Cversion"/> is the stored count of child creations; clients see <c>2*Cversion - numChildren</c>.
/// </summary>
public struct ZnodeMeta
{
    /// <summary>Creation zxid.</summary>
    public long Czxid;
    /// <summary>Last modification zxid.</summary>
    public long Mzxid;
    /// <summary>Creation time (ms).</summary>
    public long Ctime;
    /// <summary>Last modification time (ms).</summary>
    public long Mtime;
    /// <summary>Stored ephemeral owner (session id, container or TTL encoding, or 0).</summary>
    public long EphemeralOwner;
    /// <summary>zxid of the last child change.</summary>
    public long Pzxid;
    /// <summary>Reference into the <see cref="AclCache"/>.</summary>
    public long AclRef;
    /// <summary>Data version.</summary>
    public int Version;
    /// <summary>Stored cversion: number of child creations.</summary>
    public int Cversion;
    /// <summary>ACL version.</summary>
    public int Aversion;

    /// <summary>The client-visible stat of a node with these fields.</summary>
    public readonly Stat ToStat(int childCount, int dataLength, bool extendedTypesEnabled) =>
        new(Czxid, Mzxid, Ctime, Mtime, Version, (Cversion * 2) - childCount, Aversion,
            EphemeralTypes.VisibleOwner(EphemeralOwner, extendedTypesEnabled), dataLength, childCount, Pzxid);
}
