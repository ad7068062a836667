namespace HotZk.Engine.Tree;

/// <summary>
/// One znode slot of the <see cref="NodeTable"/>: a reference-free struct, so a million of them are
/// a few large arrays the garbage collector never traces. Links are slot ids (-1 = none).
/// </summary>
internal struct NodeRecord
{
    public ZnodeMeta Meta;
    /// <summary>Stable 64-bit hash of the UTF-8 path (index key and digest seed).</summary>
    public ulong PathHash;
    /// <summary>This node's current contribution to the tree digest.</summary>
    public ulong Digest;
    /// <summary>Off-heap block: the name's UTF-8 bytes, then the data.</summary>
    public nint Block;
    /// <summary>Length of the name (last path component) in bytes; -1 marks a free slot.</summary>
    public int NameLength;
    /// <summary>Data length; -1 for null data.</summary>
    public int DataLength;
    public int Parent;
    public int FirstChild;
    public int NextSibling;
    public int PrevSibling;
    public int ChildCount;
    /// <summary>Next slot in the same hash bucket, plus one (0 ends the chain); free slots chain through it too.</summary>
    public int HashNext;

    public readonly int BlockLength => NameLength + Math.Max(DataLength, 0);
}
