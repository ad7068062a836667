using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>(a) Basic replication through a follower, with an observer in the ensemble.</summary>
public sealed class ObserverReplicationTests(ITestOutputHelper output)
{
    /// <summary>
    /// Proves: writes sent to a follower are forwarded to the leader, committed and applied on every
    /// other member, observers included (a sync + read through each sees exactly the written data),
    /// and <c>srvr</c> reports the roles: one leader, two followers, one observer. Fails if forwarding,
    /// broadcast to followers or to observers, or the Mode line is wrong.
    /// </summary>
    [Fact]
    public async Task WritesThroughAFollowerAreVisibleEverywhereIncludingTheObserver()
    {
        await using var h = EnsembleHarness.Create(participants: 3, observers: 1, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int leader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));

            var modes = new Dictionary<int, string?>();
            foreach (int id in h.Ids) modes[id] = await h.ModeOf(id);
            Assert.Equal(1, modes.Values.Count(m => m == "leader"));
            Assert.Equal(2, modes.Values.Count(m => m == "follower"));
            Assert.Equal("observer", modes[4]);
            Assert.Equal("leader", modes[leader]);

            int follower = h.Voters.First(id => id != leader);
            var expected = new SortedDictionary<string, string?>(StringComparer.Ordinal);
            await using (var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), follower))
            {
                await zk.CreateAsync("/a", ClusterReads.Utf8("root"), Acl.OpenAclUnsafe);
                for (int i = 0; i < 50; i++)
                {
                    string path = $"/a/n{i:D3}";
                    await zk.CreateAsync(path, ClusterReads.Utf8($"v{i}"), Acl.OpenAclUnsafe);
                    expected[path] = $"v{i}";
                }
                // An update and a delete must replicate too, not just creates.
                await zk.SetDataAsync("/a/n007", ClusterReads.Utf8("changed"));
                expected["/a/n007"] = "changed";
                await zk.DeleteAsync("/a/n008");
                expected.Remove("/a/n008");
            }
            h.Log($"wrote {expected.Count} nodes through follower {follower}");

            foreach (int id in h.Ids.Where(id => id != follower))
            {
                var tree = await ClusterReads.TreeViaAsync(h, id, "/a");
                Assert.True(expected.SequenceEqual(tree),
                    $"server {id} ({modes[id]}) differs from what was written through follower {follower}: " +
                    $"{tree.Count} nodes, missing [{string.Join(",", expected.Keys.Except(tree.Keys).Take(10))}], " +
                    $"wrong [{string.Join(",", tree.Where(kv => expected.TryGetValue(kv.Key, out var v) && v != kv.Value).Select(kv => kv.Key).Take(10))}]");
            }
        });
    }
}
