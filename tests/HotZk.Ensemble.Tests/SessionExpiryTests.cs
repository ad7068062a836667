using System.Diagnostics;
using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>(h) Sessions held on followers expire for the whole ensemble.</summary>
public sealed class SessionExpiryTests(ITestOutputHelper output)
{
    /// <summary>
    /// Proves: the leader expires a session whose client (connected to a follower) stopped pinging,
    /// and the expiry (closeSession with its ephemerals) reaches every server; while a session whose
    /// client on the other follower keeps pinging stays alive with its ephemeral. Fails if the
    /// abandoned ephemeral lingers anywhere past the timeout (plus slack), or if follower pings do not
    /// reach the leader (the live session would then expire too).
    /// </summary>
    [Fact]
    public async Task AbandonedSessionOnAFollowerExpiresEverywhere()
    {
        await using var h = EnsembleHarness.Create(participants: 3, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int leader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            int[] followers = [.. h.Voters.Where(id => id != leader)];
            var sessionTimeout = TimeSpan.FromMilliseconds(1000);

            var doomed = await h.ConnectAsync(sessionTimeout, followers[0]);
            await using var alive = await h.ConnectAsync(sessionTimeout, followers[1]);
            h.Log($"negotiated timeouts: doomed {doomed.NegotiatedTimeoutMs} ms, alive {alive.NegotiatedTimeoutMs} ms");
            await doomed.CreateAsync("/h-doomed", null, Acl.OpenAclUnsafe, CreateMode.Ephemeral);
            await alive.CreateAsync("/h-alive", null, Acl.OpenAclUnsafe, CreateMode.Ephemeral);
            foreach (int id in h.Voters) Assert.True(await ClusterReads.ExistsViaAsync(h, id, "/h-doomed"), $"ephemeral missing on server {id}");

            // Drop the connection without closeSession: only the expiry can remove the node.
            await doomed.AbandonAsync();
            var abandoned = Stopwatch.StartNew();
            var limit = TimeSpan.FromMilliseconds(doomed.NegotiatedTimeoutMs) + TimeSpan.FromSeconds(8);
            foreach (int id in h.Voters)
            {
                await Eventually.HoldsAsync(async () => !await ClusterReads.ExistsViaAsync(h, id, "/h-doomed"), limit - abandoned.Elapsed,
                    $"abandoned ephemeral gone on server {id}", 200);
            }
            h.Log($"abandoned ephemeral gone on every server {abandoned.ElapsedMilliseconds} ms after the client went silent");

            // The pinging session outlived several timeouts.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, 3 * alive.NegotiatedTimeoutMs - abandoned.ElapsedMilliseconds)));
            Assert.Equal(HotZk.Client.ZkState.Connected, alive.State);
            foreach (int id in h.Voters) Assert.True(await ClusterReads.ExistsViaAsync(h, id, "/h-alive"), $"live session's ephemeral missing on server {id}");
        });
    }
}
