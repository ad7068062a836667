using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>Write, stop, restart on the same data dir, verify.</summary>
public sealed class DurabilityTests
{
    [Fact]
    public async Task RestartRecoversEveryAcknowledgedWrite()
    {
        string dir = TestServer.NewDataDir();
        var server = TestServer.Start(dir);
        long lastZxid;
        using (var zk = await RawZk.ConnectAsync(server.Endpoint))
        {
            Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/d", [1, 2, 3]))).Err);
            for (int i = 0; i < 50; i++)
            {
                int xid = 10 + i;
                Assert.Equal(0, (await zk.CallAsync(xid, OpCode.Create, w => RawZk.Create(w, "/d/n-", [(byte)i], flags: 2))).Err);
            }
            var set = await zk.CallAsync(100, OpCode.SetData, w => { w.WriteString("/d"); w.WriteBuffer([9]); w.WriteInt(0); });
            Assert.Equal(0, set.Err);
            Assert.Equal(0, (await zk.CallAsync(101, OpCode.Delete, w => { w.WriteString("/d/n-0000000003"); w.WriteInt(-1); })).Err);
            lastZxid = set.Zxid + 1;
        }
        await server.DisposeAsync();

        var again = TestServer.Start(dir, port: 0);
        try
        {
            using var zk = await RawZk.ConnectAsync(again.Endpoint);
            var (err, zxid, body, _) = await zk.CallAsync(1, OpCode.GetData, w => { w.WriteString("/d"); w.WriteBool(false); });
            Assert.Equal(0, err);
            Assert.True(zxid >= lastZxid);
            var r = new JuteReader(body);
            Assert.True(r.ReadBuffer(out var data));
            Assert.Equal(new byte[] { 9 }, data.ToArray());
            var stat = Stat.Read(ref r);
            Assert.Equal(1, stat.Version);
            Assert.Equal(49, stat.NumChildren);
            // Sequence numbers keep counting after restart (stored cversion survived).
            var (cerr, _, cbody, _) = await zk.CallAsync(2, OpCode.Create, w => RawZk.Create(w, "/d/n-", flags: 2));
            Assert.Equal(0, cerr);
            Assert.Equal("/d/n-0000000050", new JuteReader(cbody).ReadString());
        }
        finally
        {
            await again.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task RestartFromSnapshotsPlusLogTailRecoversTheSameTree()
    {
        string dir = TestServer.NewDataDir();
        var server = TestServer.Start(dir, c => c with { SnapCount = 20 });
        var expected = new Dictionary<string, byte[]>();
        using (var zk = await RawZk.ConnectAsync(server.Endpoint))
        {
            Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/s"))).Err);
            for (int i = 0; i < 150; i++)
            {
                string p = $"/s/n{i}";
                byte[] data = BitConverter.GetBytes(i * 7);
                Assert.Equal(0, (await zk.CallAsync(10 + i, OpCode.Create, w => RawZk.Create(w, p, data))).Err);
                expected[p] = data;
            }
            for (int i = 0; i < 150; i += 3)
            {
                Assert.Equal(0, (await zk.CallAsync(500 + i, OpCode.Delete, w => { w.WriteString($"/s/n{i}"); w.WriteInt(-1); })).Err);
                expected.Remove($"/s/n{i}");
            }
        }
        await server.DisposeAsync();
        var snaps = Directory.GetFiles(dir, "snap.*", SearchOption.AllDirectories);
        Assert.NotEmpty(snaps);

        var again = TestServer.Start(dir);
        try
        {
            Assert.Contains(again.LogLines, l => l.Contains("loaded snapshot"));
            using var zk = await RawZk.ConnectAsync(again.Endpoint);
            var (err, _, body, _) = await zk.CallAsync(1, OpCode.GetChildren2, w => { w.WriteString("/s"); w.WriteBool(false); });
            Assert.Equal(0, err);
            var r = new JuteReader(body);
            int n = r.ReadInt();
            var names = new HashSet<string>();
            for (int i = 0; i < n; i++) names.Add("/s/" + r.ReadStringNotNull());
            Assert.Equal(expected.Keys.ToHashSet(), names);
            var stat = Stat.Read(ref r);
            Assert.Equal(150 + 50, stat.Cversion); // 150 creations + 50 deletions
            await AssertDataAsync(zk, expected, firstXid: 2);
        }
        finally
        {
            await again.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task TheLogSizeLimitTriggersASnapshotLongBeforeSnapCount()
    {
        string dir = TestServer.NewDataDir();
        // snapSizeLimitInKb=64: a snapshot once 32-64 KiB of log (jittered) were written, whatever snapCount says.
        var server = TestServer.Start(dir, c => c with { SnapCount = 1_000_000, SnapSizeLimitInKb = 64 });
        try
        {
            using var zk = await RawZk.ConnectAsync(server.Endpoint);
            Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/big"))).Err);
            var value = new byte[2048];
            for (int i = 0; i < 40; i++)
            {
                Assert.Equal(0, (await zk.CallAsync(10 + i, OpCode.SetData, w => { w.WriteString("/big"); w.WriteBuffer(value); w.WriteInt(-1); })).Err);
            }
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!server.LogLines.Any(l => l.Contains("snapshot") && l.Contains("written")) && DateTime.UtcNow < deadline) await Task.Delay(50);
            Assert.Contains(server.LogLines, l => l.Contains("snapshot") && l.Contains("written"));
            Assert.NotEmpty(Directory.GetFiles(dir, "snap.*", SearchOption.AllDirectories));
        }
        finally
        {
            await server.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task AnImageWhoseDigestDoesNotMatchItsReplayIsSkippedForTheOlderOne()
    {
        string dir = TestServer.NewDataDir();
        var server = TestServer.Start(dir, c => c with { SnapCount = 20 });
        var expected = new Dictionary<string, byte[]>();
        using (var zk = await RawZk.ConnectAsync(server.Endpoint))
        {
            Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/g"))).Err);
            for (int i = 0; i < 120; i++)
            {
                string p = $"/g/n{i}";
                byte[] data = BitConverter.GetBytes(i * 13);
                Assert.Equal(0, (await zk.CallAsync(10 + i, OpCode.Create, w => RawZk.Create(w, p, data))).Err);
                expected[p] = data;
            }
        }
        await server.DisposeAsync();
        var snaps = Directory.GetFiles(dir, "snap.*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".tmp")).Order(StringComparer.Ordinal).ToList();
        Assert.True(snaps.Count >= 2, $"need two images, found {snaps.Count}");

        // Change the recorded digest of the newest image and re-seal its checksum: the file is intact,
        // but image plus log no longer give the tree it claims, which only the digest check can see.
        string newest = snaps[^1];
        var bytes = File.ReadAllBytes(newest);
        int content = bytes.Length - 24;
        bytes[content - 1] ^= 0x5A; // last byte of the digest, the final field of the content
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(content + 8), System.IO.Hashing.XxHash3.HashToUInt64(bytes.AsSpan(0, content)));
        File.WriteAllBytes(newest, bytes);

        var again = TestServer.Start(dir);
        try
        {
            Assert.Contains(again.LogLines, l => l.Contains("digest") && l.Contains(Path.GetFileName(newest)) && l.Contains("trying an older one"));
            Assert.Contains(again.LogLines, l => l.Contains("tree digest verified"));
            using var zk = await RawZk.ConnectAsync(again.Endpoint);
            await AssertDataAsync(zk, expected, firstXid: 1);
        }
        finally
        {
            await again.DisposeAndDeleteAsync();
        }
    }

    [Fact]
    public async Task AMissingLogSegmentStopsStartUpInsteadOfServingAPartialTree()
    {
        string dir = TestServer.NewDataDir();
        // 1 MiB segments (the smallest HotZk reserves) and no snapshot: the whole history spans several segments.
        var server = TestServer.Start(dir, c => c with { SnapCount = 1_000_000, PreAllocSizeKb = 1024 });
        using (var zk = await RawZk.ConnectAsync(server.Endpoint))
        {
            Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/h"))).Err);
            var data = new byte[4096];
            for (int i = 0; i < 1000; i++) Assert.Equal(0, (await zk.CallAsync(10 + i, OpCode.Create, w => RawZk.Create(w, $"/h/n{i}", data))).Err);
        }
        await server.DisposeAsync();
        var segments = Directory.GetFiles(Path.Combine(dir, "hotzk-log"), "log.*").Order(StringComparer.Ordinal).ToList();
        Assert.True(segments.Count >= 3, $"expected several segments, found {segments.Count}");
        File.Delete(segments[1]);

        var e = Assert.ThrowsAny<Exception>(() => TestServer.Start(dir));
        Assert.Contains("hole", e.ToString(), StringComparison.OrdinalIgnoreCase);
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task ALogThatStartsAfterTheNewestImageStopsStartUp()
    {
        string dir = TestServer.NewDataDir();
        var server = TestServer.Start(dir, c => c with { SnapCount = 20 });
        using (var zk = await RawZk.ConnectAsync(server.Endpoint))
        {
            Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/g"))).Err);
            for (int i = 0; i < 100; i++) Assert.Equal(0, (await zk.CallAsync(10 + i, OpCode.Create, w => RawZk.Create(w, $"/g/a{i}"))).Err);
        }
        await server.DisposeAsync();
        // Then several 1 MiB segments with no snapshot among them.
        server = TestServer.Start(dir, c => c with { SnapCount = 1_000_000, PreAllocSizeKb = 1024 });
        using (var zk = await RawZk.ConnectAsync(server.Endpoint))
        {
            var data = new byte[4096];
            for (int i = 0; i < 1000; i++) Assert.Equal(0, (await zk.CallAsync(200 + i, OpCode.Create, w => RawZk.Create(w, $"/g/b{i}", data))).Err);
        }
        await server.DisposeAsync();

        static long ZxidOf(string file) => long.Parse(Path.GetFileName(file).Split('.')[1], System.Globalization.NumberStyles.HexNumber);
        long newestImage = Directory.GetFiles(Path.Combine(dir, "hotzk-snap"), "snap.*").Where(f => !f.EndsWith(".tmp")).Max(ZxidOf);
        var segments = Directory.GetFiles(Path.Combine(dir, "hotzk-log"), "log.*").OrderBy(ZxidOf).ToList();
        // Remove the segment that holds newestImage+1 and everything before it: what is left is a
        // consistent log on its own, only it starts after the image ends.
        var doomed = segments.Where(f => ZxidOf(f) <= newestImage + 1).ToList();
        Assert.NotEmpty(doomed);
        Assert.True(segments.Count > doomed.Count, "the test needs segments after the image's own");
        foreach (var f in doomed) File.Delete(f);

        var e = Assert.ThrowsAny<Exception>(() => TestServer.Start(dir));
        Assert.Contains("hole", e.ToString(), StringComparison.OrdinalIgnoreCase);
        try { Directory.Delete(dir, true); } catch (IOException) { }
    }

    [Fact]
    public async Task EphemeralsOfALiveSessionSurviveARestartUntilTheSessionExpires()
    {
        string dir = TestServer.NewDataDir();
        var server = TestServer.Start(dir, c => c with { TickTime = 100 });
        using (var zk = await RawZk.ConnectAsync(server.Endpoint, timeout: 1000))
        {
            Assert.Equal(0, (await zk.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/eph-restart", flags: 1))).Err);
            await server.DisposeAsync();
        }
        var again = TestServer.Start(dir, c => c with { TickTime = 100 });
        try
        {
            using var zk = await RawZk.ConnectAsync(again.Endpoint);
            Assert.Equal(0, (await zk.CallAsync(1, OpCode.Exists, w => { w.WriteString("/eph-restart"); w.WriteBool(false); })).Err);
            // Timeout 1 s (within [200, 2000]): the old session expires and takes its ephemeral with it.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            int err = 0;
            int xid = 2;
            while (DateTime.UtcNow < deadline)
            {
                err = (await zk.CallAsync(xid++, OpCode.Exists, w => { w.WriteString("/eph-restart"); w.WriteBool(false); })).Err;
                if (err == (int)ErrorCode.NoNode) break;
                await Task.Delay(100);
            }
            Assert.Equal((int)ErrorCode.NoNode, err);
        }
        finally
        {
            await again.DisposeAndDeleteAsync();
        }
    }

    /// <summary>Every path of <paramref name="expected"/> reads back with exactly its data.</summary>
    private static async Task AssertDataAsync(RawZk zk, Dictionary<string, byte[]> expected, int firstXid)
    {
        int xid = firstXid;
        foreach (var (p, data) in expected)
        {
            var (gerr, _, g, _) = await zk.CallAsync(xid++, OpCode.GetData, w => { w.WriteString(p); w.WriteBool(false); });
            Assert.Equal(0, gerr);
            var gr = new JuteReader(g);
            Assert.True(gr.ReadBuffer(out var got));
            Assert.Equal(data, got.ToArray());
        }
    }
}
