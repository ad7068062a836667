using System.Diagnostics;
using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>Runs only where a tmpfs can be mounted (root on Linux); otherwise reports why it was skipped.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux tmpfs";
        else if (Environment.UserName != "root") Skip = $"needs root to mount a tmpfs (running as {Environment.UserName})";
    }
}

/// <summary>
/// The server's data dir sits on a small tmpfs: once it fills, writes fail with a clear error and a
/// log line, reads keep working, nothing acknowledged is lost, and writes succeed again when space returns.
/// </summary>
public sealed class DiskFullTests
{
    [TmpfsFact]
    public async Task FullDiskFailsWritesKeepsReadsAndRecoversWhenSpaceReturns()
    {
        string dir = TestServer.NewDataDir();
        Run("mount", $"-t tmpfs -o size=4m tmpfs {dir}");
        try
        {
            // Leave room for the log's first segments, then take the rest with a file we can delete later.
            string filler = Path.Combine(dir, "filler");
            var server = TestServer.Start(dir, c => c with { PreAllocSizeKb = 256, SnapCount = 1_000_000 });
            var acked = new List<(string Path, byte[] Data)>();
            try
            {
                using (var f = File.Create(filler))
                {
                    var block = new byte[64 * 1024];
                    try { while (true) f.Write(block); } catch (IOException) { }
                    // Give back a little so a few writes fit before the disk is full again.
                    f.SetLength(Math.Max(0, f.Length - (768 * 1024)));
                }

                using var zk = await RawZk.ConnectAsync(server.Endpoint);
                int xid = 1;
                int failure = 0;
                for (int i = 0; i < 200 && failure == 0; i++)
                {
                    string p = $"/big{i}";
                    var data = new byte[32 * 1024];
                    data[0] = (byte)i;
                    var r = await zk.CallAsync(xid++, OpCode.Create, w => RawZk.Create(w, p, data));
                    if (r.Err == 0) acked.Add((p, data));
                    else failure = r.Err;
                }
                Assert.Equal((int)ErrorCode.SystemError, failure);
                Assert.NotEmpty(acked);
                Assert.Contains(server.LogLines, l => l.Contains("txn log write failed"));

                // Reads keep working while the disk is full.
                var read = await zk.CallAsync(xid++, OpCode.GetData, w => { w.WriteString(acked[0].Path); w.WriteBool(false); });
                Assert.Equal(0, read.Err);

                // Space comes back: writes succeed again on the same connection.
                File.Delete(filler);
                var after = await zk.CallAsync(xid++, OpCode.Create, w => RawZk.Create(w, "/after-space", [7]));
                Assert.Equal(0, after.Err);
                acked.Add(("/after-space", [7]));
            }
            finally
            {
                await server.DisposeAsync();
            }

            // Everything acknowledged survives a restart.
            var again = TestServer.Start(dir, c => c with { PreAllocSizeKb = 256 });
            try
            {
                using var zk = await RawZk.ConnectAsync(again.Endpoint);
                int xid = 1;
                foreach (var (p, data) in acked)
                {
                    var r = await zk.CallAsync(xid++, OpCode.GetData, w => { w.WriteString(p); w.WriteBool(false); });
                    Assert.Equal(0, r.Err);
                    var jr = new JuteReader(r.Body);
                    Assert.True(jr.ReadBuffer(out var got));
                    Assert.Equal(data, got.ToArray());
                }
            }
            finally
            {
                await again.DisposeAsync();
            }
        }
        finally
        {
            Run("umount", dir);
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static void Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit(30_000);
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} failed ({p.ExitCode}): {output}");
    }
}
