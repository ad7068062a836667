using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Requests: the server's decode (<see cref="RequestDecoder"/> into a reused <see cref="Request"/>, so
/// only the decoder's own allocations count) and the client's encode (header + record into a reused buffer).
/// </summary>
[MemoryDiagnoser]
public class RequestCodecBenchmarks
{
    private const int MaxField = 0xFFFFF;
    private readonly Request _request = new();
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private ConnectRequest _connect;
    private CreateRequest _create;
    private PathWatchRequest _getData;
    private SetDataRequest _setData;
    private PathWatchRequest _getChildren;
    private MultiRequest _multi;

    private byte[] _connectFrame = [];
    private byte[] _createFrame = [];
    private byte[] _getDataFrame = [];
    private byte[] _setDataFrame = [];
    private byte[] _getChildrenFrame = [];
    private byte[] _multiFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        byte[] small = Fixtures.MakeValue(100);
        _connect = new ConnectRequest(0, 0, 30000, 0, new byte[16]);
        _create = new CreateRequest("/bench/node-0000000001", Fixtures.Value1K, Acl.OpenAclUnsafe, CreateMode.Persistent);
        _getData = new PathWatchRequest("/bench/node-0000000001", true);
        _setData = new SetDataRequest("/bench/node-0000000001", Fixtures.Value1K, -1);
        _getChildren = new PathWatchRequest("/bench/parent", false);
        _multi = new MultiRequest(
        [
            MultiOp.Check("/bench/lock", 3),
            MultiOp.Create("/bench/multi/a", small, Acl.OpenAclUnsafe, CreateMode.Persistent),
            MultiOp.SetData("/bench/multi/b", small, -1),
            MultiOp.Delete("/bench/multi/c", -1),
            MultiOp.SetData("/bench/multi/d", small, 7),
        ]);

        _connectFrame = Fixtures.Frame(w => _connect.Write(w));
        _createFrame = Fixtures.Frame(w => { new RequestHeader(1, OpCode.Create).Write(w); _create.Write(w); });
        _getDataFrame = Fixtures.Frame(w => { new RequestHeader(2, OpCode.GetData).Write(w); _getData.Write(w); });
        _setDataFrame = Fixtures.Frame(w => { new RequestHeader(3, OpCode.SetData).Write(w); _setData.Write(w); });
        _getChildrenFrame = Fixtures.Frame(w => { new RequestHeader(4, OpCode.GetChildren).Write(w); _getChildren.Write(w); });
        _multiFrame = Fixtures.Frame(w => { new RequestHeader(5, OpCode.Multi).Write(w); _multi.Write(w); });
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    // ---- server side: decode ----

    [Benchmark]
    public long DecodeConnect()
    {
        var r = new JuteReader(_connectFrame, MaxField);
        return ConnectRequest.Read(ref r).TimeOut;
    }

    [Benchmark]
    public DecodeStatus DecodeCreate() => RequestDecoder.Decode(_createFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeGetData() => RequestDecoder.Decode(_getDataFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeSetData() => RequestDecoder.Decode(_setDataFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeGetChildren() => RequestDecoder.Decode(_getChildrenFrame, _request, MaxField);

    /// <summary>Decode of a 5-op multi as a pooled request lives it: reset (sub-requests back to the pool), then decode.</summary>
    [Benchmark]
    public DecodeStatus DecodeMulti5()
    {
        _request.Reset();
        return RequestDecoder.Decode(_multiFrame, _request, MaxField);
    }

    // ---- client side: encode ----

    [Benchmark]
    public int EncodeConnect()
    {
        _buffer.Clear();
        _connect.Write(new JuteWriter(_buffer));
        return _buffer.Length;
    }

    [Benchmark]
    public int EncodeCreate() => Encode(OpCode.Create, _create);

    [Benchmark]
    public int EncodeGetData() => Encode(OpCode.GetData, _getData);

    [Benchmark]
    public int EncodeSetData() => Encode(OpCode.SetData, _setData);

    [Benchmark]
    public int EncodeGetChildren() => Encode(OpCode.GetChildren, _getChildren);

    [Benchmark]
    public int EncodeMulti5() => Encode(OpCode.Multi, _multi);

    private int Encode<T>(OpCode op, in T record) where T : HotZk.Protocol.IJuteRecord<T>
    {
        _buffer.Clear();
        var w = new JuteWriter(_buffer);
        new RequestHeader(7, op).Write(w);
        record.Write(w);
        return _buffer.Length;
    }
}
