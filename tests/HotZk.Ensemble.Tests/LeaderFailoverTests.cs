using System.Diagnostics;
using HotZk.Client;
using HotZk.Common;
using Xunit.Abstractions;

namespace HotZk.Ensemble.Tests;

/// <summary>(b) kill -9 of the leader under a write load.</summary>
public sealed class LeaderFailoverTests(ITestOutputHelper output)
{
    private const int Writers = 4;
    private const int MaxWritesPerWriter = 3000;

    /// <summary>
    /// Proves: no acknowledged write is lost when the leader dies mid-load (every one is on every
    /// server, the restarted old leader included, with its value; no node appears that no writer
    /// attempted), a new leader is elected and the same clients keep writing through it. Fails on a
    /// lost or altered acknowledged write, a phantom node, a failover that never completes, or writes
    /// that do not resume.
    /// </summary>
    [Fact]
    public async Task KillNineOfTheLeaderUnderLoadLosesNoAcknowledgedWrite()
    {
        await using var h = EnsembleHarness.Create(participants: 3, output: output);
        await h.RunAsync(async () =>
        {
            h.StartAll();
            int oldLeader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            await using (var setup = await h.ConnectAsync(TimeSpan.FromSeconds(10)))
            {
                await setup.CreateAsync("/load", null, Acl.OpenAclUnsafe);
            }

            var ledger = new WriteLedger();
            var clock = Stopwatch.StartNew();
            long killedAtTicks = long.MaxValue;       // clock ticks of the kill
            long firstAckAfterKill = long.MaxValue;   // first write started after the kill that was acknowledged
            int ackedAfterKill = 0;
            int failures = 0;
            using var stop = new CancellationTokenSource();

            // Each writer's connect string starts at a different server, so the load arrives through
            // the leader and through followers.
            var clients = new List<ZkClient>();
            for (int k = 0; k < Writers; k++)
            {
                int[] order = [.. Enumerable.Range(0, 3).Select(j => h.Voters[(k + j) % 3])];
                clients.Add(await h.ConnectAsync(TimeSpan.FromSeconds(10), order));
            }
            try
            {
                var writers = clients.Select((zk, k) => Task.Run(async () =>
                {
                    for (int i = 0; i < MaxWritesPerWriter && !stop.IsCancellationRequested; i++)
                    {
                        string path = $"/load/w{k}-{i:D5}";
                        string value = $"w{k}-{i}-{Random.Shared.Next():x8}";
                        ledger.Attempt(path, value);
                        long started = clock.ElapsedTicks;
                        try
                        {
                            await zk.CreateAsync(path, ClusterReads.Utf8(value), Acl.OpenAclUnsafe).WaitAsync(TimeSpan.FromSeconds(5));
                            ledger.Ack(path, value);
                            if (started > Volatile.Read(ref killedAtTicks))
                            {
                                Interlocked.Increment(ref ackedAfterKill);
                                long now = clock.ElapsedTicks;
                                long seen = Interlocked.Read(ref firstAckAfterKill);
                                while (now < seen && Interlocked.CompareExchange(ref firstAckAfterKill, now, seen) != seen) seen = Interlocked.Read(ref firstAckAfterKill);
                            }
                        }
                        catch (Exception e) when (e is ZkException or TimeoutException)
                        {
                            // Outcome unknown (ConnectionLoss, timeout): the write may or may not have happened.
                            Interlocked.Increment(ref failures);
                            if (e is ZkException { Code: ErrorCode.SessionExpired }) throw;
                            await Task.Delay(20);
                        }
                    }
                })).ToList();

                // Kill once a good part of the load is through, so the kill lands mid-stream.
                await Eventually.HoldsAsync(() => Task.FromResult(ledger.Acked.Count >= 300), TimeSpan.FromSeconds(30), "300 writes acknowledged before the kill", 10);
                Volatile.Write(ref killedAtTicks, clock.ElapsedTicks);
                h.Kill(oldLeader);
                int ackedAtKill = ledger.Acked.Count;
                int newLeader = await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
                Assert.NotEqual(oldLeader, newLeader);

                // The writers must carry on through the new leader.
                await Eventually.HoldsAsync(() => Task.FromResult(Volatile.Read(ref ackedAfterKill) >= 300), TimeSpan.FromSeconds(30),
                    "300 writes started after the kill acknowledged", 20);
                await stop.CancelAsync();
                await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));

                double failoverMs = (firstAckAfterKill - killedAtTicks) * 1000.0 / Stopwatch.Frequency;
                h.Log($"FAILOVER: kill of leader {oldLeader} to the first acknowledged write started after it: {failoverMs:0} ms (new leader {newLeader})");
                h.Log($"writes: {ledger.AttemptedCount} attempted, {ledger.Acked.Count} acknowledged ({ackedAtKill} before the kill, {ackedAfterKill} started after it), {failures} failed/unknown");
            }
            finally
            {
                foreach (var c in clients) await c.DisposeAsync();
            }

            // The old leader comes back and must hold the same history as the others.
            h.Restart(oldLeader);
            await h.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
            foreach (int id in h.Voters)
            {
                var tree = await ClusterReads.TreeViaAsync(h, id, "/load");
                var problems = ledger.Check(tree);
                Assert.True(problems.Count == 0, $"server {id}: {problems.Count} problems, e.g. {string.Join("; ", problems.Take(10))}");
                h.Log($"server {id}: all {ledger.Acked.Count} acknowledged writes present ({tree.Count} nodes)");
            }
        });
    }
}
