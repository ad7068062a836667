using System.Buffers.Binary;
using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>
/// SIGKILL at random moments while pipelined setData load keeps fuzzy snapshots running (snapCount 500):
/// after each restart every key must hold exactly the version and data of a write the client sent,
/// never less than the last acknowledged one, and recovery must verify the image's digest.
/// </summary>
public sealed class CrashDuringSnapshotTests
{
    private const int Keys = 40;

    [Fact]
    public async Task KillNineWhileSnapshotsRunLosesNoAcknowledgedVersion()
    {
        string dir = TestServer.NewDataDir();
        int port = ServerProcess.FreePort();
        string cfg = ServerProcess.WriteConfig(dir, port, "snapCount=500\n");
        var rng = new Random(4242);
        // attempts[k][v-1] = the data sent by the v-th setData of key k; acked[k] = highest acknowledged version.
        var attempts = new List<byte[]>[Keys];
        var acked = new int[Keys];
        for (int k = 0; k < Keys; k++) attempts[k] = [];
        const int Rounds = 5;
        int digestChecks = 0;
        try
        {
            for (int round = 0; round < Rounds; round++)
            {
                using var server = await ServerProcess.StartAsync(cfg, port);
                using (var check = await RawZk.ConnectAsync(server.Endpoint))
                {
                    if (round == 0)
                    {
                        Assert.Equal(0, (await check.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/v"))).Err);
                        for (int k = 0; k < Keys; k++) Assert.Equal(0, (await check.CallAsync(2 + k, OpCode.Create, w => RawZk.Create(w, $"/v/k{k}"))).Err);
                    }
                    else
                    {
                        await VerifyAsync(check, attempts, acked);
                    }
                }
                Assert.DoesNotContain(server.Output, l => l.Contains("digest at zxid"));
                digestChecks += server.Output.Count(l => l.Contains("tree digest verified"));

                using var zk = await RawZk.ConnectAsync(server.Endpoint);
                var killer = Task.Delay(rng.Next(300, 1200)).ContinueWith(_ => server.Kill());
                int xid = 1;
                var inFlight = new Dictionary<int, (int Key, int Version)>();
                try
                {
                    for (int i = 0; i < 200_000; i++)
                    {
                        int k = rng.Next(Keys);
                        var data = new byte[16 + rng.Next(200)];
                        rng.NextBytes(data);
                        attempts[k].Add(data);
                        inFlight[xid] = (k, attempts[k].Count);
                        await zk.SendFrameAsync(RawZk.Request(xid++, OpCode.SetData, w => { w.WriteString($"/v/k{k}"); w.WriteBuffer(data); w.WriteInt(-1); }));
                        while (inFlight.Count >= 64) await ReadAckAsync(zk, inFlight, acked);
                    }
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    // The kill cut the connection: what was acknowledged must survive.
                }
                await killer;
            }
            using var final = await ServerProcess.StartAsync(cfg, port);
            using (var last = await RawZk.ConnectAsync(final.Endpoint)) await VerifyAsync(last, attempts, acked);
            Assert.DoesNotContain(final.Output, l => l.Contains("digest at zxid"));
            digestChecks += final.Output.Count(l => l.Contains("tree digest verified"));
            Assert.True(acked.Sum() > 1000, $"only {acked.Sum()} writes were acknowledged: the test did not exercise snapshots under load");
            Assert.True(digestChecks > 0, "no restart loaded an image with a digest: snapshots never completed under this load");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static async Task ReadAckAsync(RawZk zk, Dictionary<int, (int Key, int Version)> inFlight, int[] acked)
    {
        var f = await zk.ReadFrameAsync(5000) ?? throw new IOException("closed");
        var r = new JuteReader(f);
        int xid = r.ReadInt();
        r.ReadLong();
        int err = r.ReadInt();
        if (!inFlight.Remove(xid, out var w)) return;
        Assert.Equal(0, err);
        var stat = Stat.Read(ref r);
        Assert.Equal(w.Version, stat.Version); // unconditional setData on one connection applies in order
        if (w.Version > acked[w.Key]) acked[w.Key] = w.Version;
    }

    private static async Task VerifyAsync(RawZk zk, List<byte[]>[] attempts, int[] acked)
    {
        int xid = 5000;
        for (int k = 0; k < Keys; k++)
        {
            var (err, _, body, _) = await zk.CallAsync(xid++, OpCode.GetData, w => { w.WriteString($"/v/k{k}"); w.WriteBool(false); });
            Assert.Equal(0, err);
            var r = new JuteReader(body);
            Assert.True(r.ReadBuffer(out var got));
            byte[] data = got.ToArray();
            var stat = Stat.Read(ref r);
            int v = stat.Version;
            Assert.True(v >= acked[k], $"/v/k{k} is at version {v} but version {acked[k]} was acknowledged");
            Assert.True(v <= attempts[k].Count, $"/v/k{k} is at version {v} but only {attempts[k].Count} writes were sent");
            if (v > 0) Assert.Equal(attempts[k][v - 1], data);
            else Assert.Empty(data);
            // Writes sent but lost in the crash are forgotten: the next round numbers from what survived.
            attempts[k].RemoveRange(v, attempts[k].Count - v);
            acked[k] = v;
        }
    }
}
