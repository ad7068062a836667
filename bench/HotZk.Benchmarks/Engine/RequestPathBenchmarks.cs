using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Engine.Sessions;
using HotZk.Net;
using HotZk.Protocol.Records;

namespace HotZk.Benchmarks.Engine;

/// <summary>
/// The whole in-process request path without sockets, as <c>ClientConnection</c> drives it: a new
/// <see cref="Request"/> per frame, <see cref="RequestDecoder"/>, <see cref="ZkEngine.Submit"/> to the engine
/// thread, execution (for a write: prepare, serialize, log append, durable, apply) and
/// <see cref="ReplyEncoder"/> into the connection's buffer. The log is in memory and durable at once,
/// so this is the CPU and allocation cost of the server per request. A batch of 64 requests is
/// submitted per invoke (pipelined, like one busy session) and the invoke ends when all 64 are answered.
/// </summary>
/// <remarks>
/// Iterations of 400 ms (also in --quick): the engine thread and its timers add tens of KB of their own
/// to a measurement window, and the more operations it spans the less that is per op.
/// </remarks>
[MemoryDiagnoser]
[IterationTime(400)]
public class RequestPathBenchmarks
{
    private const int Batch = 64;
    private const int MaxField = 0xFFFFF;
    private const string Node = "/bench/node-0000000001";

    private ZkEngine _engine = null!;
    private RecordingConnection _conn = null!;
    private Session _session = null!;
    private byte[] _getDataFrame = [];
    private byte[] _getDataWatchFrame = [];
    private byte[] _setDataFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        var options = new EngineOptions { TickTime = 2000, ContainerCheckIntervalMs = 600_000 };
        _engine = new ZkEngine(options, new InMemoryTxnLog(), snapshots: null);
        _engine.Start();
        _conn = new RecordingConnection();
        _engine.Connect(_conn, new ConnectArgs(0, 30_000, 0, null, false));
        _session = _conn.WaitForSession();

        Run(Fixtures.Frame(w => { new RequestHeader(1, OpCode.Create).Write(w); new CreateRequest("/bench", [], Acl.OpenAclUnsafe, CreateMode.Persistent).Write(w); }), 1);
        Run(Fixtures.Frame(w => { new RequestHeader(2, OpCode.Create).Write(w); new CreateRequest(Node, Fixtures.Value1K, Acl.OpenAclUnsafe, CreateMode.Persistent).Write(w); }), 1);
        _getDataFrame = Fixtures.Frame(w => { new RequestHeader(3, OpCode.GetData).Write(w); new PathWatchRequest(Node, false).Write(w); });
        _setDataFrame = Fixtures.Frame(w => { new RequestHeader(4, OpCode.SetData).Write(w); new SetDataRequest(Node, Fixtures.Value1K, -1).Write(w); });
        _getDataWatchFrame = Fixtures.Frame(w => { new RequestHeader(5, OpCode.GetData).Write(w); new PathWatchRequest(Node, true).Write(w); });
        Run(_getDataFrame, Batch);
        Run(_getDataWatchFrame, Batch);
        Run(_setDataFrame, Batch);
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.Dispose();

    [Benchmark(OperationsPerInvoke = Batch)]
    public void GetData() => Submit(_getDataFrame, Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public void SetData() => Submit(_setDataFrame, Batch);

    /// <summary>
    /// getData that sets a data watch: the watch is already registered (no write fires it here), so
    /// this is the decode of a watched path plus re-registration, steady state.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Batch)]
    public void GetDataWatch() => Submit(_getDataWatchFrame, Batch);

    private void Submit(byte[] frame, int count)
    {
        _conn.Expect(count);
        for (int i = 0; i < count; i++)
        {
            var r = RequestPool.Rent();
            r.Connection = _conn;
            r.Session = _session;
            r.SessionId = _session.Id;
            r.StartTicks = Stopwatch.GetTimestamp();
            if (RequestDecoder.Decode(frame, r, MaxField) != DecodeStatus.Ok) throw new InvalidOperationException("decode failed");
            _engine.Submit(r);
        }
        _conn.WaitForBatch();
    }

    private void Run(byte[] frame, int count)
    {
        Submit(frame, count);
        if (_conn.LastError != ErrorCode.Ok) throw new InvalidOperationException($"setup request failed: {_conn.LastError}");
    }
}
