using System.Diagnostics;
using System.Runtime.InteropServices;
using HotZk.Engine.Storage;
using Microsoft.Win32.SafeHandles;
using Xunit;
using Xunit.Abstractions;

namespace HotZk.Storage.Tests;

/// <summary>Runs only with HOTZK_STORAGE_PERF=1; prints figures, asserts nothing about speed.</summary>
public sealed class PerfFactAttribute : FactAttribute
{
    public PerfFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("HOTZK_STORAGE_PERF") != "1")
        {
            Skip = "measurement only: set HOTZK_STORAGE_PERF=1";
        }
    }
}

/// <summary>
/// Disk figures for the txn log. Run with:
/// HOTZK_STORAGE_PERF=1 dotnet test tests/HotZk.Storage.Tests --filter "FullyQualifiedName~TxnLogPerf" --logger "console;verbosity=detailed"
/// </summary>
public sealed class TxnLogPerfTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(3);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [PerfFact]
    public void RawSyncRateForSmallAppends()
    {
        foreach (bool dataOnly in new[] { true, false })
        {
            foreach (bool prefilled in new[] { false, true })
            {
                string path = _dir.Sub($"raw-{dataOnly}-{prefilled}");
                using var h = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
                if (prefilled)
                {
                    RandomAccess.Write(h, new byte[64 << 20], 0);
                    RandomAccess.FlushToDisk(h);
                }

                var record = new byte[116];
                long offset = 0;
                int syncs = 0;
                var sw = Stopwatch.StartNew();
                while (sw.Elapsed < Duration)
                {
                    RandomAccess.Write(h, record, offset);
                    offset += record.Length;
                    if (dataOnly)
                    {
                        Check(fdatasync(h));
                    }
                    else
                    {
                        RandomAccess.FlushToDisk(h);
                    }

                    syncs++;
                }

                output.WriteLine($"raw {(dataOnly ? "fdatasync" : "fsync    ")} {(prefilled ? "into zero-filled file" : "appending (file grows)")}: {syncs / sw.Elapsed.TotalSeconds,8:F0} syncs/s");
            }
        }
    }

    [PerfFact]
    public void GroupCommitThroughputByConcurrency()
    {
        foreach (var mode in new[] { TxnLogPreallocation.ZeroFill, TxnLogPreallocation.Allocate, TxnLogPreallocation.Sparse })
        {
            foreach (int concurrency in new[] { 1, 8, 64, 256 })
            {
                var (rate, batches) = ClosedLoop(mode, concurrency, size: 100);
                output.WriteLine($"{mode,-8} concurrency {concurrency,4}: {rate,9:F0} txns/s, {batches,7:F0} batches/s, {rate / batches,6:F1} txns/batch");
            }
        }

        var (open, openBatches) = OpenLoop(TxnLogPreallocation.ZeroFill, 300_000, 100);
        output.WriteLine($"ZeroFill open loop (append as fast as possible, 100 B): {open:F0} txns/s in {openBatches} batches");
        (open, openBatches) = OpenLoop(TxnLogPreallocation.ZeroFill, 20_000, 4096);
        output.WriteLine($"ZeroFill open loop (4 KiB txns): {open:F0} txns/s = {open * 4096 / (1 << 20):F0} MiB/s in {openBatches} batches");
    }

    [PerfFact]
    public void PreallocationModesInterleaved()
    {
        // Interleaved rounds with medians, because the machine is shared and noisy.
        var modes = new[] { TxnLogPreallocation.ZeroFill, TxnLogPreallocation.Allocate, TxnLogPreallocation.Sparse };
        foreach (int concurrency in new[] { 1, 64 })
        {
            var results = modes.ToDictionary(m => m, _ => new List<double>());
            for (int round = 0; round < 5; round++)
            {
                foreach (var mode in modes)
                {
                    results[mode].Add(ClosedLoop(mode, concurrency, 100, TimeSpan.FromSeconds(1), $"-r{round}").Rate);
                }
            }

            foreach (var mode in modes)
            {
                var sorted = results[mode].Order().ToArray();
                output.WriteLine($"{mode,-8} concurrency {concurrency,3}: median {sorted[2],8:F0} txns/s (min {sorted[0]:F0}, max {sorted[^1]:F0})");
            }
        }
    }

    /// <summary>N clients, each with one txn outstanding: the next is appended when it is durable.</summary>
    private (double Rate, double BatchesPerSecond) ClosedLoop(TxnLogPreallocation mode, int concurrency, int size, TimeSpan? duration = null, string tag = "")
    {
        string dir = _dir.Sub($"{mode}-{concurrency}{tag}");
        var listener = new CountingListener();
        using var log = new FileTxnLog(new FileTxnLogOptions(dir) { Preallocation = mode });
        log.Listener = listener;
        WaitForSpare(log);
        var payload = new byte[size];
        long zxid = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < (duration ?? Duration))
        {
            // Outstanding = appended - durable; top up to the concurrency, then wait for progress.
            long durable = Volatile.Read(ref listener.Durable);
            while (zxid - durable < concurrency)
            {
                log.Append(++zxid, payload);
            }

            listener.WaitBeyond(durable);
        }

        log.Flush();
        double seconds = sw.Elapsed.TotalSeconds;
        return (log.DurableZxid / seconds, listener.Batches / seconds);
    }

    private (double Rate, long Batches) OpenLoop(TxnLogPreallocation mode, int count, int size)
    {
        string dir = _dir.Sub($"open-{mode}-{size}");
        var listener = new CountingListener();
        using var log = new FileTxnLog(new FileTxnLogOptions(dir) { Preallocation = mode });
        log.Listener = listener;
        WaitForSpare(log);
        var payload = new byte[size];
        var sw = Stopwatch.StartNew();
        for (long z = 1; z <= count; z++)
        {
            log.Append(z, payload);
        }

        log.Flush();
        return (count / sw.Elapsed.TotalSeconds, listener.Batches);
    }

    /// <summary>Steady state: the background preparer has a reserved segment ready.</summary>
    private static void WaitForSpare(FileTxnLog log)
    {
        string spare = Path.Combine(log.Directory, "next-segment.tmp");
        var sw = Stopwatch.StartNew();
        while (!File.Exists(spare) && sw.Elapsed < TimeSpan.FromSeconds(20))
        {
            Thread.Sleep(10);
        }
    }

    private static void Check(int rc)
    {
        if (rc != 0)
        {
            throw new IOException("fdatasync failed: " + Marshal.GetLastPInvokeError());
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fdatasync(SafeFileHandle fd);

    private sealed class CountingListener : ITxnLogListener
    {
        public long Durable;
        public long Batches;
        private readonly object _lock = new();

        public void OnDurable(long zxid)
        {
            lock (_lock)
            {
                Durable = zxid;
                Batches++;
                Monitor.PulseAll(_lock);
            }
        }

        public void OnFailed(long fromZxid, long toZxid, Exception error) => throw error;

        public void WaitBeyond(long zxid)
        {
            lock (_lock)
            {
                while (Durable <= zxid)
                {
                    Monitor.Wait(_lock, 1000);
                }
            }
        }
    }
}
