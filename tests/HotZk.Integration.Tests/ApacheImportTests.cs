using System.Diagnostics;
using System.Text;
using HotZk.Client;
using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>
/// A data dir written by a real Apache ZooKeeper 3.8 in this test is imported with
/// <c>hotzk-server import</c>; HotZk then serves exactly the same tree, node by node, and the
/// live session it carried over can re-attach with its original id and password.
/// </summary>
public sealed class ApacheImportTests
{
    private sealed record NodeImage(byte[]? Data, Stat Stat, string Acl);

    [Fact]
    public async Task ImportedApacheDataDirServesTheSameTreeNodeByNode()
    {
        Assert.True(ApacheZkProcess.IsInstalled, "Debian's zookeeper package is required (.ci/run installs it)");
        string root = TestServer.NewDataDir();
        string zkData = Path.Combine(root, "zk");
        string hzData = Path.Combine(root, "hotzk");
        try
        {
            Dictionary<string, NodeImage> expected;
            long liveSession;
            byte[] livePassword;
            using (var zk = await ApacheZkProcess.StartAsync(zkData, "snapCount=40"))
            {
                await using var live = await ZkClient.ConnectAsync(zk.ConnectString, TimeSpan.FromSeconds(30));
                await using var c = await ZkClient.ConnectAsync(zk.ConnectString, TimeSpan.FromSeconds(30));
                await c.AddAuthAsync("digest", Encoding.UTF8.GetBytes("bob:secret"));
                await c.CreateAsync("/imp", Encoding.UTF8.GetBytes("root"), Acl.OpenAclUnsafe);
                for (int i = 0; i < 60; i++) await c.CreateAsync($"/imp/n{i}", [(byte)i], Acl.OpenAclUnsafe);
                for (int i = 0; i < 10; i++) await c.CreateAsync("/imp/seq-", null, Acl.OpenAclUnsafe, CreateMode.PersistentSequential);
                await c.DeleteAsync("/imp/seq-0000000063");
                for (int i = 0; i < 5; i++) await c.SetDataAsync("/imp/n1", Encoding.UTF8.GetBytes("v" + i));
                await c.CreateAsync("/imp/secret", [1, 2, 3], Acl.CreatorAllAcl);
                await c.CreateAsync("/imp/ro", null, [new Acl(Perms.Read, Id.AnyoneIdUnsafe), new Acl(Perms.All, new Id("ip", "127.0.0.1"))]);
                await c.SetAclAsync("/imp/n2", [new Acl(Perms.Read | Perms.Write, Id.AnyoneIdUnsafe)]);
                await live.CreateAsync("/imp/eph", Encoding.UTF8.GetBytes("alive"), Acl.OpenAclUnsafe, CreateMode.Ephemeral);
                await live.CreateAsync("/imp/eph-seq-", null, Acl.OpenAclUnsafe, CreateMode.EphemeralSequential);
                await c.CreateAsync("/imp/container", null, Acl.OpenAclUnsafe, CreateMode.Container);
                await c.CreateAsync("/imp/container/child", null, Acl.OpenAclUnsafe);
                for (int i = 0; i < 20; i += 2) await c.DeleteAsync($"/imp/n{i + 20}");
                expected = await DumpAsync(c);
                liveSession = live.SessionId;
                livePassword = live.SessionPassword.ToArray();
                zk.Kill();
            }
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(zkData, "version-2"), "snapshot.*"));

            var (code, output) = await RunServerCommandAsync("import", "--from", zkData, "--to", hzData);
            Assert.True(code == 0, output);
            Assert.Contains("imported", output);

            // Pointed at the Apache dir itself, HotZk refuses with a clear message instead of serving an empty tree.
            var (refuse, refuseOut) = await RunServerCommandAsync("server", WriteCfg(root, zkData));
            Assert.NotEqual(0, refuse);
            Assert.Contains("hotzk import", refuseOut);

            var server = TestServer.Start(hzData, c => c with { TickTime = 1000 });
            try
            {
                await using var c = await ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(30));
                await c.AddAuthAsync("digest", Encoding.UTF8.GetBytes("bob:secret"));
                var actual = await DumpAsync(c);
                Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
                foreach (var (path, want) in expected)
                {
                    var got = actual[path];
                    Assert.True(want.Stat == got.Stat, $"{path}: stat {want.Stat} vs {got.Stat}");
                    Assert.Equal(want.Data, got.Data);
                    Assert.Equal(want.Acl, got.Acl);
                }
                // The live session came along: it re-attaches with its original id and password, ephemerals intact.
                await using var again = await ZkClient.ConnectAsync(server.ConnectString, TimeSpan.FromSeconds(30), liveSession, livePassword);
                Assert.Equal(liveSession, again.SessionId);
                var (data, stat) = await again.GetDataAsync("/imp/eph");
                Assert.Equal("alive", Encoding.UTF8.GetString(data!));
                Assert.Equal(liveSession, stat.EphemeralOwner);
                // New writes continue after the imported zxids.
                var created = await c.Create2Async("/imp/after", null, Acl.OpenAclUnsafe);
                Assert.True(created.Stat.Czxid > expected.Values.Max(v => Math.Max(v.Stat.Mzxid, v.Stat.Pzxid)));
            }
            finally
            {
                await server.DisposeAsync();
            }
        }
        finally
        {
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    private static string WriteCfg(string dir, string dataDir)
    {
        string cfg = Path.Combine(dir, "refuse.cfg");
        File.WriteAllText(cfg, $"tickTime=2000\ndataDir={dataDir}\nclientPort={ServerProcess.FreePort()}\nclientPortAddress=127.0.0.1\n");
        return cfg;
    }

    private static async Task<Dictionary<string, NodeImage>> DumpAsync(ZkClient c)
    {
        var result = new Dictionary<string, NodeImage>(StringComparer.Ordinal);
        var stack = new Stack<string>();
        stack.Push("/imp");
        while (stack.Count > 0)
        {
            string p = stack.Pop();
            var (data, stat) = await c.GetDataAsync(p);
            var (acl, _) = await c.GetAclAsync(p);
            result[p] = new NodeImage(data, stat, string.Join(";", acl.Select(a => a.ToString())));
            foreach (var child in await c.GetChildrenAsync(p)) stack.Push(p + "/" + child);
        }
        return result;
    }

    private static async Task<(int Code, string Output)> RunServerCommandAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "hotzk-server.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout + await stderr);
    }
}
