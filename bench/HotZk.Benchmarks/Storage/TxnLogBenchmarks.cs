using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Storage;
using HotZk.Engine.Txns;

namespace HotZk.Benchmarks.Storage;

/// <summary>
/// The real <see cref="FileTxnLog"/> in a temp dir: one append made durable at a time, and 64 appends
/// group-committed by one flush. The record is a serialized 1 KiB setData txn.
/// </summary>
[MemoryDiagnoser]
public class TxnLogBenchmarks
{
    private const int Batch = 64;
    private string _dir = "";
    private FileTxnLog _log = null!;
    private byte[] _record = [];
    private long _zxid;

    [Params(true, false)]
    public bool ForceSync { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _dir = Directory.CreateTempSubdirectory("hotzk-bench-txnlog-").FullName;
        _log = new FileTxnLog(new FileTxnLogOptions(_dir) { ForceSync = ForceSync });
        _log.Listener = new CountingListener();
        var txn = new Txn { ClientId = 0x0100_0000_0000_0001, Cxid = 7, Time = 1_700_000_000_000, Type = OpCode.SetData, Path = "/bench/node-0000000001", Data = Fixtures.Value1K, Version = 3 };
        _record = TxnSerializer.ToArray(txn);
        _zxid = 1L << 32;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _log.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Append one txn and wait until it is on disk (fsync'd when ForceSync).</summary>
    [Benchmark]
    public void AppendSingle()
    {
        _log.Append(++_zxid, _record);
        _log.Flush();
    }

    /// <summary>Append 64 txns, then wait once: the group commit the engine gets under load.</summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void AppendBatch64()
    {
        for (int i = 0; i < Batch; i++) _log.Append(++_zxid, _record);
        _log.Flush();
    }

    private sealed class CountingListener : ITxnLogListener
    {
        public long Durable;

        public void OnDurable(long zxid) => Durable = zxid;

        public void OnFailed(long fromZxid, long toZxid, Exception error) => throw error;
    }
}
