using HotZk.Common;

namespace HotZk.Engine.Processing;

/// <summary>
/// The state of one path as seen by prep, including writes that are logged but not yet applied
/// (ZooKeeper's outstanding ChangeRecord).
/// </summary>
public sealed class ChangeRecord
{
    /// <summary>zxid of the txn that produced this state (0 when read from the tree).</summary>
    public long Zxid;
    /// <summary>Path.</summary>
    public string Path = "";
    /// <summary>False for a pending delete.</summary>
    public bool Exists;
    /// <summary>Data version.</summary>
    public int Version;
    /// <summary>Stored cversion (creation count).</summary>
    public int Cversion;
    /// <summary>ACL version.</summary>
    public int Aversion;
    /// <summary>Stored ephemeral owner.</summary>
    public long EphemeralOwner;
    /// <summary>Number of children.</summary>
    public int ChildCount;
    /// <summary>ACL list.</summary>
    public Acl[] Acl = [];

    /// <summary>Sets every field; returns this record.</summary>
    public ChangeRecord Set(long zxid, string path, bool exists, int version, int cversion, int aversion, long ephemeralOwner, int childCount, Acl[] acl)
    {
        Zxid = zxid;
        Path = path;
        Exists = exists;
        Version = version;
        Cversion = cversion;
        Aversion = aversion;
        EphemeralOwner = ephemeralOwner;
        ChildCount = childCount;
        Acl = acl;
        return this;
    }

    /// <summary>A copy to modify (pending records are immutable once published).</summary>
    public ChangeRecord Duplicate(long zxid) => new()
    {
        Zxid = zxid,
        Path = Path,
        Exists = Exists,
        Version = Version,
        Cversion = Cversion,
        Aversion = Aversion,
        EphemeralOwner = EphemeralOwner,
        ChildCount = ChildCount,
        Acl = Acl,
    };
}
