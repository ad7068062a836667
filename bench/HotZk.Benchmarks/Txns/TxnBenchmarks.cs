using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Benchmarks.Txns;

/// <summary>The write path before the log: prepare a request into a txn, serialize it, and read it back (recovery).</summary>
[MemoryDiagnoser]
public class TxnBenchmarks
{
    private const string Node = "/bench/node";
    private readonly ByteBuffer _buffer = new(4096);
    private PrepProcessor _prep = null!;
    private Request _setData = null!;
    private Txn _txn = null!;
    private byte[] _txnBytes = [];
    private long _zxid = 1L << 32;

    [GlobalSetup]
    public void Setup()
    {
        var tree = new DataTree();
        tree.CreateNode("/bench", [], Acl.OpenAclUnsafe, 0, -1, ++_zxid, 1, out _);
        tree.CreateNode(Node, Fixtures.Value1K, Acl.OpenAclUnsafe, 0, -1, ++_zxid, 1, out _);
        _prep = new PrepProcessor(tree, new EngineOptions());
        _setData = new Request { Op = OpCode.SetData, Path = Node, Data = Fixtures.Value1K, Version = -1, SessionId = 0x0100_0000_0000_0001, Xid = 7 };
        _txn = _prep.Prepare(_setData, ++_zxid, 1_700_000_000_000);
        if (_txn.Type != OpCode.SetData) throw new InvalidOperationException($"prepare failed: {_txn.Err}");
        _prep.Applied(_txn);
        _buffer.Clear();
        TxnSerializer.Write(new JuteWriter(_buffer), _txn);
        _txnBytes = _buffer.WrittenSpan.ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    /// <summary>
    /// PrepProcessor.Prepare of a setData, then Applied (so pending change records do not pile up) and
    /// Release (the txn goes back to prep's pool, as the engine does once the write is applied and answered).
    /// </summary>
    [Benchmark]
    public OpCode PrepareSetData()
    {
        var txn = _prep.Prepare(_setData, ++_zxid, 1_700_000_000_000);
        _prep.Applied(txn);
        var type = txn.Type;
        _prep.Release(txn);
        return type;
    }

    [Benchmark]
    public int SerializeSetDataTxn()
    {
        _buffer.Clear();
        TxnSerializer.Write(new JuteWriter(_buffer), _txn);
        return _buffer.Length;
    }

    [Benchmark]
    public OpCode DeserializeSetDataTxn() => TxnSerializer.Read(_txnBytes).Type;
}
