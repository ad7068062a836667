using System.Text;
using HotZk.Engine.Faster;

namespace HotZk.Engine.Faster.Tests;

/// <summary>A store in a fresh temp folder, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hotzk-faster-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Small settings: 8 MiB of log memory, 2 MiB pages, 1 MiB index.</summary>
    public FasterNodeStoreOptions Options(int memoryBits = 23, int retain = 3, FASTER.core.CheckpointType? type = null, bool index = true) => new()
    {
        Directory = Path,
        MemorySizeBits = memoryBits,
        PageSizeBits = 21,
        SegmentSizeBits = 24,
        IndexSizeBits = 20,
        RetainCheckpoints = retain,
        CheckpointType = type ?? FASTER.core.CheckpointType.FoldOver,
        IncludeIndex = index,
    };

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}

internal static class Util
{
    public static byte[] P(string path) => Encoding.UTF8.GetBytes(path);

    public static NodeMeta Meta(long zxid, int version = 0, long owner = 0) => new()
    {
        Czxid = zxid,
        Mzxid = zxid,
        Ctime = 1000 + zxid,
        Mtime = 2000 + zxid,
        Version = version,
        Cversion = 3,
        Aversion = 4,
        EphemeralOwner = owner,
        Pzxid = zxid + 7,
        AclRef = 42,
    };

    public static byte[] Data(int len, int seed)
    {
        var b = new byte[len];
        new Random(seed).NextBytes(b);
        return b;
    }

    /// <summary>All live nodes: path → (meta, data or null).</summary>
    public static Dictionary<string, (NodeMeta Meta, byte[]? Data)> Dump(FasterNodeStore store)
    {
        var paths = new List<string>();
        store.Iterate((ReadOnlySpan<byte> p, in NodeMeta _) => paths.Add(Encoding.UTF8.GetString(p)));
        var result = new Dictionary<string, (NodeMeta, byte[]?)>(StringComparer.Ordinal);
        foreach (var p in paths)
        {
            var w = new System.Buffers.ArrayBufferWriter<byte>();
            Assert.True(store.TryReadData(p, w, out var meta, out bool isNull), p);
            Assert.True(result.TryAdd(p, (meta, isNull ? null : w.WrittenSpan.ToArray())), "iterate returned " + p + " twice");
        }
        return result;
    }
}
