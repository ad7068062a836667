using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>Observers replicate but do not vote.</summary>
public sealed class ObserverQuorumTests(ITestOutputHelper output)
{
    /// <summary>
    /// Proves: with 3 participants and 1 observer, the leader plus the observer (2 of 4 servers, but 1
    /// of 3 voters) is no quorum: no write is acknowledged and the leader stops leading; once a
    /// participant returns, a leader is elected, the observer observes again, serves the data, and
    /// writes resume. Fails if the observer's acknowledgements count towards the quorum.
    /// </summary>
    [Fact]
    public async Task AnObserverDoesNotCountTowardsTheQuorum()
    {
        await using var h = EnsembleHarness.Create(participants: 3, observers: 1, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int leader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            int[] followers = [.. h.Voters.Where(id => id != leader)];
            const int observer = 4;

            await using var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), leader, observer);
            await zk.CreateAsync("/o", ClusterReads.Utf8("before"), Acl.OpenAclUnsafe);

            h.Kill(followers[0]);
            h.Kill(followers[1]);
            var doomed = zk.CreateAsync("/o/no-quorum", null, Acl.OpenAclUnsafe);
            var finished = await Task.WhenAny(doomed, Task.Delay(TimeSpan.FromSeconds(6)));
            Assert.False(finished == doomed && doomed.IsCompletedSuccessfully, "a write was acknowledged by one voter plus an observer");
            h.Log($"write without a voter quorum: {(finished == doomed ? doomed.Exception?.InnerException?.Message : "no answer in 6 s")}");
            var bound = TimeSpan.FromMilliseconds(h.Settings.SyncLimit * h.Settings.TickTime) + TimeSpan.FromSeconds(5);
            await Eventually.HoldsAsync(async () => await h.ModeOf(leader) != "leader", bound,
                $"leader {leader} with only an observer left stops leading");
            h.Log($"without a voter quorum: {await h.DescribeModesAsync()}");

            h.Restart(followers[0]);
            await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            await using (var after = await h.ConnectAsync(TimeSpan.FromSeconds(10), observer))
            {
                await after.CreateAsync("/o/after", null, Acl.OpenAclUnsafe).WaitAsync(TimeSpan.FromSeconds(10));
            }
            var tree = await ClusterReads.TreeViaAsync(h, observer, "/o");
            Assert.True(tree.ContainsKey("/o/after"), "observer lacks /o/after written through it");
            foreach (int id in new[] { leader, followers[0] })
            {
                Assert.True((await ClusterReads.TreeViaAsync(h, id, "/o")).ContainsKey("/o/after"), $"server {id} lacks /o/after");
            }
            try { await doomed.WaitAsync(TimeSpan.FromSeconds(1)); } catch (Exception) { } // observed, whatever its fate
        });
    }
}
