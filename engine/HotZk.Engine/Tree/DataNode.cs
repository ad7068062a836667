using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>
/// A detached copy of one znode (tools, tests, imports): data, persisted stat fields and child
/// names. Changing it does not change the tree. <see cref="Cversion"/> is the stored count of
/// child creations; clients see <c>2*Cversion - numChildren</c>.
/// </summary>
public sealed class DataNode
{
    /// <summary>An empty node.</summary>
    public DataNode()
    {
        Children = [];
    }

    /// <summary>A copy of stored fields, data and child names.</summary>
    public DataNode(in ZnodeMeta meta, byte[]? data, List<string> children)
    {
        Meta = meta;
        Data = data;
        Children = children;
    }

    /// <summary>The node's path when it is known (loads, orphans).</summary>
    public string? Path { get; init; }

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

    /// <summary>The persisted fields as one value.</summary>
    public ZnodeMeta Meta
    {
        get => new()
        {
            Czxid = Czxid, Mzxid = Mzxid, Ctime = Ctime, Mtime = Mtime, Version = Version, Cversion = Cversion,
            Aversion = Aversion, EphemeralOwner = EphemeralOwner, Pzxid = Pzxid, AclRef = AclRef,
        };
        set
        {
            Czxid = value.Czxid; Mzxid = value.Mzxid; Ctime = value.Ctime; Mtime = value.Mtime; Version = value.Version;
            Cversion = value.Cversion; Aversion = value.Aversion; EphemeralOwner = value.EphemeralOwner; Pzxid = value.Pzxid;
            AclRef = value.AclRef;
        }
    }

    /// <summary>Child names at the time of the copy.</summary>
    public List<string> Children { get; }

    /// <summary>Number of children at the time of the copy.</summary>
    public int ChildCount => Children.Count;

    /// <summary>The client-visible stat.</summary>
    public Stat ToStat(bool extendedTypesEnabled)
    {
        return Meta.ToStat(ChildCount, Data?.Length ?? 0, extendedTypesEnabled);
    }
}
