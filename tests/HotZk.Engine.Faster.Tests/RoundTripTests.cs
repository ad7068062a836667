using System.Buffers;
using HotZk.Engine.Faster;
using static HotZk.Engine.Faster.Tests.Util;

namespace HotZk.Engine.Faster.Tests;

public class RoundTripTests
{
    [Fact]
    public void Upsert_get_delete_round_trip()
    {
        using var dir = new TempDir();
        using var store = new FasterNodeStore(dir.Options());
        Assert.Equal(0, store.Recover());

        var data = Data(100, 1);
        Assert.True(store.Upsert(P("/a"), Meta(1), data, false, 1));
        Assert.Equal(1, store.Count);
        Assert.True(store.TryGetMeta(P("/a"), out var meta));
        var expected = Meta(1);
        expected.DataLength = 100;
        Assert.Equal(expected, meta);

        var w = new ArrayBufferWriter<byte>();
        Assert.True(store.TryReadData(P("/a"), w, out meta, out bool isNull));
        Assert.False(isNull);
        Assert.Equal(data, w.WrittenSpan.ToArray());

        var buf = new byte[100];
        Assert.Equal(NodeReadStatus.Ok, store.ReadData(P("/a"), buf, out meta));
        Assert.Equal(data, buf);
        Assert.Equal(NodeReadStatus.DestinationTooSmall, store.ReadData(P("/a"), new byte[99], out meta));
        Assert.Equal(100, meta.DataLength);

        // replace: same size (in place) and a different size (copy to tail)
        var data2 = Data(100, 2);
        Assert.False(store.Upsert(P("/a"), Meta(2, version: 1), data2, false, 2));
        Assert.True(store.TryReadData(P("/a"), w = new ArrayBufferWriter<byte>(), out meta, out _));
        Assert.Equal(data2, w.WrittenSpan.ToArray());
        Assert.Equal(1, meta.Version);
        var data3 = Data(7, 3);
        Assert.False(store.Upsert(P("/a"), Meta(3, version: 2), data3, false, 3));
        Assert.True(store.TryReadData(P("/a"), w = new ArrayBufferWriter<byte>(), out meta, out _));
        Assert.Equal(data3, w.WrittenSpan.ToArray());
        Assert.Equal(7, meta.DataLength);
        Assert.Equal(1, store.Count);

        Assert.True(store.Delete(P("/a"), 4));
        Assert.False(store.TryGetMeta(P("/a"), out _));
        Assert.Equal(NodeReadStatus.NotFound, store.ReadData(P("/a"), buf, out _));
        Assert.False(store.TryReadData(P("/a"), new ArrayBufferWriter<byte>(), out _, out _));
        Assert.False(store.Delete(P("/a"), 5));
        Assert.Equal(0, store.Count);

        // re-create after delete
        Assert.True(store.Upsert(P("/a"), Meta(6), data, false, 6));
        Assert.Equal(1, store.Count);
        Assert.True(store.TryGetMeta("/a", out meta));
        Assert.Equal(6, meta.Czxid);
    }

    [Fact]
    public void Null_and_empty_data_are_distinct()
    {
        using var dir = new TempDir();
        using var store = new FasterNodeStore(dir.Options());
        store.Upsert("/null", Meta(1), default, dataIsNull: true, 1);
        store.Upsert("/empty", Meta(2), ReadOnlySpan<byte>.Empty, dataIsNull: false, 2);

        Assert.True(store.TryReadData("/null", new ArrayBufferWriter<byte>(), out var m, out bool isNull));
        Assert.True(isNull);
        Assert.Equal(-1, m.DataLength);
        Assert.True(store.TryReadData("/empty", new ArrayBufferWriter<byte>(), out m, out isNull));
        Assert.False(isNull);
        Assert.Equal(0, m.DataLength);
        Assert.Equal(NodeReadStatus.Ok, store.ReadData(P("/null"), Span<byte>.Empty, out m));
        Assert.Equal(-1, m.DataLength);

        // null -> data -> null
        store.Upsert("/null", Meta(3), new byte[] { 1, 2, 3 }, false, 3);
        Assert.True(store.TryGetMeta("/null", out m));
        Assert.Equal(3, m.DataLength);
        store.Upsert("/null", Meta(4), new byte[] { 9 }, true, 4);
        Assert.True(store.TryReadData("/null", new ArrayBufferWriter<byte>(), out m, out isNull));
        Assert.True(isNull);
    }

