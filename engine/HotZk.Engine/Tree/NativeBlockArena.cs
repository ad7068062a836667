using System.Numerics;
using System.Runtime.InteropServices;

namespace HotZk.Engine.Tree;

/// <summary>
/// Off-heap memory for znode name+data blocks (and the node table's slot chunks), so the tree's bytes are not managed objects and
/// garbage collections do not grow with the tree. Blocks up to 64 KiB come from 1 MiB native slabs
/// carved per size class (2 MiB, aligned for huge pages once the tree is large) (16-byte steps to 256 B, then eight steps per doubling: at most 12.5 %
/// slack) and go back to a per-class free list; larger blocks are allocated one by one.
/// Single-threaded, like the tree that owns it. A caller frees a block with the size it asked for.
/// </summary>
internal sealed unsafe class NativeBlockArena : IDisposable
{
    private const int SlabBytes = HugePages.Size;
    // Below this much memory a tree stays on small pages: a huge page per size class would cost a small tree more than it saves.
    private const long HugePageThreshold = 32L << 20;
    private const int MaxSmall = 64 * 1024;
    private const int ClassCount = 80;

    private readonly nint[] _free = new nint[ClassCount];
    private readonly nint[] _bump = new nint[ClassCount];
    private readonly nint[] _bumpEnd = new nint[ClassCount];
    private readonly List<nint> _slabs = [];
    private readonly HashSet<nint> _large = [];
    private bool _disposed;

    /// <summary>Bytes handed out (rounded up to their size class).</summary>
    public long AllocatedBytes { get; private set; }

    /// <summary>Native bytes reserved (slabs plus large blocks).</summary>
    public long ReservedBytes { get; private set; }

    /// <summary>The size class of a request, or -1 for blocks allocated one by one.</summary>
    public static int ClassOf(int size)
    {
        if (size <= 256) return size <= 16 ? 0 : ((size + 15) >> 4) - 1;
        if (size > MaxSmall) return -1;
        int log = BitOperations.Log2((uint)size - 1);
        int p = 1 << log;
        int step = p >> 3;
        int k = (size - p + step - 1) / step;
        return 16 + ((log - 8) * 8) + (k - 1);
    }

    /// <summary>The bytes a block of a class actually occupies.</summary>
    public static int ClassSize(int cls)
    {
        if (cls < 16) return (cls + 1) << 4;
        int log = ((cls - 16) >> 3) + 8;
        int k = ((cls - 16) & 7) + 1;
        int p = 1 << log;
        return p + (k * (p >> 3));
    }

    /// <summary>A block of at least <paramref name="size"/> bytes (0 for size 0).</summary>
    public nint Allocate(int size)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (size == 0) return 0;
        int cls = ClassOf(size);
        if (cls < 0)
        {
            nint big = (nint)NativeMemory.Alloc((nuint)size);
            _large.Add(big);
            ReservedBytes += size;
            AllocatedBytes += size;
            return big;
        }
        int csize = ClassSize(cls);
        AllocatedBytes += csize;
        nint head = _free[cls];
        if (head != 0)
        {
            _free[cls] = *(nint*)head;
            return head;
        }
        if (_bump[cls] + csize > _bumpEnd[cls])
        {
            nint slab = AllocateRegion(SlabBytes);
            _bump[cls] = slab;
            _bumpEnd[cls] = slab + (SlabBytes - (SlabBytes % csize));
        }
        nint p = _bump[cls];
        _bump[cls] = p + csize;
        return p;
    }

    /// <summary>
    /// A zero-initialised-on-demand region of <paramref name="bytes"/> (a multiple of the huge page size),
    /// aligned for huge pages and freed with the arena (the node table keeps its slot chunks here).
    /// </summary>
    public nint AllocateRegion(int bytes)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        nint region = (nint)NativeMemory.AlignedAlloc((nuint)bytes, HugePages.Size);
        _slabs.Add(region);
        ReservedBytes += bytes;
        if (ReservedBytes >= HugePageThreshold) HugePages.Advise(region, (nuint)bytes);
        return region;
    }

    /// <summary>Returns a block allocated with the same <paramref name="size"/>.</summary>
    public void Free(nint block, int size)
    {
        if (block == 0 || _disposed) return;
        int cls = ClassOf(size);
        if (cls < 0)
        {
            _large.Remove(block);
            NativeMemory.Free((void*)block);
            ReservedBytes -= size;
            AllocatedBytes -= size;
            return;
        }
        AllocatedBytes -= ClassSize(cls);
        *(nint*)block = _free[cls];
        _free[cls] = block;
    }

    /// <summary>True when a block of <paramref name="oldSize"/> bytes can hold <paramref name="newSize"/> bytes in place.</summary>
    public static bool SameClass(int oldSize, int newSize)
    {
        if (oldSize == 0 || newSize == 0) return oldSize == newSize;
        int a = ClassOf(oldSize);
        return a >= 0 && a == ClassOf(newSize);
    }

    /// <summary>A span over a block.</summary>
    public static Span<byte> Span(nint block, int length) => length == 0 ? default : new Span<byte>((void*)block, length);

    /// <inheritdoc />
    /// <remarks>
    /// There is deliberately no finalizer: only Dispose frees. With one, the engine test assembly
    /// failed about 1 run in 18 (CI dry run, then 3 of ~54 local runs) on a tree whose running digest
    /// drifted while its content and recomputed digest were right, i.e. a live tree's slots were
    /// written through memory some other arena's finalizer had freed; without it, 0 of 30. Where that
    /// native pointer outlived its arena is not found yet. A tree nobody disposes now keeps its
    /// native memory until the process ends; the engine disposes every tree it replaces.
    /// </remarks>
    public void Dispose() => Release();

    private void Release()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var s in _slabs) NativeMemory.AlignedFree((void*)s);
        foreach (var b in _large) NativeMemory.Free((void*)b);
        _slabs.Clear();
        _large.Clear();
        ReservedBytes = 0;
        AllocatedBytes = 0;
    }
}
