using System.IO.Hashing;

namespace HotZk.Engine.Tree;

/// <summary>
/// The storage of the znode tree: <see cref="NodeRecord"/> slots in native 2 MiB chunks, names
/// and data in a <see cref="NativeBlockArena"/>, a chained hash index from the UTF-8 path to the
/// slot, and child lists as sibling links. No string or object exists per znode: a path is
/// matched by walking the parent links and comparing names. Single-threaded (the engine thread).
/// </summary>
internal sealed unsafe class NodeTable : IDisposable
{
    /// <summary>The root's slot; it is never freed.</summary>
    public const int RootId = 0;

    private const int ChunkBits = 14;
    private const int ChunkSize = 1 << ChunkBits;
    private const int ChunkMask = ChunkSize - 1;

    // Slot chunks are native regions of exactly one huge page (16384 x 128 B), owned by the arena.
    private nint[] _chunks = new nint[4];
    private int _chunkCount;
    private int _highWater;
    private int _freeSlot = -1;
    private int[] _buckets;
    private int _bucketBits;
    // A secret odd multiplier picks the bucket from the path hash, so nobody can aim many paths at one chain.
    private readonly ulong _mult = (ulong)Random.Shared.NextInt64() | 1UL;
    private readonly NativeBlockArena _arena = new();

    /// <summary>Creates a table holding only the root ("/", no name, empty data).</summary>
    public NodeTable()
    {
        _bucketBits = 10;
        _buckets = new int[1 << _bucketBits];
        int root = AllocSlot();
        ref var r = ref this[root];
        r = default;
        r.NameLength = 0;
        r.Parent = -1;
        r.FirstChild = r.NextSibling = r.PrevSibling = -1;
        r.PathHash = HashPath("/"u8);
        LinkHash(root, ref r);
        Count = 1;
    }

    /// <summary>Live znodes, the root included.</summary>
    public int Count { get; private set; }

    /// <summary>Slots ever used: every live id is below it.</summary>
    public int HighWater => _highWater;

    /// <summary>
    /// How many nodes were ever removed: a slot id remembered together with this count still names the
    /// same node while the count is unchanged (a removed slot may be reused by another path).
    /// </summary>
    public long Removals { get; private set; }

    /// <summary>The parent part of a UTF-8 path ("/" for top-level nodes); <paramref name="slash"/> is the last '/' (-1 for none).</summary>
    public static ReadOnlySpan<byte> ParentOf(ReadOnlySpan<byte> utf8Path, out int slash)
    {
        slash = utf8Path.LastIndexOf((byte)'/');
        return slash <= 0 ? "/"u8 : utf8Path[..slash];
    }

    /// <summary>Native bytes held for names and data.</summary>
    public long NativeBytes => _arena.ReservedBytes;

    /// <summary>Native bytes in use for names and data (size-class rounded).</summary>
    public long NativeBytesInUse => _arena.AllocatedBytes;

    /// <summary>Bytes of the slot chunks (native) and the index (managed).</summary>
    public long IndexBytes => ((long)_chunkCount * ChunkSize * sizeof(NodeRecord)) + (_buckets.Length * 4L);

    /// <summary>The record of a slot.</summary>
    public ref NodeRecord this[int id] => ref ((NodeRecord*)_chunks[id >> ChunkBits])[id & ChunkMask];

    /// <summary>True when <paramref name="id"/> holds a live znode.</summary>
    public bool IsLive(int id) => id >= 0 && id < _highWater && this[id].NameLength >= 0;

    /// <summary>The stable hash of a UTF-8 path (also the seed of the node's digest).</summary>
    public static ulong HashPath(ReadOnlySpan<byte> utf8Path) => XxHash3.HashToUInt64(utf8Path);

    /// <summary>The name bytes of a node.</summary>
    public ReadOnlySpan<byte> NameOf(int id)
    {
        ref var r = ref this[id];
        return NativeBlockArena.Span(r.Block, r.NameLength);
    }

    /// <summary>The data bytes of a node (empty for null data).</summary>
    public ReadOnlySpan<byte> DataOf(int id)
    {
        ref var r = ref this[id];
        return r.DataLength <= 0 ? default : NativeBlockArena.Span(r.Block + r.NameLength, r.DataLength);
    }

    /// <summary>The slot of a path, or -1.</summary>
    public int Find(ReadOnlySpan<byte> utf8Path) => Find(utf8Path, HashPath(utf8Path));

