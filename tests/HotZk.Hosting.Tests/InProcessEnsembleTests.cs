using System.Text;
using HotZk.Client;
using HotZk.Common;
using Xunit;

namespace HotZk.Hosting.Tests;

/// <summary>Ensemble behaviour that needs whole members but not separate processes: zxid rollover, read-only mode, mntr.</summary>
public sealed class InProcessEnsembleTests
{
    /// <summary>Writes with retries on connection loss (a leader change drops the client's connection).</summary>
    private static async Task<Stat> SetWithRetryAsync(ZkClient c, string path, byte[] data, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                return await c.SetDataAsync(path, data);
            }
            catch (ZkException e) when (e.Code is ErrorCode.ConnectionLoss && DateTime.UtcNow < deadline)
            {
                // A lost write may or may not have committed; setData of the same value is idempotent here.
                await Task.Delay(50);
            }
        }
    }

    [Fact]
    public async Task ExhaustedZxidCountersHandLeadershipToANewEpochWithoutLosingWrites()
    {
        // A leader steps down when the counter passes 20, so 120 writes need several epochs.
        await using var ens = await InProcessEnsemble.StartAsync(3, "hotzk.zxidCounterLimit=20");
        await using var c = await ZkClient.ConnectAsync(ens.ConnectString(), TimeSpan.FromSeconds(10));
        await c.CreateAsync("/roll", null, Acl.OpenAclUnsafe);
        var epochs = new HashSet<long>();
        for (int i = 0; i < 120; i++)
        {
            var stat = await SetWithRetryAsync(c, "/roll", Encoding.UTF8.GetBytes("v" + i), TimeSpan.FromSeconds(20));
            epochs.Add(stat.Mzxid >>> 32);
            Assert.True((stat.Mzxid & 0xFFFFFFFFL) <= 20, $"zxid 0x{stat.Mzxid:x} past the counter limit");
        }
        Assert.True(epochs.Count >= 5, $"only epochs {string.Join(",", epochs)} for 120 writes with a limit of 20\n{ens.Log[^4000..]}");
        // Every member converges on the last value.
        for (int id = 1; id <= 3; id++)
        {
            await using var m = await ZkClient.ConnectAsync(ens.ConnectString(id), TimeSpan.FromSeconds(10));
            await m.SyncAsync("/roll");
            var (data, stat) = await m.GetDataAsync("/roll");
            Assert.Equal("v119", Encoding.UTF8.GetString(data!));
            Assert.True(stat.Version >= 120);
        }
    }

    [Fact]
    public async Task AMemberWithoutQuorumServesReadOnlyClientsOnlyAndRejoinsLater()
    {
        await using var ens = await InProcessEnsemble.StartAsync(3, "readonlymode.enabled=true");
        await using (var w = await ZkClient.ConnectAsync(ens.ConnectString(1), TimeSpan.FromSeconds(10)))
        {
            await w.CreateAsync("/ro", Encoding.UTF8.GetBytes("kept"), Acl.OpenAclUnsafe);
            await w.SyncAsync("/ro");
        }
        await ens.StopAsync(2);
        await ens.StopAsync(3);
        // Leaderless for max(2 s, tickTime): read-only.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (ens.ModeOf(1) != "read-only" && DateTime.UtcNow < deadline) await Task.Delay(100);
        Assert.Equal("read-only", ens.ModeOf(1));
        Assert.Equal("ro", ens.FourLetter(1, "isro"));

        await using (var ro = await ZkClient.ConnectAsync(ens.ConnectString(1), TimeSpan.FromSeconds(10), new ZkClientOptions { CanBeReadOnly = true }))
        {
            var (data, _) = await ro.GetDataAsync("/ro");
            Assert.Equal("kept", Encoding.UTF8.GetString(data!));
            var e = await Assert.ThrowsAsync<ZkException>(() => ro.CreateAsync("/nope", null, Acl.OpenAclUnsafe));
            Assert.Equal(ErrorCode.NotReadOnly, e.Code);
        }
        // A client that does not accept a read-only server is not served.
        await Assert.ThrowsAsync<ZkException>(() => ZkClient.ConnectAsync(ens.ConnectString(1), TimeSpan.FromSeconds(2), new ZkClientOptions { ConnectTimeout = TimeSpan.FromSeconds(2) }));

        // The quorum returns: read-write again, and nothing was written while read-only.
        ens.Start(2);
        await ens.WaitForLeaderAsync(TimeSpan.FromSeconds(30));
        await using var rw = await ZkClient.ConnectAsync(ens.ConnectString(1), TimeSpan.FromSeconds(10));
        Assert.Null(await rw.ExistsAsync("/nope"));
        await rw.CreateAsync("/after", null, Acl.OpenAclUnsafe);
    }

    [Fact]
    public async Task MntrReportsTheQuorumAsZooKeeperDoes()
    {
        await using var ens = await InProcessEnsemble.StartAsync(3);
        int leader = await ens.WaitForLeaderAsync(TimeSpan.FromSeconds(10));
        int follower = leader == 1 ? 2 : 1;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string mntr = ens.FourLetter(leader, "mntr");
        while (!mntr.Contains("zk_synced_followers\t2", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            mntr = ens.FourLetter(leader, "mntr");
        }
        Assert.Contains("zk_server_state\tleader\n", mntr);
        Assert.Contains("zk_peer_state\tleading - broadcast\n", mntr);
        Assert.Contains("zk_quorum_size\t3\n", mntr);
        Assert.Contains("zk_synced_followers\t2\n", mntr);
        Assert.Contains("zk_learners\t2\n", mntr);
        string fm = ens.FourLetter(follower, "mntr");
        Assert.Contains("zk_server_state\tfollower\n", fm);
        Assert.Contains("zk_peer_state\tfollowing - broadcast\n", fm);
        Assert.DoesNotContain("zk_synced_followers", fm);
    }
}
