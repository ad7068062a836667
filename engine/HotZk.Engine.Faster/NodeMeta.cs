using System.Runtime.InteropServices;

namespace HotZk.Engine.Faster;

/// <summary>
/// The fixed-size part of a znode record: the persisted stat fields, the ACL reference and the
/// data length. Stored little-endian, exactly <see cref="Size"/> bytes, at the start of every
/// FASTER value (see engine/FASTER-NODESTORE.md for the byte layout).
/// </summary>
/// <remarks>
/// <see cref="DataLength"/> is owned by the store: it is ignored on
/// <c>FasterNodeStore.Upsert</c> (the data argument decides it) and preserved by
/// <c>FasterNodeStore.UpdateMeta</c>. Reads report it, so a Stat can be built without
/// touching the data bytes.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = Size)]
public struct NodeMeta : IEquatable<NodeMeta>
{
    /// <summary>Bytes of the fixed part on disk and in memory.</summary>
    public const int Size = 72;

    /// <summary>Creation zxid.</summary>
    [FieldOffset(0)] public long Czxid;
    /// <summary>Last modification zxid.</summary>
    [FieldOffset(8)] public long Mzxid;
    /// <summary>Creation time (ms).</summary>
    [FieldOffset(16)] public long Ctime;
    /// <summary>Last modification time (ms).</summary>
    [FieldOffset(24)] public long Mtime;
    /// <summary>Stored ephemeral owner (session id, container or TTL encoding, or 0).</summary>
    [FieldOffset(32)] public long EphemeralOwner;
    /// <summary>zxid of the last child change.</summary>
    [FieldOffset(40)] public long Pzxid;
    /// <summary>Reference into the engine's ACL cache.</summary>
    [FieldOffset(48)] public long AclRef;
    /// <summary>Data version.</summary>
    [FieldOffset(56)] public int Version;
    /// <summary>Stored cversion: the number of child creations.</summary>
    [FieldOffset(60)] public int Cversion;
    /// <summary>ACL version.</summary>
    [FieldOffset(64)] public int Aversion;
    /// <summary>Length of the data in bytes; -1 means null data (distinct from empty).</summary>
    [FieldOffset(68)] public int DataLength;

    /// <inheritdoc />
    public readonly bool Equals(NodeMeta other) =>
        Czxid == other.Czxid && Mzxid == other.Mzxid && Ctime == other.Ctime && Mtime == other.Mtime
        && EphemeralOwner == other.EphemeralOwner && Pzxid == other.Pzxid && AclRef == other.AclRef
        && Version == other.Version && Cversion == other.Cversion && Aversion == other.Aversion
        && DataLength == other.DataLength;

    /// <inheritdoc />
    public override readonly bool Equals(object? obj) => obj is NodeMeta m && Equals(m);

    /// <inheritdoc />
    public override readonly int GetHashCode() => HashCode.Combine(Czxid, Mzxid, Version, Cversion, Aversion, Pzxid, DataLength);

    /// <summary>Field-wise equality.</summary>
    public static bool operator ==(NodeMeta left, NodeMeta right) => left.Equals(right);

    /// <summary>Field-wise inequality.</summary>
    public static bool operator !=(NodeMeta left, NodeMeta right) => !left.Equals(right);

    /// <inheritdoc />
    public override readonly string ToString() =>
        $"czxid={Czxid} mzxid={Mzxid} ctime={Ctime} mtime={Mtime} version={Version} cversion={Cversion} " +
        $"aversion={Aversion} ephemeralOwner={EphemeralOwner} pzxid={Pzxid} aclRef={AclRef} dataLength={DataLength}";
}
