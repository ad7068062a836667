using HotZk.Client;
using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>(c) A session and its ephemeral node survive a leader failover.</summary>
public sealed class SessionFailoverTests(ITestOutputHelper output)
{
    /// <summary>
    /// Proves: a session created on the leader is an ensemble-wide session. When the leader it is
    /// connected to is killed, the client re-attaches through another server with the same session id,
    /// its ephemeral node still exists (owned by that session) on every server, it can still write;
    /// and when the client then closes the session, the ephemeral is gone on every server, the
    /// restarted old leader included. Fails if the session is expired or replaced on failover, if the
    /// ephemeral is lost, or if closeSession does not replicate.
    /// </summary>
    [Fact]
    public async Task SessionAndEphemeralSurviveLeaderKillAndVanishOnClose()
    {
        await using var h = EnsembleHarness.Create(participants: 3, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int oldLeader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            int[] order = [oldLeader, .. h.Voters.Where(id => id != oldLeader)];
            // The leader first: the client attaches to the server that will die.
            var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), order);
            try
            {
                long sessionId = zk.SessionId;
                await zk.CreateAsync("/c", null, Acl.OpenAclUnsafe);
                await zk.CreateAsync("/c/eph", ClusterReads.Utf8("mine"), Acl.OpenAclUnsafe, CreateMode.Ephemeral);
                string cons = await FourLetterWords.AskAsync(h[oldLeader].ClientPort, "cons") ?? "";
                Assert.Contains($"sid=0x{sessionId:x}", cons, StringComparison.Ordinal);
                foreach (int id in h.Voters) Assert.True(await ClusterReads.ExistsViaAsync(h, id, "/c/eph"), $"ephemeral missing on server {id} before the kill");

                h.Kill(oldLeader);
                int newLeader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                Stat? stat = null;
                var took = await Eventually.HoldsAsync(async () =>
                {
                    stat = await zk.ExistsAsync("/c/eph").WaitAsync(TimeSpan.FromSeconds(3));
                    return true;
                }, TimeSpan.FromSeconds(20), "the client answering again after the failover");
                h.Log($"client usable again {took.TotalMilliseconds:0} ms after leader {newLeader} was found; state {zk.State}");

                Assert.Equal(sessionId, zk.SessionId);
                Assert.NotNull(stat);
                Assert.Equal(sessionId, stat.Value.EphemeralOwner);
                // The re-attached session must also be able to write through the new leader.
                await zk.CreateAsync("/c/after", null, Acl.OpenAclUnsafe).WaitAsync(TimeSpan.FromSeconds(10));

                h.Restart(oldLeader);
                await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                foreach (int id in h.Voters)
                {
                    Assert.True(await ClusterReads.ExistsViaAsync(h, id, "/c/eph"), $"ephemeral missing on server {id} after the failover");
                }

                await zk.CloseAsync();
                Assert.Equal(ZkState.Closed, zk.State);
                foreach (int id in h.Voters)
                {
                    Assert.False(await ClusterReads.ExistsViaAsync(h, id, "/c/eph"), $"ephemeral still on server {id} after the session was closed");
                    Assert.True(await ClusterReads.ExistsViaAsync(h, id, "/c/after"), $"/c/after missing on server {id}");
                }
            }
            finally
            {
                await zk.DisposeAsync();
            }
        });
    }
}
