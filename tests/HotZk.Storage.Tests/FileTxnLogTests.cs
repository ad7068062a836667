using System.Buffers.Binary;
using System.Collections.Concurrent;
using HotZk.Engine.Storage;
using Xunit;
using static HotZk.Storage.Tests.Txns;

namespace HotZk.Storage.Tests;

public sealed class FileTxnLogTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ConcurrentQueue<string> _messages = new();

    public void Dispose() => _dir.Dispose();

    private FileTxnLog Open(Func<FileTxnLogOptions, FileTxnLogOptions>? configure = null, string? dir = null)
    {
        var options = Options(dir ?? _dir.Path, _messages);
        return new FileTxnLog(configure is null ? options : configure(options));
    }

    [Fact]
    public void AppendedTxnsSurviveReopen()
    {
        var listener = new RecordingListener();
        using (var log = Open())
        {
            log.Listener = listener;
            AppendRange(log, 1, 100);
            Assert.Equal(100, log.LastAppendedZxid);
            log.Flush();
            Assert.Equal(100, log.DurableZxid);
            Assert.Equal(100, listener.Durable[^1]);
            AssertLog(log, Range(1, 100));
        }

        using (var log = Open())
        {
            Assert.Equal(100, log.LastAppendedZxid);
            Assert.Equal(100, log.DurableZxid);
            AssertLog(log, Range(1, 100));
            AssertLog(log, Range(51, 100), after: 50);
            log.Append(101, Payload(101));
            log.Flush();
        }

        using (var reopened = Open())
        {
            AssertLog(reopened, Range(1, 101));
        }

        // A reopened log continues in a fresh segment rather than growing the recovered one.
        Assert.Equal(new[] { "log.0000000000000001", "log.0000000000000065" }, Segments(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void EmptyLogOpensAndReadsNothing()
    {
        using (var log = Open())
        {
            Assert.Equal(0, log.LastAppendedZxid);
            Assert.Empty(log.ReadAfter(0));
            log.Flush();
        }

        using var again = Open();
        Assert.Empty(again.ReadAfter(0));
        Assert.Empty(Segments(_dir.Path));
    }

    [Fact]
    public void AppendsMadeDuringOneFsyncFormOneBatch()
    {
        using var firstBatchStarted = new ManualResetEventSlim();
        using var releaseFirstBatch = new ManualResetEventSlim();
        int calls = 0;
        var listener = new RecordingListener();
        using var log = Open(o => o with
        {
            BeforeBatchWrite = (_, _) =>
            {
                if (Interlocked.Increment(ref calls) == 1)
                {
                    firstBatchStarted.Set();
                    Assert.True(releaseFirstBatch.Wait(TimeSpan.FromSeconds(30)));
                }
            },
        });
        log.Listener = listener;

        log.Append(1, Payload(1));
        Assert.True(firstBatchStarted.Wait(TimeSpan.FromSeconds(30)));
        AppendRange(log, 2, 500); // all of these arrive while batch 1 is "in its fsync"
        releaseFirstBatch.Set();
        log.Flush();

        Assert.Equal(new long[] { 1, 500 }, listener.Durable);
        Assert.Equal(2, calls);
        AssertLog(log, Range(1, 500));
    }

    [Fact]
    public void DurabilityReportsAreMonotonicAndEndAtTheLastZxid()
    {
        var listener = new RecordingListener();
        using var log = Open();
        log.Listener = listener;
        for (long z = 1; z <= 5000; z++)
        {
            log.Append(z, Payload(z));
            if (z % 997 == 0)
            {
                Thread.Sleep(1);
            }
        }

        log.Flush();
        Assert.Equal(5000, listener.Durable[^1]);
        for (int i = 1; i < listener.Durable.Count; i++)
        {
            Assert.True(listener.Durable[i] > listener.Durable[i - 1], $"OnDurable went {listener.Durable[i - 1]} -> {listener.Durable[i]}");
        }

        Assert.True(listener.Durable.Count < 5000, "expected group commit to batch some appends");
    }

    [Fact]
    public void AppendAllocatesNothingOnceTheBuffersHaveGrown()
    {
        const int n = 20_000;
        bool hold = false;
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        using var log = Open(o => o with
        {
            InitialBufferSize = 4096,
            BeforeBatchWrite = (_, _) =>
            {
                if (Volatile.Read(ref hold))
                {
                    entered.Set();
                    release.Wait(TimeSpan.FromSeconds(30));
                }
            },
        });
        var payload = new byte[200];
        long z = 0;

        // Grow each of the two swap buffers to n records: hold the flusher on a one-record batch
        // while n records pile up in the other buffer; a lone flushed append swaps the parity.
        for (int round = 0; round < 2; round++)
        {
            entered.Reset();
            release.Reset();
            Volatile.Write(ref hold, true);
            log.Append(++z, payload);
            Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));
            Volatile.Write(ref hold, false);
            for (int i = 0; i < n; i++)
            {
                log.Append(++z, payload);
            }

            release.Set();
            log.Flush();
            log.Append(++z, payload);
            log.Flush();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < n; i++)
        {
            log.Append(++z, payload);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        log.Flush();
        Assert.Equal(0, allocated);
        Assert.Equal(z, log.DurableZxid);
    }

    [Fact]
    public void TwentyThousandAppendsWhileTheFlusherRunsAllSurviveReopen()
    {
        const int n = 20_000;
        var listener = new RecordingListener();
        var expected = new List<(long, byte[])>(n);
        using (var log = Open(o => o with { PreallocationSize = 64 << 20, Preallocation = TxnLogPreallocation.Allocate }))
        {
            log.Listener = listener;
            var rng = new Random(7);
            for (long z = 1; z <= n; z++)
            {
                var payload = Payload(z, size: rng.Next(1, 2000));
                expected.Add((z, payload));
                log.Append(z, payload);
                if (z % 5000 == 0 && z < n)
                {
                    log.Roll();
                }
            }

            log.Flush();
            Assert.Equal(n, log.DurableZxid);
        }

        Assert.True(listener.Durable.Count < n);
        // Explicit rolls always start a segment (more appear if a spare was not ready in time).
        var names = Segments(_dir.Path).Select(Path.GetFileName).ToArray();
        Assert.Contains("log.0000000000000001", names);
        Assert.Contains("log.0000000000001389", names);
        Assert.Contains("log.0000000000002711", names);
        Assert.Contains("log.0000000000003a99", names);
        using var reopened = Open();
        Assert.Equal(n, reopened.LastAppendedZxid);
        AssertLog(reopened, expected);
    }

    [Fact]
    public void TornLastRecordIsCutAtEveryOffsetAndAppendingContinues()
    {
        const int n = 5;
        string source = _dir.Sub("source");
        using (var log = Open(dir: source))
        {
            AppendRange(log, 1, n);
            log.Flush();
        }

        string segment = Segments(source).Single();
        byte[] original = File.ReadAllBytes(segment);
        long lastStart = TxnLogFormat_FileHeaderSize;
        for (long z = 1; z < n; z++)
        {
            lastStart += Payload(z).Length + 16;
        }

        long lastEnd = lastStart + Payload(n).Length + 16;
        Assert.Equal(Payload(n).Length, BinaryPrimitives.ReadInt32BigEndian(original.AsSpan((int)lastStart)));

        int cases = 0;
        for (long cut = lastStart; cut < lastEnd; cut++)
        {
            foreach (bool zeroPadded in new[] { false, true })
            {
                string dir = _dir.Sub($"cut-{cut}-{zeroPadded}");
                Directory.CreateDirectory(Path.Combine(dir, "hotzk-log"));
                string copy = Path.Combine(dir, "hotzk-log", Path.GetFileName(segment));
                var bytes = original.AsSpan(0, (int)cut).ToArray();
                if (zeroPadded)
                {
                    Array.Resize(ref bytes, original.Length); // the rest of the record never reached the disk
                }

                File.WriteAllBytes(copy, bytes);
                using (var log = Open(dir: dir))
                {
                    Assert.Equal(n - 1, log.LastAppendedZxid);
                    Assert.Equal(n - 1, log.DurableZxid);
                    AssertLog(log, Range(1, n - 1));
                    log.Append(n, Payload(n, salt: 9));
                    log.Flush();
                }

                using (var log = Open(dir: dir))
                {
                    AssertLog(log, Range(1, n - 1).Append((n, Payload(n, salt: 9))));
                }

                cases++;
            }
        }

        Assert.Equal(2 * (lastEnd - lastStart), cases);
        Assert.Contains(_messages, m => m.Contains("torn tail", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(2)]   // length field
    [InlineData(6)]   // zxid
    [InlineData(16)]  // payload
    [InlineData(-1)]  // checksum (last byte)
    public void FlippedByteInTheLastRecordIsCutOff(int offsetInRecord)
    {
        using (var log = Open())
        {
            AppendRange(log, 1, 10);
            log.Flush();
        }

        string segment = Segments(_dir.Path).Single();
        long lastStart = TxnLogFormat_FileHeaderSize + Enumerable.Range(1, 9).Sum(z => Payload(z).Length + 16);
        long lastLength = Payload(10).Length + 16;
        FlipByte(segment, offsetInRecord >= 0 ? lastStart + offsetInRecord : lastStart + lastLength - 1);

        using var reopened = Open();
        Assert.Equal(9, reopened.LastAppendedZxid);
        AssertLog(reopened, Range(1, 9));
    }

    [Fact]
    public void FlippedByteInAnEarlierSegmentMakesOpenThrow()
    {
        using (var log = Open())
        {
            AppendRange(log, 1, 10);
            log.Roll();
            AppendRange(log, 11, 20);
            log.Flush();
        }

        string first = Segments(_dir.Path)[0];
        FlipByte(first, TxnLogFormat_FileHeaderSize + Payload(1).Length + 16 + 20); // inside record 2
        var ex = Assert.Throws<TxnLogCorruptException>(() => Open());
        Assert.Contains("hole", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingMiddleSegmentIsReportedAsAHole()
    {
        using (var log = Open())
        {
            AppendRange(log, 1, 5);
            log.Roll();
            AppendRange(log, 6, 10);
            log.Roll();
            AppendRange(log, 11, 15);
            log.Flush();
        }

        File.Delete(Segments(_dir.Path)[1]);
        var ex = Assert.Throws<TxnLogCorruptException>(() => Open());
        Assert.Contains("hole", ex.Message, StringComparison.Ordinal);
        Assert.Contains("0xb follows 0x5", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NewEpochMayStartAnywhereButAGapInsideAnEpochIsRejected()
    {
        long epoch2 = (2L << 32) | 1;
        using (var log = Open())
        {
            AppendRange(log, 1, 3);
            Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(5, Payload(5)));
            Assert.Throws<ArgumentOutOfRangeException>(() => log.Append(3, Payload(3)));
            log.Append(epoch2, Payload(epoch2));
            log.Flush();
        }

        using var reopened = Open();
        AssertLog(reopened, Range(1, 3).Append((epoch2, Payload(epoch2))));
    }

    [Fact]
    public void GapWrittenWithoutTheContinuityCheckRefusesToOpenWithIt()
    {
        using (var log = Open(o => o with { RequireContiguousZxids = false }))
        {
            AppendRange(log, 1, 3);
            log.Append(7, Payload(7));
            log.Flush();
        }

        Assert.Throws<TxnLogCorruptException>(() => Open());
        using var lenient = Open(o => o with { RequireContiguousZxids = false });
        Assert.Equal(7, lenient.LastAppendedZxid);
    }

    [Fact]
    public void TruncateAfterRemovesLaterTxnsAcrossSegments()
    {
        using (var log = Open())
        {
            AppendRange(log, 1, 10);
            log.Roll();
            AppendRange(log, 11, 20);
            log.TruncateAfter(7);
            Assert.Equal(7, log.LastAppendedZxid);
            Assert.Equal(7, log.DurableZxid);
            Assert.Single(Segments(_dir.Path));
            AssertLog(log, Range(1, 7));
            AppendRange(log, 8, 12, salt: 1);
            log.Flush();
            AssertLog(log, Range(1, 7).Concat(Range(8, 12, salt: 1)));
        }

        using var reopened = Open();
        AssertLog(reopened, Range(1, 7).Concat(Range(8, 12, salt: 1)));
    }

    [Fact]
    public void TruncateAfterEverythingLeavesAnEmptyLogThatAcceptsAnyStart()
    {
        using (var log = Open())
        {
            AppendRange(log, 5, 9);
            log.TruncateAfter(0);
            Assert.Equal(0, log.LastAppendedZxid);
            Assert.Empty(log.ReadAfter(0));
            AppendRange(log, 100, 102);
            log.Flush();
        }

        using var reopened = Open();
        AssertLog(reopened, Range(100, 102));
    }

    [Fact]
    public void RollStartsNewSegmentsAndReadAfterSpansThem()
    {
        using var log = Open();
        AppendRange(log, 1, 10);
        log.Roll();
        AppendRange(log, 11, 20);
        log.Roll();
        log.Roll(); // a second roll before any append changes nothing
        AppendRange(log, 21, 30);
        log.Flush();

        var names = Segments(_dir.Path).Select(Path.GetFileName).ToArray();
        Assert.Equal(new[] { "log.0000000000000001", "log.000000000000000b", "log.0000000000000015" }, names);
        AssertLog(log, Range(1, 30));
        AssertLog(log, Range(13, 30), after: 12);
        AssertLog(log, Range(21, 30), after: 20);
        Assert.Empty(log.ReadAfter(30));

        // Finished segments are trimmed to their data; only the current one is preallocated.
        Assert.Equal(TxnLogFormat_FileHeaderSize + Enumerable.Range(1, 10).Sum(z => Payload(z).Length + 16), new FileInfo(Segments(_dir.Path)[0]).Length);
        Assert.True(new FileInfo(Segments(_dir.Path)[2]).Length >= 64 << 10);
    }

    [Fact]
    public void PurgeBeforeDeletesOnlySegmentsWhollyBeforeTheOneHoldingTheNextZxid()
    {
        using var log = Open();
        AppendRange(log, 1, 10);
        log.Roll();
        AppendRange(log, 11, 20);
        log.Roll();
        AppendRange(log, 21, 30);
        log.Flush();

        log.PurgeBefore(9);
        Assert.Equal(3, Segments(_dir.Path).Length);
        log.PurgeBefore(15);
        Assert.Equal(2, Segments(_dir.Path).Length);
        AssertLog(log, Range(16, 30), after: 15);
        log.PurgeBefore(20);
        Assert.Single(Segments(_dir.Path));
        AssertLog(log, Range(21, 30), after: 20);
        log.PurgeBefore(1000);
        Assert.Single(Segments(_dir.Path)); // never the current segment
        log.Append(31, Payload(31));
        log.Flush();
        AssertLog(log, Range(21, 31), after: 0);
    }

    [Fact]
    public void FailedBatchIsReportedCutBackAndLaterAppendsSucceed()
    {
        bool fail = false;
        var listener = new RecordingListener();
        using (var log = Open(o => o with
        {
            BeforeBatchWrite = (_, _) =>
            {
                if (Volatile.Read(ref fail))
                {
                    throw new IOException("injected: No space left on device");
                }
            },
        }))
        {
            log.Listener = listener;
            AppendRange(log, 1, 5);
            log.Flush();
            Volatile.Write(ref fail, true);
            log.Append(6, Payload(6));
            log.Flush();
            Assert.Equal((6L, 6L), (listener.Failed.Single().From, listener.Failed.Single().To));
            Assert.Contains("injected", listener.Failed.Single().Error.Message, StringComparison.Ordinal);
            Assert.Equal(5, log.DurableZxid);
            Assert.Equal(5, log.LastAppendedZxid);

            // Built on the failed txn: never written, reported failed too.
            Volatile.Write(ref fail, false);
            log.Append(7, Payload(7));
            log.Flush();
            Assert.Equal((7L, 7L), (listener.Failed[1].From, listener.Failed[1].To));
            Assert.Contains("Rewind", listener.Failed[1].Error.Message, StringComparison.Ordinal);

            // The writer rewinds: appends are written again.
            AppendRange(log, 6, 8, salt: 1);
            log.Flush();
            Assert.Equal(8, log.DurableZxid);
            Assert.Equal(8, listener.Durable[^1]);
            Assert.Equal(2, listener.Failed.Count);
        }

        using var reopened = Open();
        AssertLog(reopened, Range(1, 5).Concat(Range(6, 8, salt: 1)));
    }

    [Fact]
    public void AppendsQueuedBehindAFailingBatchFailWithIt()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        bool failNext = false;
        var listener = new RecordingListener();
        using var log = Open(o => o with
        {
            BeforeBatchWrite = (from, _) =>
            {
                if (from == 6 && Volatile.Read(ref failNext))
                {
                    entered.Set();
                    release.Wait(TimeSpan.FromSeconds(30));
                    throw new IOException("injected EIO");
                }
            },
        });
        log.Listener = listener;
        AppendRange(log, 1, 5);
        log.Flush();
        Volatile.Write(ref failNext, true);
        log.Append(6, Payload(6));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));
        AppendRange(log, 7, 9); // queued while batch [6] is being written
        Volatile.Write(ref failNext, false);
        release.Set();
        log.Flush();

        Assert.Equal(2, listener.Failed.Count);
        Assert.Equal((6L, 6L, "injected EIO"), (listener.Failed[0].From, listener.Failed[0].To, listener.Failed[0].Error.Message));
        Assert.Equal((7L, 9L), (listener.Failed[1].From, listener.Failed[1].To));
        Assert.Equal(5, log.LastAppendedZxid);
        AssertLog(log, Range(1, 5));

        AppendRange(log, 6, 9, salt: 4);
        log.Flush();
        Assert.Equal(9, log.DurableZxid);
        AssertLog(log, Range(1, 5).Concat(Range(6, 9, salt: 4)));
    }

    [Fact]
    public void FailureInAFreshSegmentRemovesTheSegment()
    {
        bool fail = false;
        var listener = new RecordingListener();
        using (var log = Open(o => o with
        {
            BeforeBatchWrite = (_, _) =>
            {
                if (Volatile.Read(ref fail))
                {
                    throw new IOException("injected");
                }
            },
        }))
        {
            log.Listener = listener;
            AppendRange(log, 1, 5);
            log.Flush();
            log.Roll();
            Volatile.Write(ref fail, true);
            log.Append(6, Payload(6));
            log.Flush();
            Assert.Single(listener.Failed);
            Volatile.Write(ref fail, false);
            AppendRange(log, 6, 7, salt: 2);
            log.Flush();
            Assert.Equal(7, log.DurableZxid);
        }

        Assert.Equal(2, Segments(_dir.Path).Length); // the roll was kept for the retried txns
        using var reopened = Open();
        AssertLog(reopened, Range(1, 5).Concat(Range(6, 7, salt: 2)));
    }

    [Fact]
    public void LastSegmentWithoutValidHeaderIsDroppedOnOpen()
    {
        using (var log = Open())
        {
            AppendRange(log, 1, 5);
            log.Flush();
        }

        // Crash right after creating the next segment, before its header reached the disk.
        File.WriteAllBytes(Path.Combine(_dir.Path, "hotzk-log", "log.0000000000000006"), new byte[7]);
        using var reopened = Open();
        Assert.Equal(5, reopened.LastAppendedZxid);
        Assert.Single(Segments(_dir.Path));
    }

    [Fact]
    public void EarlierSegmentWithDataAfterItsEndMarkerThrows()
    {
        using (var log = Open())
        {
            AppendRange(log, 1, 5);
            log.Roll();
            AppendRange(log, 6, 10);
            log.Flush();
        }

        // Zero the length of record 2 in the first segment: its end marker now hides records 2..5.
        string first = Segments(_dir.Path)[0];
        using (var f = File.OpenHandle(first, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.Write(f, new byte[4], TxnLogFormat_FileHeaderSize + Payload(1).Length + 16);
        }

        Assert.Throws<TxnLogCorruptException>(() => Open());
    }

    [Fact]
    public void UnsyncedModeStillWritesEverything()
    {
        using (var log = Open(o => o with { ForceSync = false }))
        {
            AppendRange(log, 1, 50);
            log.Flush();
        }

        using var reopened = Open();
        AssertLog(reopened, Range(1, 50));
    }

    [Theory]
    [InlineData(TxnLogPreallocation.Sparse)]
    [InlineData(TxnLogPreallocation.Allocate)]
    [InlineData(TxnLogPreallocation.ZeroFill)]
    public void EveryPreallocationModeRoundTripsAcrossSegmentRolls(TxnLogPreallocation mode)
    {
        using (var log = Open(o => o with { Preallocation = mode, PreallocationSize = 8192 }))
        {
            for (long z = 1; z <= 200; z++)
            {
                log.Append(z, Payload(z, size: 500));
                if (z % 10 == 0)
                {
                    log.Flush();
                }
            }

            log.Flush();
        }

        Assert.True(Segments(_dir.Path).Length >= 12, $"a full segment rolls over instead of growing: {string.Join(", ", Segments(_dir.Path).Select(f => $"{Path.GetFileName(f)}:{new FileInfo(f).Length}"))}");
        using var reopened = Open(o => o with { Preallocation = mode, PreallocationSize = 8192 });
        AssertLog(reopened, Enumerable.Range(1, 200).Select(z => ((long)z, Payload(z, size: 500))));
    }

    [Fact]
    public void FullSegmentRollsOverAndAnOversizedBatchGetsARoomySegment()
    {
        using (var log = Open(o => o with { PreallocationSize = 4096 }))
        {
            for (long z = 1; z <= 20; z++)
            {
                log.Append(z, Payload(z, size: 1000));
                log.Flush();
            }

            log.Append(21, Payload(21, size: 10_000));
            log.Append(22, Payload(22, size: 1000));
            log.Flush();
        }

        var segments = Segments(_dir.Path);
        Assert.True(segments.Length >= 5, $"only {segments.Length} segments");
        Assert.All(segments[..^2], s => Assert.True(new FileInfo(s).Length <= 16 + 4096, $"{s} grew"));
        using var reopened = Open(o => o with { PreallocationSize = 4096 });
        AssertLog(reopened, Enumerable.Range(1, 22).Select(z => ((long)z, Payload(z, size: z == 21 ? 10_000 : 1000))));
    }

    [Theory]
    [InlineData(TxnLogPreallocation.ZeroFill)]
    [InlineData(TxnLogPreallocation.Sparse)]
    public void HundredsOfRollsRacingTheSegmentPreparerLoseNothing(TxnLogPreallocation mode)
    {
        var expected = new List<(long, byte[])>();
        using (var log = Open(o => o with { PreallocationSize = 4096, Preallocation = mode }))
        {
            var rng = new Random(11);
            for (long z = 1; z <= 3000; z++)
            {
                var payload = Payload(z, size: rng.Next(50, 400));
                expected.Add((z, payload));
                log.Append(z, payload);
                if (rng.Next(3) == 0)
                {
                    log.Flush();
                }
            }

            log.Flush();
            AssertLog(log, expected);
        }

        Assert.True(Segments(_dir.Path).Length > 100);
        using var reopened = Open(o => o with { PreallocationSize = 4096, Preallocation = mode });
        AssertLog(reopened, expected);
    }

    [TmpfsFact]
    public void DiskFullOnARealFileSystemFailsTheBatchAndRecoversWhenSpaceReturns()
    {
        string mount = _dir.Sub("tmpfs");
        Directory.CreateDirectory(mount);
        Tmpfs.Mount(mount, "1m");
        try
        {
            foreach (var mode in new[] { TxnLogPreallocation.ZeroFill, TxnLogPreallocation.Allocate, TxnLogPreallocation.Sparse })
            {
                string dir = Path.Combine(mount, mode.ToString());
                var listener = new RecordingListener();
                var options = Options(dir, _messages) with { Preallocation = mode, PreallocationSize = 64 << 10 };
                string filler = Path.Combine(mount, "filler");
                using (var log = new FileTxnLog(options))
                {
                    log.Listener = listener;
                    for (long z = 1; z <= 10; z++)
                    {
                        log.Append(z, Payload(z, size: 1000));
                    }

                    log.Flush();
                    Assert.Equal(10, log.DurableZxid);

                    FillDisk(filler);
                    log.Append(11, Payload(11, size: 100_000)); // beyond the 64 KiB reserved
                    log.Flush();
                    var failure = Assert.Single(listener.Failed);
                    Assert.Equal((11L, 11L), (failure.From, failure.To));
                    Assert.IsAssignableFrom<IOException>(failure.Error);
                    Assert.Equal(10, log.DurableZxid);
                    Assert.Equal(10, log.LastAppendedZxid);
                    AssertLog(log, Enumerable.Range(1, 10).Select(z => ((long)z, Payload(z, size: 1000))));
                    Assert.Equal(16 + (10 * 1016), new FileInfo(Segments(dir)[0]).Length); // cut back to durable data

                    File.Delete(filler);
                    for (long z = 11; z <= 20; z++)
                    {
                        log.Append(z, Payload(z, size: 10_000, salt: 3));
                    }

                    log.Flush();
                    Assert.Equal(20, log.DurableZxid);
                    Assert.Single(listener.Failed);
                }

                var expected = Enumerable.Range(1, 10).Select(z => ((long)z, Payload(z, size: 1000)))
                    .Concat(Enumerable.Range(11, 10).Select(z => ((long)z, Payload(z, size: 10_000, salt: 3))));
                using (var reopened = new FileTxnLog(options))
                {
                    AssertLog(reopened, expected);
                }

                Directory.Delete(dir, recursive: true);
            }
        }
        finally
        {
            Tmpfs.Unmount(mount);
        }
    }

    private static void FillDisk(string path)
    {
        var chunk = new byte[4096];
        Array.Fill(chunk, (byte)0xAA);
        using var f = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        for (int i = 0; i < 1 << 20; i++)
        {
            try
            {
                f.Write(chunk);
            }
            catch (IOException)
            {
                return;
            }
        }

        throw new InvalidOperationException("the disk never filled up");
    }

    private static void FlipByte(string path, long offset)
    {
        using var f = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        var b = new byte[1];
        RandomAccess.Read(f, b, offset);
        b[0] ^= 0x40;
        RandomAccess.Write(f, b, offset);
    }

    private const int TxnLogFormat_FileHeaderSize = 16;
}
