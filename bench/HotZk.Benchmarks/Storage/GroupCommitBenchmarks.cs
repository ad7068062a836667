using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Storage;
using HotZk.Engine.Txns;

namespace HotZk.Benchmarks.Storage;

/// <summary>
/// Group-commit throughput of the real <see cref="FileTxnLog"/> (temp dir, forceSync on) against the number
/// of appends outstanding per flush: each invocation appends <see cref="TxnsPerInvoke"/> serialized 1 KiB
/// setData txns in groups of <see cref="BatchSize"/>, waiting for each group to be durable
/// (<see cref="FileTxnLog.Flush"/>) before appending the next; results are per txn.
/// </summary>
/// <remarks>
/// The log has one writer thread (the engine); "concurrent" appends are the ones the engine has handed
/// over while the flusher is still busy. The flusher may pick up the first appends of a group before the
/// rest arrive, so a group can take more than one fsync: the average txns per fsync actually achieved is
/// counted with <see cref="FileTxnLogOptions.BeforeBatchWrite"/> and printed by the global cleanup.
/// Not in the CI gate (<see cref="Categories.Heavy"/>): it is bounded by the disk's fsync rate.
/// </remarks>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Heavy)]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class GroupCommitBenchmarks
{
    public const int TxnsPerInvoke = 256;

    private string _dir = "";
    private FileTxnLog _log = null!;
    private byte[] _record = [];
    private long _zxid;
    private long _batches;
    private long _batchedTxns;

    [Params(1, 8, 64, 256)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("hotzk-bench-groupcommit-").FullName;
        _log = new FileTxnLog(new FileTxnLogOptions(_dir)
        {
            ForceSync = true,
            BeforeBatchWrite = (first, last) =>
            {
                Interlocked.Increment(ref _batches);
                Interlocked.Add(ref _batchedTxns, last - first + 1);
            },
        });
        _log.Listener = new NullListener();
        var txn = new Txn { ClientId = 0x0100_0000_0000_0001, Cxid = 7, Time = 1_700_000_000_000, Type = OpCode.SetData, Path = "/bench/node-0000000001", Data = Fixtures.Value1K, Version = 3 };
        _record = TxnSerializer.ToArray(txn);
        _zxid = 1L << 32;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        long batches = Interlocked.Read(ref _batches);
        if (batches > 0)
        {
            Console.WriteLine($"// group commit BatchSize={BatchSize}: {Interlocked.Read(ref _batchedTxns):N0} txns in {batches:N0} batches = {(double)Interlocked.Read(ref _batchedTxns) / batches:0.0} txns per fsync");
        }
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>256 txns, <see cref="BatchSize"/> appended per wait for durability.</summary>
    [Benchmark(OperationsPerInvoke = TxnsPerInvoke)]
    public void AppendAndFlush()
    {
        int batch = BatchSize;
        for (int done = 0; done < TxnsPerInvoke; done += batch)
        {
            for (int i = 0; i < batch; i++) _log.Append(++_zxid, _record);
            _log.Flush();
        }
    }

    private sealed class NullListener : ITxnLogListener
    {
        public void OnDurable(long zxid) { }

        public void OnFailed(long fromZxid, long toZxid, Exception error) => throw error;
    }
}
