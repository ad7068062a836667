using System.Text;
using HotZk.Client;
using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>Quota stats are kept as ZooKeeper keeps them; enforceQuota turns hard limits into QUOTAEXCEEDED.</summary>
public sealed class QuotaTests
{
    // What zkCli's "setquota -n 5 /q" then "setquota -N 4 /q" leave behind on 3.8 (format included).
    private static async Task SetQuotaLikeZkCliAsync(ZkClient c, string path)
    {
        await c.CreateAsync("/zookeeper/quota" + path, null, Acl.OpenAclUnsafe);
        await c.CreateAsync($"/zookeeper/quota{path}/zookeeper_stats", Encoding.UTF8.GetBytes("count=0,bytes=0"), Acl.OpenAclUnsafe);
        await c.CreateAsync($"/zookeeper/quota{path}/zookeeper_limits", Encoding.UTF8.GetBytes("count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=4"), Acl.OpenAclUnsafe);
    }

    [Fact]
    public async Task StatsNodeCountsNodesAndBytesOfTheQuotaSubtree()
    {
        var server = TestServer.Start();
        try
        {
            await using var c = await ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(30));
            await c.CreateAsync("/q", Encoding.UTF8.GetBytes("a"), Acl.OpenAclUnsafe);
            await c.CreateAsync("/q/c1", Encoding.UTF8.GetBytes("12345"), Acl.OpenAclUnsafe);
            await SetQuotaLikeZkCliAsync(c, "/q");
            Assert.Equal("count=2,bytes=6", Encoding.UTF8.GetString((await c.GetDataAsync("/zookeeper/quota/q/zookeeper_stats")).Data!));
            await c.CreateAsync("/q/c2", Encoding.UTF8.GetBytes("xy"), Acl.OpenAclUnsafe);
            Assert.Equal("count=3,bytes=8", Encoding.UTF8.GetString((await c.GetDataAsync("/zookeeper/quota/q/zookeeper_stats")).Data!));
            await c.SetDataAsync("/q/c1", Encoding.UTF8.GetBytes("1"));
            await c.DeleteAsync("/q/c2");
            var (data, stat) = await c.GetDataAsync("/zookeeper/quota/q/zookeeper_stats");
            Assert.Equal("count=2,bytes=2", Encoding.UTF8.GetString(data!));
            Assert.Equal(0, stat.Version); // the server rewrites the data in place, as ZooKeeper does
            // Without enforceQuota the hard limit (4) only counts, it does not refuse.
            for (int i = 0; i < 4; i++) await c.CreateAsync($"/q/x{i}", null, Acl.OpenAclUnsafe);
            Assert.Equal("count=6,bytes=2", Encoding.UTF8.GetString((await c.GetDataAsync("/zookeeper/quota/q/zookeeper_stats")).Data!));
        }
        finally
        {
            await server.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task EnforceQuotaRefusesCreatesBeyondTheHardCountLimit()
    {
        string dir = TestServer.NewDataDir();
        var server = TestServer.Start(dir, c => c with { EnforceQuota = true });
        try
        {
            await using var c = await ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(30));
            await c.CreateAsync("/q", null, Acl.OpenAclUnsafe);
            await SetQuotaLikeZkCliAsync(c, "/q");
            for (int i = 0; i < 3; i++) await c.CreateAsync($"/q/c{i}", null, Acl.OpenAclUnsafe); // 4 nodes with /q
            var e = await Assert.ThrowsAsync<ZkException>(() => c.CreateAsync("/q/c3", null, Acl.OpenAclUnsafe));
            Assert.Equal(ErrorCode.QuotaExceeded, e.Code);
            await c.CreateAsync("/elsewhere", null, Acl.OpenAclUnsafe); // other subtrees are not limited
        }
        finally
        {
            await server.DisposeAsync();
        }
        // The quota index survives a restart (rebuilt from the snapshot/log).
        var again = TestServer.Start(dir, c => c with { EnforceQuota = true });
        try
        {
            await using var c = await ZkClient.ConnectAsync(again.ConnectString, TimeSpan.FromSeconds(30));
            var e = await Assert.ThrowsAsync<ZkException>(() => c.CreateAsync("/q/c3", null, Acl.OpenAclUnsafe));
            Assert.Equal(ErrorCode.QuotaExceeded, e.Code);
        }
        finally
        {
            await again.DisposeAndDeleteAsync();
        }
    }
}
