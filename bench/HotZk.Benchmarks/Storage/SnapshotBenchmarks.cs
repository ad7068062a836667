using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using HotZk.Engine.Storage;
using HotZk.Engine.Tree;

namespace HotZk.Benchmarks.Storage;

/// <summary>
/// Snapshot image of a <see cref="Nodes"/>-znode tree (100-byte values, <c>/bench/p-NNNN/n-NNNNNNN</c>,
/// 1000 parents, 1000 sessions; see <see cref="BigTree"/>) through the engine's public snapshot API,
/// in a real temp dir (same disk as the rest of <c>/tmp</c>):
/// <list type="bullet">
/// <item><see cref="Write"/>: <see cref="FileSnapshotStore.Save"/> with <see cref="SnapshotSerializer.Write"/>
/// (temp file, checksum, fsync, rename, directory fsync), the whole tree in one go.</item>
/// <item><see cref="Load"/>: what recovery does with the newest snapshot: a fresh <see cref="FileSnapshotStore"/>,
/// <see cref="FileSnapshotStore.ListValid"/> (full checksum pass), <see cref="FileSnapshotStore.Open"/>,
/// <see cref="SnapshotSerializer.Read"/>. The file was just written, so it is read from the page cache.</item>
/// <item><see cref="Decode"/>: <see cref="SnapshotSerializer.Read"/> of the same image from memory: decode alone.</item>
/// </list>
/// One invocation per iteration (Monitoring); each 1M case took ~30 s on 2 cores (84 s for all three).
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Heavy)]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class SnapshotBenchmarks
{
    private string _dir = "";
    private DataTree? _tree;
    private long _zxid;
    private List<(long Id, int Timeout)> _sessions = [];
    private byte[] _image = [];

    [Params(100_000, 1_000_000)]
    public int Nodes { get; set; }

    [GlobalSetup(Target = nameof(Write))]
    public void SetupWrite()
    {
        _dir = Directory.CreateTempSubdirectory("hotzk-bench-snap-").FullName;
        (_tree, _zxid) = BigTree.Build(Nodes);
        _sessions = BigTree.Sessions();
    }

    [GlobalSetup(Targets = new[] { nameof(Load), nameof(Decode) })]
    public void SetupRead()
    {
        SetupWrite();
        var store = new FileSnapshotStore(_dir);
        store.Save(_zxid, s => SnapshotSerializer.Write(s, _tree!, _zxid, _sessions));
        using (var ms = new MemoryStream())
        {
            SnapshotSerializer.Write(ms, _tree!, _zxid, _sessions);
            _image = ms.ToArray();
        }
        // Recovery starts from an empty heap: drop the source tree before measuring.
        _tree = null;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var snaps = store.ListValid();
        Console.WriteLine($"// snapshot: {Nodes:N0} children, zxid 0x{_zxid:x}, {snaps[0].Length:N0} bytes on disk, image {_image.Length:N0} bytes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _tree = null;
        _image = [];
        if (_dir.Length > 0 && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Writes the whole tree as a published, fsync'd snapshot file (same zxid each time: the file is replaced).</summary>
    [Benchmark]
    public long Write()
    {
        var store = new FileSnapshotStore(_dir);
        store.Save(_zxid, s => SnapshotSerializer.Write(s, _tree!, _zxid, _sessions));
        return _zxid;
    }

    /// <summary>Loads the newest valid snapshot from disk into a new tree, as recovery does.</summary>
    [Benchmark]
    public long Load()
    {
        var store = new FileSnapshotStore(_dir);
        var newest = store.ListValid()[0];
        using var stream = store.Open(newest);
        var (_, zxid, sessions) = SnapshotSerializer.Read(stream, extendedTypesEnabled: false);
        Verify(zxid, sessions.Count);
        return zxid;
    }

    /// <summary>Decodes the image from memory into a new tree (no I/O, no checksum).</summary>
    [Benchmark]
    public long Decode()
    {
        using var stream = new MemoryStream(_image, writable: false);
        var (_, zxid, sessions) = SnapshotSerializer.Read(stream, extendedTypesEnabled: false);
        Verify(zxid, sessions.Count);
        return zxid;
    }

    private void Verify(long zxid, int sessions)
    {
        if (zxid != _zxid || sessions != BigTree.SessionCount) throw new InvalidOperationException($"read back zxid 0x{zxid:x} with {sessions} sessions; wrote 0x{_zxid:x} with {BigTree.SessionCount}");
    }
}
