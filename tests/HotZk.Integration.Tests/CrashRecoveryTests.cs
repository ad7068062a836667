using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>
/// SIGKILL the server at random moments under a pipelined write load; after every restart each
/// acknowledged write must be there with its data, and nothing that was never attempted may appear.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Fact]
    public async Task KillNineUnderLoadLosesNoAcknowledgedWrite()
    {
        string dir = TestServer.NewDataDir();
        int port = ServerProcess.FreePort();
        string cfg = ServerProcess.WriteConfig(dir, port);
        var rng = new Random(12345);
        var acked = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var attempted = new HashSet<string>(StringComparer.Ordinal);
        const int Rounds = 6;
        try
        {
            for (int round = 0; round < Rounds; round++)
            {
                using var server = await ServerProcess.StartAsync(cfg, port);
                using (var check = await RawZk.ConnectAsync(server.Endpoint))
                {
                    await VerifyAsync(check, acked, attempted);
                    if (round == 0) Assert.Equal(0, (await check.CallAsync(1, OpCode.Create, w => RawZk.Create(w, "/crash"))).Err);
                }

                using var zk = await RawZk.ConnectAsync(server.Endpoint);
                var killAfter = TimeSpan.FromMilliseconds(rng.Next(50, 400));
                var killer = Task.Delay(killAfter).ContinueWith(_ => server.Kill());
                int xid = 1;
                var inFlight = new Dictionary<int, (string Path, byte[] Data)>();
                // Pipeline up to 64 creates; record each acknowledgement as it arrives.
                try
                {
                    for (int i = 0; i < 5000; i++)
                    {
                        string path = $"/crash/r{round}-{i}";
                        byte[] data = BitConverter.GetBytes(round * 100000 + i);
                        attempted.Add(path);
                        inFlight[xid] = (path, data);
                        await zk.SendFrameAsync(RawZk.Request(xid++, OpCode.Create, w => RawZk.Create(w, path, data)));
                        while (inFlight.Count >= 64) await ReadAckAsync(zk, inFlight, acked);
                    }
                    while (inFlight.Count > 0) await ReadAckAsync(zk, inFlight, acked);
                }
                catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
                {
                    // The kill cut the connection: whatever was acknowledged so far must survive.
                }
                await killer;
            }
            using var final = await ServerProcess.StartAsync(cfg, port);
            using var last = await RawZk.ConnectAsync(final.Endpoint);
            await VerifyAsync(last, acked, attempted);
            Assert.True(acked.Count > 0, "no write was acknowledged: the test did not exercise anything");
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static async Task ReadAckAsync(RawZk zk, Dictionary<int, (string Path, byte[] Data)> inFlight, Dictionary<string, byte[]> acked)
    {
        var f = await zk.ReadFrameAsync(5000) ?? throw new IOException("closed");
        var r = new JuteReader(f);
        int xid = r.ReadInt();
        r.ReadLong();
        int err = r.ReadInt();
        if (!inFlight.Remove(xid, out var w)) return;
        if (err == 0) acked[w.Path] = w.Data;
    }

    private static async Task VerifyAsync(RawZk zk, Dictionary<string, byte[]> acked, HashSet<string> attempted)
    {
        int xid = 1000;
        var (err, _, body, _) = await zk.CallAsync(xid++, OpCode.GetChildren, w => { w.WriteString("/crash"); w.WriteBool(false); });
        if (acked.Count == 0 && err == (int)ErrorCode.NoNode) return;
        Assert.Equal(0, err);
        var r = new JuteReader(body);
        int n = r.ReadInt();
        var present = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++) present.Add("/crash/" + r.ReadStringNotNull());
        foreach (var p in present) Assert.Contains(p, attempted);
        foreach (var (path, data) in acked)
        {
            Assert.Contains(path, present);
            var (gerr, _, gbody, _) = await zk.CallAsync(xid++, OpCode.GetData, w => { w.WriteString(path); w.WriteBool(false); });
            Assert.Equal(0, gerr);
            var gr = new JuteReader(gbody);
            Assert.True(gr.ReadBuffer(out var got));
            Assert.Equal(data, got.ToArray());
        }
    }
}
