using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>(d) A killed follower does not stop the ensemble and catches up by DIFF when it returns.</summary>
public sealed class FollowerRestartTests(ITestOutputHelper output)
{
    /// <summary>
    /// Proves: with one follower killed the remaining two (a quorum) keep accepting writes; the
    /// restarted follower is synced by a DIFF from its last zxid (the leader's log says so) and then
    /// serves exactly the leader's data, including the writes, updates and deletes made while it was
    /// down. Fails if writes stop, if the follower never rejoins, is synced some other way, or serves
    /// stale or different data.
    /// </summary>
    [Fact]
    public async Task KilledFollowerCatchesUpByDiffAfterRestart()
    {
        await using var h = EnsembleHarness.Create(participants: 3, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int leader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            int victim = h.Voters.First(id => id != leader);
            int other = h.Voters.First(id => id != leader && id != victim);
            var expected = new SortedDictionary<string, string?>(StringComparer.Ordinal);

            await using var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), other, leader);
            await zk.CreateAsync("/d", null, Acl.OpenAclUnsafe);
            for (int i = 0; i < 20; i++)
            {
                await zk.CreateAsync($"/d/before{i:D2}", ClusterReads.Utf8($"b{i}"), Acl.OpenAclUnsafe);
                expected[$"/d/before{i:D2}"] = $"b{i}";
            }
            // The victim must have seen some history, so that its restart is a DIFF from a real zxid.
            Assert.Equal(expected.Count, (await ClusterReads.TreeViaAsync(h, victim, "/d")).Count);

            h.Kill(victim);
            for (int i = 0; i < 100; i++)
            {
                await zk.CreateAsync($"/d/during{i:D3}", ClusterReads.Utf8($"d{i}"), Acl.OpenAclUnsafe).WaitAsync(TimeSpan.FromSeconds(10));
                expected[$"/d/during{i:D3}"] = $"d{i}";
            }
            await zk.SetDataAsync("/d/before03", ClusterReads.Utf8("updated"));
            expected["/d/before03"] = "updated";
            await zk.DeleteAsync("/d/before04");
            expected.Remove("/d/before04");
            h.Log($"101 writes and a delete while follower {victim} was down");

            long leaderLogMark = h[leader].LogLength;
            h.Restart(victim);
            int leaderNow = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("follower", await h.ModeOf(victim));

            string leaderLog = h[leaderNow].LogSince(leaderNow == leader ? leaderLogMark : 0);
            string? syncLine = ServerLogs.LastSyncOf(leaderLog, victim);
            h.Log($"leader {leaderNow} synced the follower: {syncLine}");
            Assert.True(ServerLogs.SyncMethod(syncLine) == "DIFF", $"expected leader {leaderNow} to log a DIFF sync of follower {victim}, found: {syncLine ?? "(no sync line)"}");

            var tree = await ClusterReads.TreeViaAsync(h, victim, "/d");
            Assert.True(expected.SequenceEqual(tree),
                $"restarted follower {victim} serves {tree.Count} nodes, expected {expected.Count}; missing [{string.Join(",", expected.Keys.Except(tree.Keys).Take(10))}], " +
                $"extra [{string.Join(",", tree.Keys.Except(expected.Keys).Take(10))}], before03='{tree.GetValueOrDefault("/d/before03")}'");
        });
    }
}
