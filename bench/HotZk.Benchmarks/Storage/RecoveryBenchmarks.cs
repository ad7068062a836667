using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using HotZk.Engine.Processing;
using HotZk.Engine.Storage;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Benchmarks.Storage;

/// <summary>
/// A restart's recovery: a data dir holding one snapshot of a <see cref="Nodes"/>-znode tree (see
/// <see cref="BigTree"/>) and, after it, a txn log tail of <see cref="TailTxns"/> setData txns (100-byte
/// values, each on a different node) written by the real <see cref="FileTxnLog"/> (fsync on).
/// </summary>
/// <remarks>
/// The only public recovery entry point is <see cref="ZkEngine.Start"/>: it loads the newest valid snapshot
/// through the <see cref="FileSnapshotStore"/> (checksum pass + decode), replays the log after it, checks for
/// orphans, then starts the engine thread and timers. The measured invocation is what a restart does before
/// it can serve: open the <see cref="FileTxnLog"/> (segment scan) and the store, construct the engine with
/// the host's defaults (snapCount raised so no snapshot can start), <see cref="ZkEngine.Start"/>. The engine
/// is stopped and the log closed in the iteration cleanup, outside the measurement; the recovered zxid is
/// checked every time and the data dir is never written after setup (the engine only reads it).
/// </remarks>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Heavy)]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
public class RecoveryBenchmarks
{
    /// <summary>setData txns in the log after the snapshot.</summary>
    public const int TailTxns = 100_000;

    /// <summary>Every replayed txn touches a different node: index = j * Stride mod Nodes (Stride is coprime to 10^n).</summary>
    private const int Stride = 7919;

    private string _dir = "";
    private long _snapZxid;
    private long _expectedZxid;
    private FileTxnLog? _log;
    private ZkEngine? _engine;
    private readonly List<string> _engineLog = [];
    private bool _printed;

    [Params(100_000, 1_000_000)]
    public int Nodes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (Nodes < TailTxns) throw new InvalidOperationException("the tail must touch distinct nodes");
        _dir = Directory.CreateTempSubdirectory("hotzk-bench-recovery-").FullName;

        var (tree, zxid) = BigTree.Build(Nodes);
        _snapZxid = zxid;
        var sessions = BigTree.Sessions();
        new FileSnapshotStore(_dir).Save(_snapZxid, s => SnapshotSerializer.Write(s, tree, _snapZxid, sessions));
        tree = null!;

        using (var log = new FileTxnLog(new FileTxnLogOptions(_dir)))
        {
            log.Listener = new NullListener();
            var txn = new Txn { ClientId = sessions[0].Id, Type = HotZk.Common.OpCode.SetData, Version = 1 };
            for (int j = 0; j < TailTxns; j++)
            {
                int i = (int)((long)j * Stride % Nodes);
                txn.Cxid = j + 1;
                txn.Zxid = _snapZxid + 1 + j;
                txn.Time = BigTree.Time + Nodes + j;
                txn.Path = BigTree.ChildPath(i, Nodes);
                txn.Data = BigTree.Value(i + 1);
                log.Append(txn.Zxid, TxnSerializer.ToArray(txn));
            }
            log.Flush();
            _expectedZxid = log.DurableZxid;
        }
        if (_expectedZxid != _snapZxid + TailTxns) throw new InvalidOperationException($"log durable to 0x{_expectedZxid:x}, expected 0x{_snapZxid + TailTxns:x}");
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        Console.WriteLine($"// data dir: snapshot 0x{_snapZxid:x} of {Nodes:N0} children + {TailTxns:N0} setData txns in the log up to 0x{_expectedZxid:x}");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        StopEngine();
        if (_dir.Length > 0 && Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Opens the data dir and recovers it (snapshot + log tail) until the engine could serve.</summary>
    [Benchmark]
    public long SnapshotPlusLogTail()
    {
        _log = new FileTxnLog(new FileTxnLogOptions(_dir));
        var store = new FileSnapshotStore(_dir);
        _engine = new ZkEngine(new EngineOptions { SnapCount = int.MaxValue }, _log, store, line => { lock (_engineLog) _engineLog.Add(line); });
        _engine.Start();
        long zxid = _engine.LastProcessedZxid;
        if (zxid != _expectedZxid || !_engine.IsServing) throw new InvalidOperationException($"recovered to 0x{zxid:x}, expected 0x{_expectedZxid:x}");
        return zxid;
    }

    [IterationCleanup]
    public void StopEngine()
    {
        _engine?.Dispose();
        _engine = null;
        if (_log is not null)
        {
            long last = _log.LastAppendedZxid;
            _log.Dispose();
            _log = null;
            if (last != _expectedZxid) throw new InvalidOperationException($"the engine changed the log: last zxid 0x{last:x}");
        }
        lock (_engineLog)
        {
            if (!_printed)
            {
                foreach (var line in _engineLog) Console.WriteLine($"// engine: {line}");
                _printed = true;
            }
            _engineLog.Clear();
        }
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private sealed class NullListener : ITxnLogListener
    {
        public void OnDurable(long zxid) { }

        public void OnFailed(long fromZxid, long toZxid, Exception error) => throw error;
    }
}
