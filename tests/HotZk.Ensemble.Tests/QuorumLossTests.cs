using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>(e) Five servers: writes need three of them.</summary>
public sealed class QuorumLossTests(ITestOutputHelper output)
{
    /// <summary>
    /// Proves the quorum arithmetic of a 5-server ensemble: with two followers killed the other three
    /// still commit writes; with a third killed no write is acknowledged and, within syncLimit ticks
    /// plus slack, no survivor claims to be leader (or follower); restarting one of them restores a
    /// quorum and writes resume, with the earlier data intact. Fails if a minority commits a write, a
    /// leader without quorum keeps reporting itself leader, or the ensemble does not recover.
    /// </summary>
    [Fact]
    public async Task WritesNeedAMajorityOfFive()
    {
        await using var h = EnsembleHarness.Create(participants: 5, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int leader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(45));
            var followers = h.Voters.Where(id => id != leader).ToList();
            int survivor = followers[3];

            h.Kill(followers[0]);
            h.Kill(followers[1]);
            await using (var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), leader, followers[2], survivor))
            {
                await zk.CreateAsync("/e", null, Acl.OpenAclUnsafe).WaitAsync(TimeSpan.FromSeconds(10));
                for (int i = 0; i < 10; i++) await zk.CreateAsync($"/e/n{i}", null, Acl.OpenAclUnsafe).WaitAsync(TimeSpan.FromSeconds(10));
            }
            h.Log("10 writes committed by 3 of 5");

            // Two of five left: nothing may be committed.
            await using var lonely = await h.ConnectAsync(TimeSpan.FromSeconds(10), leader, survivor);
            await lonely.ExistsAsync("/e");
            h.Kill(followers[2]);
            var doomed = lonely.CreateAsync("/e/without-quorum", null, Acl.OpenAclUnsafe);
            var finished = await Task.WhenAny(doomed, Task.Delay(TimeSpan.FromSeconds(6)));
            Assert.False(finished == doomed && doomed.IsCompletedSuccessfully, "a write was acknowledged by 2 of 5 servers");
            h.Log($"write without quorum: {(finished == doomed ? doomed.Exception?.InnerException?.Message : "no answer in 6 s")}");

            // Without a quorum the leader must give up (it cannot hear from a majority within syncLimit).
            var bound = TimeSpan.FromMilliseconds(h.Settings.SyncLimit * h.Settings.TickTime) + TimeSpan.FromSeconds(5);
            var took = await Eventually.HoldsAsync(async () =>
            {
                var modes = new[] { await h.ModeOf(leader), await h.ModeOf(survivor) };
                return modes.All(m => m is null);
            }, bound, $"survivors {leader} and {survivor} stop serving as leader/follower once 3 of 5 are down");
            h.Log($"survivors stopped serving {took.TotalMilliseconds:0} ms after the check began: {await h.DescribeModesAsync()}");
            // And it must stay that way: no leader re-elected out of two servers.
            await Task.Delay(1000);
            Assert.Null(await h.ModeOf(leader));
            Assert.Null(await h.ModeOf(survivor));

            h.Restart(followers[2]);
            await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            await using (var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), leader, survivor, followers[2]))
            {
                await zk.CreateAsync("/e/after-recovery", null, Acl.OpenAclUnsafe).WaitAsync(TimeSpan.FromSeconds(10));
            }
            foreach (int id in new[] { leader, survivor, followers[2] })
            {
                var tree = await ClusterReads.TreeViaAsync(h, id, "/e");
                for (int i = 0; i < 10; i++) Assert.True(tree.ContainsKey($"/e/n{i}"), $"/e/n{i} missing on server {id}");
                Assert.True(tree.ContainsKey("/e/after-recovery"), $"/e/after-recovery missing on server {id}");
            }
            try { await doomed.WaitAsync(TimeSpan.FromSeconds(1)); } catch (Exception) { } // observed, whatever its fate
        });
    }
}
