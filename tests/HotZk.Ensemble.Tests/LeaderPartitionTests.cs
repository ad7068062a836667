using System.Diagnostics;
using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>(g) The leader cut off from both followers (it stays up and keeps its clients).</summary>
public sealed class LeaderPartitionTests(ITestOutputHelper output)
{
    private const int IsolatedWrites = 5;

    /// <summary>
    /// Proves: an isolated leader steps down within syncLimit ticks (plus slack) instead of serving as
    /// leader on its own; the majority side elects a new leader and commits writes; writes sent to the
    /// isolated leader are either never acknowledged or, if they were, survive the heal; after the heal
    /// the old leader rejoins as a follower and holds exactly the majority's data (same tree, same last
    /// zxid). Fails on a split brain (two leaders accepting writes), an acknowledged write that is
    /// lost, or a rejoined server whose data differs.
    /// </summary>
    [Fact]
    public Task IsolatedLeaderStepsDownAndRejoinsWithTheMajoritysData() => RunAsync(silent: false);

    /// <summary>
    /// The same with links that go silent instead of closing (a black hole, as a real network
    /// partition looks): no connection drops, so the leader must notice the missing acks within
    /// syncLimit ticks and the followers the missing pings. Fails if either side relies on a TCP
    /// error to notice a dead peer.
    /// </summary>
    [Fact]
    public Task SilentlyIsolatedLeaderStepsDownWithinSyncLimit() => RunAsync(silent: true);

    private async Task RunAsync(bool silent)
    {
        await using var h = EnsembleHarness.Create(participants: 3, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int oldLeader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            int[] majority = [.. h.Voters.Where(id => id != oldLeader)];

            await using var isolated = await h.ConnectAsync(TimeSpan.FromSeconds(10), oldLeader);
            await isolated.CreateAsync("/g", null, Acl.OpenAclUnsafe);
            await isolated.CreateAsync("/g/before", ClusterReads.Utf8("before"), Acl.OpenAclUnsafe);

            if (silent) h.Silence(oldLeader);
            else h.Partition(oldLeader);
            var cut = Stopwatch.StartNew();
            // Writes sent to the old leader right after the cut, while it may still think it leads.
            var isolatedWrites = Enumerable.Range(0, IsolatedWrites)
                .Select(i => isolated.CreateAsync($"/g/isolated{i}", ClusterReads.Utf8($"iso{i}"), Acl.OpenAclUnsafe))
                .ToList();

            var bound = TimeSpan.FromMilliseconds(h.Settings.SyncLimit * h.Settings.TickTime) + TimeSpan.FromSeconds(4);
            await Eventually.HoldsAsync(async () => await h.ModeOf(oldLeader) != "leader", bound,
                $"isolated leader {oldLeader} stops reporting leader (bound: syncLimit {h.Settings.SyncLimit} x tick {h.Settings.TickTime} ms + 4 s)", 50);
            h.Log($"old leader {oldLeader} stepped down {cut.ElapsedMilliseconds} ms after the cut; now {await h.ModeOf(oldLeader) ?? "(not serving)"}");

            int newLeader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30), majority);
            h.Log($"majority elected {newLeader} {cut.ElapsedMilliseconds} ms after the cut");
            var expected = new Dictionary<string, string>(StringComparer.Ordinal) { ["/g/before"] = "before" };
            await using (var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), majority))
            {
                for (int i = 0; i < 20; i++)
                {
                    await zk.CreateAsync($"/g/majority{i:D2}", ClusterReads.Utf8($"m{i}"), Acl.OpenAclUnsafe).WaitAsync(TimeSpan.FromSeconds(10));
                    expected[$"/g/majority{i:D2}"] = $"m{i}";
                }
            }
            // The old leader, still cut off, must not be serving as a leader of its own.
            Assert.NotEqual("leader", await h.ModeOf(oldLeader));

            // Settle the isolated writes (each acknowledged, failed, or still unanswered) before healing.
            await Task.WhenAny(Task.WhenAll(isolatedWrites), Task.Delay(TimeSpan.FromSeconds(5)));
            var ackedIsolated = new List<string>();
            for (int i = 0; i < IsolatedWrites; i++)
            {
                var t = isolatedWrites[i];
                h.Log($"isolated write {i}: {(t.IsCompletedSuccessfully ? "ACKNOWLEDGED" : t.IsFaulted ? t.Exception!.InnerException!.Message : "no answer")}");
                if (t.IsCompletedSuccessfully)
                {
                    ackedIsolated.Add($"/g/isolated{i}");
                    expected[$"/g/isolated{i}"] = $"iso{i}";
                }
            }

            h.Heal();
            await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            Assert.Equal("follower", await h.ModeOf(oldLeader));
            Assert.NotEqual(oldLeader, h.LeaderId);
            long zxid = await h.WaitForSameZxidAsync(TimeSpan.FromSeconds(15));
            h.Log($"after heal: {await h.DescribeModesAsync()}, all at zxid 0x{zxid:x}");

            var trees = new Dictionary<int, SortedDictionary<string, string?>>();
            foreach (int id in h.Voters) trees[id] = await ClusterReads.TreeViaAsync(h, id, "/g");
            foreach (var (path, value) in expected)
            {
                foreach (int id in h.Voters)
                {
                    Assert.True(trees[id].TryGetValue(path, out var got) && got == value,
                        $"server {id} lacks acknowledged {path}={value} (has '{trees[id].GetValueOrDefault(path)}'){(ackedIsolated.Contains(path) ? " - acknowledged by the isolated old leader" : "")}");
                }
            }
            foreach (int id in h.Voters)
            {
                Assert.True(trees[newLeader].SequenceEqual(trees[id]),
                    $"server {id} differs from the new leader {newLeader}: [{string.Join(",", trees[id].Keys.Except(trees[newLeader].Keys))}] extra, " +
                    $"[{string.Join(",", trees[newLeader].Keys.Except(trees[id].Keys))}] missing");
            }
        });
    }
}
