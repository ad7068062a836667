using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using HotZk.Client;
using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>
/// A data dir written by a real Apache ZooKeeper 3.8 in this test is imported with
/// <c>hotzk-server import</c>; HotZk then serves exactly the same tree, node by node, and the
/// live session it carried over can re-attach with its original id and password. Once with plain
/// snapshots, once each with <c>zookeeper.snapshot.compression.method=gz</c> and <c>=snappy</c>.
/// </summary>
public sealed class ApacheImportTests
{
    private static readonly Regex SnapshotName = new(@"^snapshot\.([0-9a-f]+)(\.gz|\.snappy)?$", RegexOptions.CultureInvariant);

    private sealed record NodeImage(byte[]? Data, Stat Stat, string Acl);

    [Fact]
    public Task ImportedApacheDataDirServesTheSameTreeNodeByNode() => ImportAndCompareAsync(compression: null);

    [Fact]
    public Task ImportedDataDirWithGzipSnapshotsServesTheSameTreeNodeByNode() => ImportAndCompareAsync(compression: "gz");

    [Fact]
    public Task ImportedDataDirWithSnappySnapshotsServesTheSameTreeNodeByNode() => ImportAndCompareAsync(compression: "snappy");

    /// <param name="compression">null, <c>gz</c> or <c>snappy</c>: how ZooKeeper writes its snapshots.</param>
    private static async Task ImportAndCompareAsync(string? compression)
    {
        Assert.True(ApacheZkProcess.IsInstalled, "Debian's zookeeper package is required (.ci/run installs it)");
        string suffix = compression is null ? "" : "." + compression;
        string root = TestServer.NewDataDir();
        string zkData = Path.Combine(root, "zk");
        string hzData = Path.Combine(root, "hotzk");
        try
        {
            Dictionary<string, NodeImage> expected;
            long liveSession;
            byte[] livePassword;
            using (var zk = await ApacheZkProcess.StartAsync(zkData, "snapCount=40", compression))
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
                await WriteLogTailAsync(c, Path.Combine(zkData, "version-2"));
                expected = await DumpAsync(c);
                liveSession = live.SessionId;
                livePassword = live.SessionPassword.ToArray();
                zk.Kill();
            }
            // Every snapshot in the form asked for, at least one taken after startup's snapshot.0.
            var snapshots = ListSnapshots(Path.Combine(zkData, "version-2"));
            Assert.All(snapshots, f => Assert.Equal(suffix, f.Suffix));
            Assert.Contains(snapshots, f => f.Zxid > 0);

            var (code, output) = await RunServerCommandAsync("import", "--from", zkData, "--to", hzData);
            Assert.True(code == 0, output);
            Assert.Contains("imported", output);
            // The newest snapshot (in that form) was used, and a log tail replayed on top of it.
            var loaded = Regex.Match(output, @"loaded Apache snapshot (snapshot\.[0-9a-f]+(\.gz|\.snappy)?):");
            Assert.True(loaded.Success, output);
            var (newestZxid, newestSuffix) = snapshots.MaxBy(f => f.Zxid);
            Assert.Equal($"snapshot.{newestZxid:x}{newestSuffix}", loaded.Groups[1].Value);
            Assert.Matches(@"\+ [1-9][0-9]* logged txns", output);

            // Pointed at the Apache dir itself, HotZk refuses with a clear message instead of serving an empty tree.
            var (refuse, refuseOut) = await RunServerCommandAsync("server", WriteCfg(root, zkData));
            Assert.NotEqual(0, refuse);
            Assert.Contains("hotzk import", refuseOut);
            if (compression is not null)
            {
                // Also when version-2/ holds only compressed snapshots (no log.* to give it away).
                string snapOnly = Path.Combine(root, "snaponly");
                Directory.CreateDirectory(Path.Combine(snapOnly, "version-2"));
                foreach (string f in Directory.GetFiles(Path.Combine(zkData, "version-2"), "snapshot.*" + suffix))
                    File.Copy(f, Path.Combine(snapOnly, "version-2", Path.GetFileName(f)));
                var (refuse2, refuseOut2) = await RunServerCommandAsync("server", WriteCfg(root, snapOnly));
                Assert.NotEqual(0, refuse2);
                Assert.Contains("hotzk import", refuseOut2);
            }

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

    /// <summary>
    /// One more write, repeated (at most 3 times) while ZooKeeper's newest snapshot already covers it, so
    /// the import has txns to replay after its snapshot. A snapshot needs snapCount/2 txns since the last
    /// one, so a second write never triggers another.
    /// </summary>
    private static async Task WriteLogTailAsync(ZkClient c, string versionDir)
    {
        await c.CreateAsync("/imp/tail", null, Acl.OpenAclUnsafe);
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var stat = await c.SetDataAsync("/imp/tail", [(byte)attempt]);
            await Task.Delay(500); // a snapshot it triggered is written in the background; tiny here
            if (ListSnapshots(versionDir).Max(f => f.Zxid) < stat.Mzxid) return;
        }
        Assert.Fail("ZooKeeper kept snapshotting the last write; no log tail to import");
    }

    private static List<(long Zxid, string Suffix)> ListSnapshots(string versionDir)
    {
        var result = new List<(long, string)>();
        foreach (string f in Directory.GetFiles(versionDir, "snapshot.*"))
        {
            var m = SnapshotName.Match(Path.GetFileName(f));
            if (m.Success) result.Add((long.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), m.Groups[2].Value));
        }
        return result;
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
