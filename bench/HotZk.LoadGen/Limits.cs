using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using HdrHistogram;

namespace HotZk.LoadGen;

/// <summary>Physical limits of this machine (JSON).</summary>
public sealed class LimitsResult
{
    public string FsyncDir { get; set; } = "";
    public double FsyncPerSec { get; set; }
    public long FsyncP50Us { get; set; }
    public long FsyncP99Us { get; set; }
    public double PingPongPerSec { get; set; }
    public long PingPongP50Us { get; set; }
    public long PingPongP99Us { get; set; }
    public double PipelinedEchoFramesPerSec { get; set; }
    /// <summary>Load generator against the null server, by workload label.</summary>
    public Dictionary<string, RunResult> Ceiling { get; set; } = [];
}

/// <summary>Measures fsync rate, loopback round trips and the load generator's own ceiling.</summary>
internal static partial class Limits
{
    [LibraryImport("libc", SetLastError = true)]
    private static partial int fdatasync(int fd);

    /// <summary>Appends 64 bytes + fdatasync in a loop for <paramref name="seconds"/> (at most 100k times).</summary>
    public static (double PerSec, long P50, long P99) Fsync(string dir, double seconds = 2)
    {
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, $"fsync-probe-{Environment.ProcessId}.bin");
        var hist = new LongHistogram(OpStats.MaxTrackableUs, 3);
        var block = new byte[64];
        int n = 0;
        var sw = Stopwatch.StartNew();
        try
        {
            using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
            int fd = (int)fs.SafeFileHandle.DangerousGetHandle();
            long offset = 0;
            while (sw.Elapsed.TotalSeconds < seconds && n < 100_000)
            {
                long t0 = Stopwatch.GetTimestamp();
                RandomAccess.Write(fs.SafeFileHandle, block, offset);
                offset += block.Length;
                if (fdatasync(fd) != 0) throw new IOException($"fdatasync failed: errno {Marshal.GetLastPInvokeError()}");
                hist.RecordValue(Math.Min(OpStats.MaxTrackableUs, RunClock.ToUs(Stopwatch.GetTimestamp() - t0)));
                n++;
            }
        }
        finally
        {
            try { File.Delete(path); } catch (IOException) { /* best effort */ }
        }
        return (n / sw.Elapsed.TotalSeconds, hist.GetValueAtPercentile(50), hist.GetValueAtPercentile(99));
    }

    /// <summary>One 16-byte frame (4-byte length + 12-byte header) in flight at a time, echoed back.</summary>
    public static (double PerSec, long P50, long P99) PingPong(double seconds = 2)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var echo = new Thread(() => Echo(listener)) { IsBackground = true };
        echo.Start();
        using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        c.Connect(listener.LocalEndPoint!);
        var frame = new byte[16];
        BinaryPrimitives.WriteInt32BigEndian(frame, 12);
        var back = new byte[16];
        var hist = new LongHistogram(OpStats.MaxTrackableUs, 3);
        var sw = Stopwatch.StartNew();
        int n = 0;
        while (sw.Elapsed.TotalSeconds < seconds && n < 1_000_000)
        {
            long t0 = Stopwatch.GetTimestamp();
            c.Send(frame);
            int got = 0;
            while (got < 16)
            {
                int r = c.Receive(back, got, 16 - got, SocketFlags.None);
                if (r <= 0) throw new IOException("echo closed");
                got += r;
            }
            hist.RecordValue(RunClock.ToUs(Stopwatch.GetTimestamp() - t0));
            n++;
        }
        double rate = n / sw.Elapsed.TotalSeconds;
        c.Shutdown(SocketShutdown.Both);
        echo.Join(2000);
        return (rate, hist.GetValueAtPercentile(50), hist.GetValueAtPercentile(99));
    }

    /// <summary>Frames of 16 bytes sent in batches of 64 with up to 1024 in flight, echoed back; frames per second.</summary>
    public static double PipelinedEcho(double seconds = 2)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var echo = new Thread(() => Echo(listener)) { IsBackground = true };
        echo.Start();
        using var c = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        c.Connect(listener.LocalEndPoint!);
        const int Batch = 64, Window = 1024, FrameSize = 16;
        var batch = new byte[Batch * FrameSize];
        for (int i = 0; i < Batch; i++) BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(i * FrameSize), FrameSize - 4);
        long sentFrames = 0, recvBytes = 0;
        var stop = Stopwatch.StartNew();
        var gate = new SemaphoreSlim(Window / Batch);
        var sender = new Thread(() =>
        {
            while (stop.Elapsed.TotalSeconds < seconds)
            {
                if (!gate.Wait(100)) continue;
                c.Send(batch);
                Interlocked.Add(ref sentFrames, Batch);
            }
        }) { IsBackground = true };
        sender.Start();
        var buf = new byte[64 * 1024];
        long released = 0;
        // The sender may stop between the loop check and Receive; a receive timeout keeps that from blocking forever.
        c.ReceiveTimeout = 500;
        while (stop.Elapsed.TotalSeconds < seconds || recvBytes / FrameSize < Interlocked.Read(ref sentFrames))
        {
            if (stop.Elapsed.TotalSeconds > seconds + 2) break;
            int r;
            try
            {
                r = c.Receive(buf);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                continue;
            }
            if (r <= 0) break;
            recvBytes += r;
            long frames = recvBytes / FrameSize;
            while ((released + 1) * Batch <= frames)
            {
                released++;
                gate.Release();
            }
        }
        double elapsed = stop.Elapsed.TotalSeconds;
        sender.Join(2000);
        c.Shutdown(SocketShutdown.Both);
        echo.Join(2000);
        return recvBytes / FrameSize / elapsed;
    }

    private static void Echo(Socket listener)
    {
        try
        {
            using var s = listener.Accept();
            s.NoDelay = true;
            var buf = new byte[64 * 1024];
            while (true)
            {
                int r = s.Receive(buf);
                if (r <= 0) return;
                s.Send(buf, 0, r, SocketFlags.None);
            }
        }
        catch (SocketException)
        {
            // peer closed
        }
    }

    /// <summary>Starts <c>hotzk-loadgen nullserver</c> as a child process on a free port; returns it and the port.</summary>
    public static (Process Proc, int Port) StartNullServer(int valueSize)
    {
        int port = FreePort();
        var psi = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // Running as "dotnet hotzk-loadgen.dll": pass the dll; as an apphost: nothing to add.
        string self = typeof(Limits).Assembly.Location;
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(self);
        foreach (var a in new[] { "nullserver", "--port", port.ToString(CultureInfo.InvariantCulture), "--value-size", valueSize.ToString(CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new IOException("could not start the null server");
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine("nullserver: " + e.Data); };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed.TotalSeconds < 30)
        {
            if (p.HasExited) throw new IOException($"null server exited with {p.ExitCode}");
            if (Compare.FourLetter("127.0.0.1", port, "ruok") == "imok") return (p, port);
            Thread.Sleep(100);
        }
        p.Kill();
        throw new IOException("null server did not answer ruok in 30 s");
    }

    public static int FreePort()
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port;
    }

    /// <summary>Runs every probe; <paramref name="ceilingRuns"/> are load-generator runs (label, options) against the null server.</summary>
    public static async Task<LimitsResult> MeasureAsync(string fsyncDir, IEnumerable<(string Label, RunOptions Options)> ceilingRuns, TextWriter log)
    {
        var res = new LimitsResult { FsyncDir = fsyncDir };
        var (fr, f50, f99) = Fsync(fsyncDir);
        res.FsyncPerSec = Math.Round(fr, 1);
        res.FsyncP50Us = f50;
        res.FsyncP99Us = f99;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"fsync (64 B append + fdatasync) in {fsyncDir}: {fr:0} /s, p50 {f50}us, p99 {f99}us"));
        var (pr, p50, p99) = PingPong();
        res.PingPongPerSec = Math.Round(pr, 1);
        res.PingPongP50Us = p50;
        res.PingPongP99Us = p99;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loopback ping-pong (16 B frames, 1 in flight): {pr:0} round trips/s, p50 {p50}us, p99 {p99}us"));
        double echo = PipelinedEcho();
        res.PipelinedEchoFramesPerSec = Math.Round(echo, 1);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loopback pipelined echo (16 B frames, 1024 in flight): {echo:0} frames/s"));

        var runs = ceilingRuns.ToList();
        if (runs.Count == 0) return res;
        var (proc, port) = StartNullServer(runs.Max(r => r.Options.ValueSize));
        try
        {
            foreach (var (label, o) in runs)
            {
                var ro = o.Clone();
                ro.Connect = $"127.0.0.1:{port}";
                ro.Quiet = true;
                var r = await Runner.RunAsync(ro, log).ConfigureAwait(false);
                res.Ceiling[label] = r;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"ceiling {label} ({ro.Workload} {ro.Sessions}x{ro.Outstanding}, {ro.ValueSize} B) vs null server: {r.OpsPerSec:0} ops/s, p50 {r.All.P50Us}us, p99 {r.All.P99Us}us, client CPU {100 * r.ClientCpuSec / Math.Max(0.001, r.ElapsedSec):0}%"));
            }
        }
        finally
        {
            StopProcess(proc);
        }
        return res;
    }

    /// <summary>Stops a child we started: SIGTERM by PID, SIGKILL after the grace period.</summary>
    public static void StopProcess(Process p, int graceMs = 10_000)
    {
        try
        {
            if (p.HasExited) return;
            _ = kill(p.Id, 15);
            if (!p.WaitForExit(graceMs)) p.Kill();
            p.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    /// <summary>Sends signal <paramref name="sig"/> to <paramref name="pid"/> (a child we started).</summary>
    public static void Signal(int pid, int sig) => _ = kill(pid, sig);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
