using HotZk.Engine.Storage;
using Xunit;

namespace HotZk.Storage.Tests;

public sealed class FileSnapshotStoreTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly List<string> _messages = new();

    public void Dispose() => _dir.Dispose();

    private FileSnapshotStore Store() => new(_dir.Path, m =>
    {
        lock (_messages)
        {
            _messages.Add(m);
        }
    });

    private static byte[] Content(long zxid, int size = 10_000) => Txns.Payload(zxid, size);

    private static void SaveContent(FileSnapshotStore store, long zxid, int size = 10_000) =>
        store.Save(zxid, s =>
        {
            var bytes = Content(zxid, size);
            s.Write(bytes, 0, 100);       // mixed write shapes
            s.WriteByte(bytes[100]);
            s.Write(bytes.AsSpan(101));
        });

    private static byte[] ReadAll(FileSnapshotStore store, SnapshotInfo info)
    {
        using var stream = store.Open(info);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    [Fact]
    public void SavedSnapshotsAreListedNewestFirstAndReadBackExactly()
    {
        var store = Store();
        SaveContent(store, 0x100);
        SaveContent(store, 0x300);
        SaveContent(store, 0x200);

        var valid = store.ListValid();
        Assert.Equal(new long[] { 0x300, 0x200, 0x100 }, valid.Select(v => v.Zxid));
        Assert.All(valid, v => Assert.Equal(10_000 + FileSnapshotStore.TrailerSize, v.Length));
        Assert.Equal("snap.0000000000000300", Path.GetFileName(valid[0].Path));
        foreach (var info in valid)
        {
            Assert.Equal(Content(info.Zxid), ReadAll(store, info));
        }

        Assert.Empty(Directory.GetFiles(store.Directory, "*.tmp"));

        // A new instance (restart) sees the same.
        Assert.Equal(valid, new FileSnapshotStore(_dir.Path).ListValid());
    }

    [Fact]
    public void LargeSnapshotStreamsThrough()
    {
        var store = Store();
        var chunk = Content(1, 1 << 20);
        store.Save(7, s =>
        {
            for (int i = 0; i < 24; i++)
            {
                s.Write(chunk);
            }
        });

        var info = Assert.Single(store.ListValid());
        using var stream = store.Open(info);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            Assert.True(buffer.AsSpan(0, n).SequenceEqual(chunk.AsSpan((int)(total % chunk.Length), n)));
            total += n;
        }

        Assert.Equal(24L << 20, total);
    }

    [Theory]
    [InlineData(0)]       // first content byte
    [InlineData(5_000)]   // middle
    [InlineData(9_999)]   // last content byte
    [InlineData(10_005)]  // inside the stored hash
    [InlineData(10_023)]  // magic
    public void CorruptNewestSnapshotIsSkippedSoRecoveryFallsBack(int offset)
    {
        var store = Store();
        SaveContent(store, 1);
        SaveContent(store, 2);
        string newest = store.ListValid()[0].Path;
        using (var f = File.OpenHandle(newest, FileMode.Open, FileAccess.ReadWrite))
        {
            var b = new byte[1];
            RandomAccess.Read(f, b, offset);
            b[0] ^= 0x01;
            RandomAccess.Write(f, b, offset);
        }

        var valid = store.ListValid();
        Assert.Equal(new long[] { 1 }, valid.Select(v => v.Zxid));
        Assert.Equal(Content(1), ReadAll(store, valid[0]));
        Assert.Contains(_messages, m => m.Contains("snap.0000000000000002", StringComparison.Ordinal));
    }

    [Fact]
    public void TruncatedAndUnfinishedFilesAreIgnored()
    {
        var store = Store();
        SaveContent(store, 1);
        SaveContent(store, 2);
        SaveContent(store, 3);
        string p2 = store.ListValid().Single(v => v.Zxid == 2).Path;
        string p3 = store.ListValid().Single(v => v.Zxid == 3).Path;
        using (var f = File.OpenHandle(p3, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.SetLength(f, 5_000); // lost its tail
        }

        File.WriteAllBytes(p2, new byte[3]); // shorter than a trailer
        File.WriteAllBytes(Path.Combine(store.Directory, "snap.0000000000000009.tmp"), Content(9));

        Assert.Equal(new long[] { 1 }, store.ListValid().Select(v => v.Zxid));
        Assert.False(File.Exists(Path.Combine(new FileSnapshotStore(_dir.Path).Directory, "snap.0000000000000009.tmp")), "leftover .tmp removed on open");
    }

    [Fact]
    public void FailedSaveLeavesNothingPublished()
    {
        var store = Store();
        SaveContent(store, 1);
        Assert.Throws<InvalidOperationException>(() => store.Save(2, s =>
        {
            s.Write(Content(2));
            throw new InvalidOperationException("serializer failed");
        }));

        Assert.Equal(new long[] { 1 }, store.ListValid().Select(v => v.Zxid));
        Assert.Single(Directory.GetFiles(store.Directory));
    }

    [Fact]
    public void PurgeKeepsTheNewestValidSnapshots()
    {
        var store = Store();
        for (long z = 1; z <= 5; z++)
        {
            SaveContent(store, z * 10);
        }

        store.Purge(2);
        Assert.Equal(new long[] { 50, 40 }, store.ListValid().Select(v => v.Zxid));
        Assert.Equal(2, Directory.GetFiles(store.Directory).Length);

        // A damaged newest does not count towards the retained ones.
        SaveContent(store, 60);
        File.WriteAllBytes(store.ListValid()[0].Path, new byte[100]);
        store.Purge(2);
        Assert.Equal(new long[] { 50, 40 }, store.ListValid().Select(v => v.Zxid));

        Assert.Throws<ArgumentOutOfRangeException>(() => store.Purge(0));
    }

    [Fact]
    public void ReadingDetectsDamageThatHappenedAfterListing()
    {
        var store = Store();
        SaveContent(store, 1);
        var info = store.ListValid()[0];
        using (var f = File.OpenHandle(info.Path, FileMode.Open, FileAccess.ReadWrite))
        {
            var b = new byte[1];
            RandomAccess.Read(f, b, 10);
            b[0] ^= 0xFF;
            RandomAccess.Write(f, b, 10);
        }

        Assert.Throws<InvalidDataException>(() => ReadAll(store, info));
    }
}
