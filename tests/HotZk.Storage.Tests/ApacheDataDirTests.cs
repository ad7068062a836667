using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HotZk.Common;
using HotZk.Engine.Storage;
using Xunit;
using Xunit.Abstractions;

namespace HotZk.Storage.Tests;

/// <summary>A fact that needs java and the Debian <c>zookeeper</c> package; skipped with the reason otherwise.</summary>
public sealed class ApacheZkFactAttribute : FactAttribute
{
    public const string Jar = "/usr/share/java/zookeeper.jar";
    public const string Cli = "/usr/share/zookeeper/bin/zkCli.sh";

    public ApacheZkFactAttribute()
    {
        if (!File.Exists(Jar) || !File.Exists(Cli))
        {
            Skip = $"Apache ZooKeeper not installed ({Jar}, {Cli})";
        }
        else if (!File.Exists("/usr/bin/java"))
        {
            Skip = "java not installed";
        }
    }
}

public sealed class ApacheDataDirTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Adler32MatchesKnownValuesAndTheNaiveDefinition()
    {
        Assert.Equal(0x11E60398u, Adler32.Compute("Wikipedia"u8));
        Assert.Equal(1u, Adler32.Compute([]));
        var big = new byte[100_000];
        Array.Fill(big, (byte)0xFF); // worst case for the deferred modulo
        uint a = 1, b = 0;
        foreach (byte x in big)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }

        Assert.Equal((b << 16) | a, Adler32.Compute(big));
        Assert.Equal(Adler32.Compute(big), Adler32.Update(Adler32.Compute(big.AsSpan(0, 7000)), big.AsSpan(7000)));
    }

    [ApacheZkFact]
    public void ReadsTxnLogsAndSnapshotsWrittenByApacheZooKeeper()
    {
        string dataDir = _dir.Sub("data");
        Directory.CreateDirectory(dataDir);
        int port = FreePort();
        string cfg = _dir.Sub("zoo.cfg");
        File.WriteAllText(cfg, $"tickTime=2000\ndataDir={dataDir}\nclientPort={port}\nclientPortAddress=127.0.0.1\nsnapCount=2\nadmin.enableServer=false\n");
        var psi = new ProcessStartInfo("java",
            $"-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dzookeeper.admin.enableServer=false -cp {ApacheZkFactAttribute.Jar}:/usr/share/java/slf4j-simple.jar org.apache.zookeeper.server.ZooKeeperServerMain {cfg}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var server = Process.Start(psi)!;
        server.OutputDataReceived += (_, _) => { };
        server.ErrorDataReceived += (_, _) => { };
        server.BeginOutputReadLine();
        server.BeginErrorReadLine();
        try
        {
            WaitForPort(port, TimeSpan.FromSeconds(60));
            foreach (string command in new[] { "create /a x", "create /b yy", "create /a/c zzz", "set /a hello", "delete /b" })
            {
                output.WriteLine($"{command}: {RunCli(port, command)}");
            }
        }
        finally
        {
            // SIGTERM lets it finish a snapshot in progress; bounded wait, then SIGKILL.
            Process.Start("kill", $"-TERM {server.Id}")!.WaitForExit(10_000);
            if (!server.WaitForExit(20_000))
            {
                server.Kill();
                server.WaitForExit(10_000);
            }
        }

        string versionDir = Path.Combine(dataDir, "version-2");
        output.WriteLine(string.Join(", ", Directory.GetFiles(versionDir).Select(Path.GetFileName)));

        // Txn logs: every txn, zxids 1.. without gaps, in order across files.
        var txns = ApacheTxnLogReader.ListLogs(versionDir).SelectMany(l => ApacheTxnLogReader.Read(l.Path)).ToList();
        Assert.Equal(Enumerable.Range(1, txns.Count).Select(i => (long)i), txns.Select(t => t.Zxid));
        const int createSession = -10, create = 1, delete = 2, setData = 5, closeSession = -11;
        Assert.Equal(new[] { create, create, create, setData, delete }, txns.Select(t => t.Type).Where(t => t is not createSession and not closeSession and not -1));
        Assert.Equal(new[] { "/a", "/b", "/a/c" }, txns.Where(t => t.Type == create).Select(PathOf));
        Assert.Equal("/b", PathOf(txns.Single(t => t.Type == delete)));
        var creator = txns.First(t => t.Type == create).ClientId;
        Assert.Contains(txns, t => t.Type == createSession && t.ClientId == creator);

        // Snapshots: the newest readable one, plus the log after it, gives the final tree.
        var snapshots = ApacheSnapshotReader.ListSnapshots(versionDir);
        Assert.True(snapshots.Count >= 2, "snapCount=2 should have produced snapshots beyond snapshot.0");
        var first = ApacheSnapshotReader.Read(snapshots[^1].Path);
        Assert.Equal("", first.Nodes[0].Path);
        Assert.Contains(first.Nodes, n => n.Path == "/zookeeper");

        var newest = snapshots.Select(s => (s.Zxid, Snap: TryRead(s.Path))).First(s => s.Snap is not null);
        var tree = newest.Snap!.Nodes.ToDictionary(n => n.Path, n => n.Data);
        foreach (var t in txns.Where(t => t.Zxid > newest.Zxid))
        {
            ApplyForTest(tree, t);
        }

        Assert.Equal("hello", Encoding.UTF8.GetString(tree["/a"]!));
        Assert.Equal("zzz", Encoding.UTF8.GetString(tree["/a/c"]!));
        Assert.False(tree.ContainsKey("/b"));

        // The snapshot taken after /a/c was created holds its stat as Apache wrote it.
        var withC = snapshots.Select(s => TryRead(s.Path)).OfType<ApacheSnapshot>().First(s => s.Nodes.Any(n => n.Path == "/a/c"));
        var c = withC.Nodes.Single(n => n.Path == "/a/c");
        Assert.Equal(txns.Single(t => t.Type == create && PathOf(t) == "/a/c").Zxid, c.Czxid);
        // Created by a client with world:anyone ALL: a cache entry (-1 is only used for a null ACL list).
        var acl = Assert.Single(withC.AclCache[c.AclIndex]);
        Assert.Equal((Perms.All, "world", "anyone"), (acl.Perms, acl.Id.Scheme, acl.Id.Ident));
    }

    [Fact]
    public void TornApacheLogTailStopsQuietlyAndBadChecksumThrows()
    {
        string path = _dir.Sub("log.1");
        var entries = new List<byte[]>();
        using (var f = new FileStream(path, FileMode.Create))
        {
            var w = new JuteWriter(new ByteBuffer());
            w.WriteInt(0x5A4B4C47);
            w.WriteInt(2);
            w.WriteLong(0);
            for (long z = 1; z <= 3; z++)
            {
                var payload = new JuteWriter(new ByteBuffer());
                payload.WriteLong(0x1234);
                payload.WriteInt((int)z);
                payload.WriteLong(z);
                payload.WriteLong(1000);
                payload.WriteInt(-1);
                payload.WriteInt(0); // ErrorTxn
                var bytes = payload.Buffer.WrittenSpan.ToArray();
                entries.Add(bytes);
                w.WriteLong(Adler32.Compute(bytes));
                w.WriteInt(bytes.Length);
                w.Buffer.Write(bytes);
                w.WriteByte((byte)'B');
            }

            f.Write(w.Buffer.WrittenSpan);
            f.Write(new byte[100]); // preallocation
        }

        Assert.Equal(new long[] { 1, 2, 3 }, ApacheTxnLogReader.Read(path).Select(t => t.Zxid));

        long full = new FileInfo(path).Length - 100;
        using (var f = new FileStream(path, FileMode.Open))
        {
            f.SetLength(full - 3); // torn inside the last entry
        }

        Assert.Equal(new long[] { 1, 2 }, ApacheTxnLogReader.Read(path).Select(t => t.Zxid));

        using (var f = new FileStream(path, FileMode.Open))
        {
            f.Position = 16 + 12 + 5; // first entry's payload
            int b = f.ReadByte();
            f.Position--;
            f.WriteByte((byte)(b ^ 1));
        }

        Assert.Throws<InvalidDataException>(() => ApacheTxnLogReader.Read(path).ToList());
    }

    private static ApacheSnapshot? TryRead(string path)
    {
        try
        {
            return ApacheSnapshotReader.Read(path);
        }
        catch (InvalidDataException)
        {
            return null; // e.g. cut short by the shutdown; recovery uses an older one
        }
    }

    private static string PathOf(ApacheTxn t)
    {
        var r = new JuteReader(t.Payload);
        r.Skip(32); // TxnHeader: long clientId, int cxid, long zxid, long time, int type
        return r.ReadStringNotNull();
    }

    /// <summary>Just enough replay to check the reader's output: create, setData, delete.</summary>
    private static void ApplyForTest(Dictionary<string, byte[]?> tree, ApacheTxn t)
    {
        var r = new JuteReader(t.Payload);
        r.Skip(32);
        switch (t.Type)
        {
            case 1:
                tree[r.ReadStringNotNull()] = r.ReadBufferArray();
                break;
            case 5:
                tree[r.ReadStringNotNull()] = r.ReadBufferArray();
                break;
            case 2:
                tree.Remove(r.ReadStringNotNull());
                break;
        }
    }

    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        int port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static void WaitForPort(int port, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < timeout)
        {
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(200);
            }
        }

        throw new TimeoutException($"ZooKeeper did not listen on {port} within {timeout}");
    }

    /// <summary>One zkCli.sh invocation per command, retried (bounded) when the connection was not up yet.</summary>
    private static string RunCli(int port, string command)
    {
        string result = "";
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var psi = new ProcessStartInfo(ApacheZkFactAttribute.Cli, $"-server 127.0.0.1:{port} {command}")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var cli = Process.Start(psi)!;
            var stdout = cli.StandardOutput.ReadToEndAsync();
            var stderr = cli.StandardError.ReadToEndAsync();
            if (!cli.WaitForExit(60_000))
            {
                cli.Kill();
                cli.WaitForExit(10_000);
                continue;
            }

            result = stdout.Result + stderr.Result;
            if (!result.Contains("ConnectionLoss", StringComparison.Ordinal) && !result.Contains("SessionExpired", StringComparison.Ordinal))
            {
                return result.Trim().Split('\n')[^1];
            }
        }

        throw new InvalidOperationException($"zkCli.sh {command} kept failing: {result}");
    }

}