    /// <summary>The slot of a path whose hash is known, or -1.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public int Find(ReadOnlySpan<byte> utf8Path, ulong hash)
    {
        for (int i = _buckets[Bucket(hash)]; i != 0;)
        {
            ref var r = ref this[i - 1];
            if (r.PathHash == hash && PathEquals(i - 1, utf8Path)) return i - 1;
            i = r.HashNext;
        }
        return -1;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private bool PathEquals(int id, ReadOnlySpan<byte> q)
    {
        if (id == RootId) return q.Length == 1 && q[0] == (byte)'/';
        while (true)
        {
            ref var r = ref this[id];
            var name = NativeBlockArena.Span(r.Block, r.NameLength);
            int n = name.Length;
            if (q.Length < n + 1 || q[q.Length - n - 1] != (byte)'/' || !q[(q.Length - n)..].SequenceEqual(name)) return false;
            q = q[..(q.Length - n - 1)];
            id = r.Parent;
            if (id == RootId) return q.Length == 0;
            if (id < 0) return false;
        }
    }

    /// <summary>Length in bytes of a node's UTF-8 path.</summary>
    public int PathLength(int id)
    {
        if (id == RootId) return 1;
        int len = 0;
        while (id != RootId)
        {
            ref var r = ref this[id];
            len += r.NameLength + 1;
            id = r.Parent;
        }
        return len;
    }

    /// <summary>Writes a node's UTF-8 path into <paramref name="dest"/> (at least <see cref="PathLength"/> bytes); returns its length.</summary>
    public int WritePath(int id, Span<byte> dest)
    {
        int len = PathLength(id);
        if (id == RootId)
        {
            dest[0] = (byte)'/';
            return 1;
        }
        int end = len;
        while (id != RootId)
        {
            ref var r = ref this[id];
            int n = r.NameLength;
            NativeBlockArena.Span(r.Block, n).CopyTo(dest[(end - n)..end]);
            end -= n + 1;
            dest[end] = (byte)'/';
            id = r.Parent;
        }
        return len;
    }

    /// <summary>Adds a child of <paramref name="parent"/>; the caller has checked that the path is absent.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public int Insert(int parent, ulong pathHash, ReadOnlySpan<byte> name, in ZnodeMeta meta, ReadOnlySpan<byte> data, bool dataIsNull)
    {
        int id = AllocSlot();
        int blockLength = name.Length + (dataIsNull ? 0 : data.Length);
        nint block = _arena.Allocate(blockLength);
        name.CopyTo(NativeBlockArena.Span(block, name.Length));
        if (!dataIsNull) data.CopyTo(NativeBlockArena.Span(block + name.Length, data.Length));

        ref var r = ref this[id];
        r = default;
        r.Meta = meta;
        r.PathHash = pathHash;
        r.Block = block;
        r.NameLength = name.Length;
        r.DataLength = dataIsNull ? -1 : data.Length;
        r.Parent = parent;
        r.FirstChild = -1;
        r.PrevSibling = -1;

        ref var p = ref this[parent];
        r.NextSibling = p.FirstChild;
        if (p.FirstChild >= 0) this[p.FirstChild].PrevSibling = id;
        p.FirstChild = id;
        p.ChildCount++;

        LinkHash(id, ref r);
        Count++;
        if (Count > _buckets.Length) GrowIndex();
        return id;
    }

    /// <summary>Replaces a node's data, reusing its block when the size class allows.</summary>
    public void SetData(int id, ReadOnlySpan<byte> data, bool dataIsNull)
    {
        ref var r = ref this[id];
        int oldLength = r.BlockLength;
        int newLength = r.NameLength + (dataIsNull ? 0 : data.Length);
        if (!NativeBlockArena.SameClass(oldLength, newLength))
        {
            nint block = _arena.Allocate(newLength);
            NativeBlockArena.Span(r.Block, r.NameLength).CopyTo(NativeBlockArena.Span(block, r.NameLength));
            _arena.Free(r.Block, oldLength);
            r.Block = block;
        }
        if (!dataIsNull) data.CopyTo(NativeBlockArena.Span(r.Block + r.NameLength, data.Length));
        r.DataLength = dataIsNull ? -1 : data.Length;
    }

    /// <summary>Removes a node that has no children.</summary>
    public void Remove(int id)
    {
        if (id == RootId) throw new InvalidOperationException("the root cannot be removed");
        ref var r = ref this[id];
        if (r.ChildCount != 0) throw new InvalidOperationException("a node with children cannot be removed");

        int b = Bucket(r.PathHash);
        if (_buckets[b] == id + 1)
        {
            _buckets[b] = r.HashNext;
        }
        else
        {
            for (int i = _buckets[b]; i != 0;)
            {
                ref var q = ref this[i - 1];
                if (q.HashNext == id + 1)
                {
                    q.HashNext = r.HashNext;
                    break;
                }
                i = q.HashNext;
            }
        }

        if (r.PrevSibling >= 0) this[r.PrevSibling].NextSibling = r.NextSibling;
        else this[r.Parent].FirstChild = r.NextSibling;
        if (r.NextSibling >= 0) this[r.NextSibling].PrevSibling = r.PrevSibling;
        this[r.Parent].ChildCount--;

        _arena.Free(r.Block, r.BlockLength);
        r = default;
        r.NameLength = -1;
        r.HashNext = _freeSlot + 1;
        _freeSlot = id;
        Count--;
        Removals++;
    }

    /// <summary>Sizes the slot arrays and the index for <paramref name="count"/> nodes up front (loads).</summary>
    public void Reserve(int count)
    {
        while (_chunkCount * ChunkSize < count) AddChunk();
        if (count > _buckets.Length)
        {
            while ((1 << _bucketBits) < count) _bucketBits++;
            _bucketBits--; // GrowIndex adds one
            GrowIndex();
        }
    }

    private int Bucket(ulong hash) => (int)((hash * _mult) >> (64 - _bucketBits));

    private void LinkHash(int id, ref NodeRecord r)
    {
        int b = Bucket(r.PathHash);
        r.HashNext = _buckets[b];
        _buckets[b] = id + 1;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private void GrowIndex()
    {
        _bucketBits++;
        _buckets = new int[1 << _bucketBits];
        for (int id = 0; id < _highWater; id++)
        {
            ref var r = ref this[id];
            if (r.NameLength >= 0) LinkHash(id, ref r);
        }
    }

    private int AllocSlot()
    {
        if (_freeSlot >= 0)
        {
            int id = _freeSlot;
            _freeSlot = this[id].HashNext - 1;
            return id;
        }
        if ((_highWater >> ChunkBits) >= _chunkCount) AddChunk();
        return _highWater++;
    }

    private void AddChunk()
    {
        if (_chunkCount == _chunks.Length) Array.Resize(ref _chunks, _chunks.Length * 2);
        _chunks[_chunkCount++] = _arena.AllocateRegion(ChunkSize * sizeof(NodeRecord));
    }

    /// <inheritdoc />
    public void Dispose() => _arena.Dispose();
}