    [Fact]
    public void One_mebibyte_values_round_trip_and_spill_to_disk()
    {
        using var dir = new TempDir();
        // 8 MiB of log memory: twenty 1 MiB values cannot all stay in memory.
        using var store = new FasterNodeStore(dir.Options(memoryBits: 23));
        var values = new List<byte[]>();
        for (int i = 0; i < 20; i++)
        {
            var v = Data(1 << 20, 100 + i);
            values.Add(v);
            Assert.True(store.Upsert($"/big/{i}", Meta(i + 1), v, false, i + 1));
        }
        Assert.True(store.LogAddresses.Head > store.LogAddresses.Begin, "expected part of the log to be on disk");
        for (int i = 0; i < 20; i++)
        {
            var w = new ArrayBufferWriter<byte>();
            Assert.True(store.TryReadData($"/big/{i}", w, out var m, out _));
            Assert.Equal(1 << 20, m.DataLength);
            Assert.True(values[i].AsSpan().SequenceEqual(w.WrittenSpan), $"value {i}");
            var buf = new byte[1 << 20];
            Assert.Equal(NodeReadStatus.Ok, store.ReadData(P($"/big/{i}"), buf, out _));
            Assert.True(values[i].AsSpan().SequenceEqual(buf));
        }
        // update meta and delete of a spilled node
        Assert.True(store.UpdateMeta("/big/0", Meta(100, version: 9), 100));
        Assert.True(store.TryReadData("/big/0", new ArrayBufferWriter<byte>(), out var m0, out _));
        Assert.Equal(9, m0.Version);
        Assert.True(store.Delete("/big/1", 101));
        Assert.False(store.TryGetMeta("/big/1", out _));
        Assert.Equal(19, store.Count);
    }

    [Fact]
    public void UpdateMeta_keeps_data_in_place_and_after_copy()
    {
        using var dir = new TempDir();
        using var store = new FasterNodeStore(dir.Options());
        var data = Data(300, 5);
        store.Upsert("/n", Meta(1), data, false, 1);
        Assert.True(store.UpdateMeta("/n", Meta(2, version: 5), 2)); // mutable region: in place
        AssertNode(store, "/n", 5, data);

        // make the record read-only (a fold-over checkpoint moves the read-only marker to the tail),
        // so the next update copies it to the tail
        store.Checkpoint(2);
        Assert.True(store.LogAddresses.ReadOnly >= store.LogAddresses.Tail - 64);
        Assert.True(store.UpdateMeta("/n", Meta(3, version: 6), 3));
        AssertNode(store, "/n", 6, data);

        // meta carries DataLength from the record, not from the argument
        var bogus = Meta(4, version: 7);
        bogus.DataLength = 12345;
        Assert.True(store.UpdateMeta("/n", bogus, 4));
        AssertNode(store, "/n", 7, data);

        // null data stays null
        store.Upsert("/nul", Meta(5), default, true, 5);
        Assert.True(store.UpdateMeta("/nul", Meta(6, version: 1), 6));
        Assert.True(store.TryReadData("/nul", new ArrayBufferWriter<byte>(), out var m, out bool isNull));
        Assert.True(isNull);
        Assert.Equal(1, m.Version);

        Assert.False(store.UpdateMeta("/missing", Meta(7), 7));
        Assert.False(store.Contains(P("/missing")));
        Assert.Equal(2, store.Count);
    }

    private static void AssertNode(FasterNodeStore store, string path, int version, byte[] data)
    {
        var w = new ArrayBufferWriter<byte>();
        Assert.True(store.TryReadData(path, w, out var m, out bool isNull));
        Assert.False(isNull);
        Assert.Equal(version, m.Version);
        Assert.Equal(data.Length, m.DataLength);
        Assert.Equal(data, w.WrittenSpan.ToArray());
    }

    [Fact]
    public void Iterate_sees_exactly_the_live_records()
    {
        using var dir = new TempDir();
        using var store = new FasterNodeStore(dir.Options(memoryBits: 22));
        var live = new Dictionary<string, byte[]>();
        long zxid = 0;
        var rnd = new Random(7);
        for (int i = 0; i < 30_000; i++)
        {
            var p = "/n/" + rnd.Next(5000);
            zxid++;
            switch (rnd.Next(4))
            {
                case 0:
                case 1:
                    var d = Data(rnd.Next(0, 800), i);
                    Assert.Equal(!live.ContainsKey(p), store.Upsert(p, Meta(zxid), d, false, zxid));
                    live[p] = d;
                    break;
                case 2:
                    Assert.Equal(live.ContainsKey(p), store.UpdateMeta(p, Meta(zxid, version: i), zxid));
                    break;
                default:
                    Assert.Equal(live.Remove(p), store.Delete(p, zxid));
                    break;
            }
        }
        Assert.Equal(live.Count, store.Count);
        Assert.True(store.LogAddresses.Head > store.LogAddresses.Begin, "expected the older log to be on disk");
        var dump = Dump(store);
        Assert.Equal(live.Count, dump.Count);
        foreach (var (p, d) in live) Assert.Equal(d, dump[p].Data);
    }

    [Fact]
    public void Decreasing_zxid_is_rejected()
    {
        using var dir = new TempDir();
        using var store = new FasterNodeStore(dir.Options());
        store.Upsert("/a", Meta(5), default, true, 5);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Upsert("/b", Meta(4), default, true, 4));
        store.Upsert("/b", Meta(5), default, true, 5); // equal is fine: several ops of one multi txn
        Assert.Equal(2, store.Count);
    }
}
