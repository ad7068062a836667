using System.Text;
using HotZk.Engine.Faster;

namespace HotZk.Engine.Faster.Tests;

/// <summary>
/// FASTER 2.6.5's own distinct-record iterators returned a garbage key in place of some live
/// ones with exactly this workload (long keys, several pages, in-place updates mixed with
/// creates); the store's Iterate must see every live node exactly once.
/// </summary>
public class IterateRegressionTests
{
    private static string PathOf(int i) => $"/hotzk/bench/parent-{i % 1000:D4}/node-{i:D7}";

    [Fact]
    public void Iterate_sees_every_live_node_with_long_keys_over_many_pages()
    {
        using var dir = new TempDir();
        var options = new FasterNodeStoreOptions { Directory = dir.Path, MemorySizeBits = 26, IndexSizeBits = 20 };
        var live = new HashSet<string>(StringComparer.Ordinal);
        long zxid = 0;
        const int nodes = 50_000;
        var payload = new byte[101];
        using var store = new FasterNodeStore(options);
        store.Recover();
        for (int i = 0; i < nodes; i++)
        {
            zxid++;
            Assert.True(store.Upsert(PathOf(i), default, payload, false, zxid));
            live.Add(PathOf(i));
        }
        var rnd = new Random(3);
        int created = 0;
        for (int k = 0; k < 150_000; k++)
        {
            zxid++;
            int i = rnd.Next(4) == 0 ? nodes + 10_000_000 + (int)(zxid % 1_000_000_000) + created++ : rnd.Next(nodes);
            Assert.Equal(live.Add(PathOf(i)), store.Upsert(PathOf(i), default, payload, false, zxid));
        }
        Assert.Equal(live.Count, store.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long visited = store.Iterate((ReadOnlySpan<byte> p, in NodeMeta m) => Assert.True(seen.Add(Encoding.UTF8.GetString(p)), "twice"));
        Assert.Equal(live.Count, visited);
        Assert.True(live.SetEquals(seen));
    }
}
