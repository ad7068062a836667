using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>(f) A follower that lost its whole data directory is rebuilt from the leader's snapshot.</summary>
public sealed class SnapshotCatchUpTests(ITestOutputHelper output)
{
    private const int Nodes = 300;

    /// <summary>
    /// Proves: with snapCount=50 the leader holds snapshots and rolled logs; a follower whose data
    /// directory is wiped (myid kept) restarts empty, is synced by SNAP (the leader's log says so) and
    /// then serves every node with its value. Fails if the empty follower cannot rejoin, is not sent a
    /// snapshot, serves anything but the ensemble's data, or loses it again when it restarts.
    /// </summary>
    [Fact]
    public async Task WipedFollowerCatchesUpFromTheLeadersSnapshot()
    {
        await using var h = EnsembleHarness.Create(participants: 3, settings: new EnsembleSettings { SnapCount = 50 }, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int leader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            int victim = h.Voters.First(id => id != leader);
            var expected = new SortedDictionary<string, string?>(StringComparer.Ordinal);

            await using (var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10)))
            {
                await zk.CreateAsync("/f", null, Acl.OpenAclUnsafe);
                // Pipelined in batches: a few hundred writes in well under a second.
                for (int batch = 0; batch < Nodes / 50; batch++)
                {
                    var writes = Enumerable.Range(batch * 50, 50).Select(i =>
                    {
                        expected[$"/f/n{i:D4}"] = $"value-{i}";
                        return zk.CreateAsync($"/f/n{i:D4}", ClusterReads.Utf8($"value-{i}"), Acl.OpenAclUnsafe);
                    }).ToList();
                    await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(20));
                }
            }
            string snapDir = Path.Combine(h[leader].DataDir, "hotzk-snap");
            string snapshots = Directory.Exists(snapDir) ? string.Join(",", Directory.GetFiles(snapDir, "snap.*").Select(Path.GetFileName)) : "(none)";
            h.Log($"{Nodes} writes done; leader {leader} snapshots: {snapshots}");

            long leaderLogMark = h[leader].LogLength;
            h.WipeAndRestart(victim);
            int leaderNow = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("follower", await h.ModeOf(victim));

            string leaderLog = h[leaderNow].LogSince(leaderNow == leader ? leaderLogMark : 0);
            string? syncLine = ServerLogs.LastSyncOf(leaderLog, victim);
            h.Log($"leader {leaderNow} synced the wiped follower: {syncLine}");
            Assert.True(ServerLogs.SyncMethod(syncLine) == "SNAP", $"expected leader {leaderNow} to log a SNAP sync of follower {victim}, found: {syncLine ?? "(no sync line)"}");

            var tree = await ClusterReads.TreeViaAsync(h, victim, "/f");
            Assert.True(expected.SequenceEqual(tree),
                $"wiped follower {victim} serves {tree.Count} nodes, expected {expected.Count}; missing [{string.Join(",", expected.Keys.Except(tree.Keys).Take(10))}]");

            // What it received must be on its own disk: after another kill -9 it recovers locally and
            // still serves everything (a DIFF can only add what follows its own last zxid).
            h.Kill(victim);
            h.Restart(victim);
            await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            tree = await ClusterReads.TreeViaAsync(h, victim, "/f");
            Assert.True(expected.SequenceEqual(tree),
                $"after a second restart follower {victim} serves {tree.Count} nodes, expected {expected.Count}; missing [{string.Join(",", expected.Keys.Except(tree.Keys).Take(10))}]");
        });
    }
}
