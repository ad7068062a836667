namespace HotZk.Engine.Tree;

/// <summary>What kind of node a stored ephemeralOwner value denotes.</summary>
public enum NodeKind
{
    /// <summary>Persistent.</summary>
    Persistent,
    /// <summary>Ephemeral (owner is a session).</summary>
    Ephemeral,
    /// <summary>Container.</summary>
    Container,
    /// <summary>TTL node.</summary>
    Ttl,
}

/// <summary>The ephemeralOwner encodings of containers and TTL nodes (zk-protocol.md §7.3).</summary>
public static class EphemeralTypes
{
    /// <summary>Stored owner of a container node.</summary>
    public const long ContainerOwner = long.MinValue;

    /// <summary>Largest TTL (40 bits of milliseconds).</summary>
    public const long MaxTtl = (1L << 40) - 1;

    private const long TtlMarker = unchecked((long)0xFF00_0000_0000_0000UL);

    /// <summary>Encodes a TTL into an owner value.</summary>
    public static long TtlOwner(long ttl) => TtlMarker | (ttl & MaxTtl);

    /// <summary>Classifies a stored owner.</summary>
    public static NodeKind KindOf(long owner, bool extendedTypesEnabled)
    {
        if (owner == 0) return NodeKind.Persistent;
        if (owner == ContainerOwner) return NodeKind.Container;
        if (extendedTypesEnabled && (owner & TtlMarker) == TtlMarker && ((owner >> 40) & 0xFFFF) == 0) return NodeKind.Ttl;
        return NodeKind.Ephemeral;
    }

    /// <summary>TTL of a TTL node's owner value.</summary>
    public static long TtlOf(long owner) => owner & MaxTtl;

    /// <summary>The owner clients see: the session for ephemerals, else 0.</summary>
    public static long VisibleOwner(long owner, bool extendedTypesEnabled) =>
        KindOf(owner, extendedTypesEnabled) == NodeKind.Ephemeral ? owner : 0;
}
