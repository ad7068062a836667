using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Responses: the server's encode (<see cref="ReplyEncoder"/> from a filled <see cref="Request"/> into a
/// reused buffer, length prefix included) and the client's decode (reply header + record).
/// </summary>
[MemoryDiagnoser]
public class ResponseCodecBenchmarks
{
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private ConnectResponse _connect;
    private Request _create = new();
    private Request _getData = new();
    private Request _setData = new();
    private Request _getChildren = new();
    private Request _multi = new();

    private byte[] _connectBytes = [];
    private byte[] _createBytes = [];
    private byte[] _getDataBytes = [];
    private byte[] _setDataBytes = [];
    private byte[] _getChildrenBytes = [];
    private byte[] _multiBytes = [];
    private byte[] _headerBytes = [];
    private byte[] _eventBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var stat = Fixtures.SampleStat;
        _connect = new ConnectResponse(0, 30000, 0x0100_0000_0000_0001, new byte[16]);
        _create = Filled(OpCode.Create, r => r.ResultPath = "/bench/node-0000000001");
        _getData = Filled(OpCode.GetData, r => { r.ResultData = Fixtures.Value1K; r.Stat = stat; });
        _setData = Filled(OpCode.SetData, r => r.Stat = stat);
        _getChildren = Filled(OpCode.GetChildren, r => r.Children = [.. Enumerable.Range(0, 100).Select(i => $"child-{i:D10}")]);
        _multi = Filled(OpCode.Multi, r => r.Results =
        [
            new Request { Op = OpCode.Check },
            new Request { Op = OpCode.Create, ResultPath = "/bench/multi/a" },
            new Request { Op = OpCode.SetData, Stat = stat },
            new Request { Op = OpCode.Delete },
            new Request { Op = OpCode.SetData, Stat = stat },
        ]);

        _connectBytes = Fixtures.Frame(w => _connect.Write(w));
        _createBytes = Body(_create);
        _getDataBytes = Body(_getData);
        _setDataBytes = Body(_setData);
        _getChildrenBytes = Body(_getChildren);
        _multiBytes = Body(_multi);
        _headerBytes = Fixtures.Frame(w => new ReplyHeader(9, 0x1_0000_0020, ErrorCode.Ok).Write(w));
        _buffer.Clear();
        ReplyEncoder.EncodeNotification(_buffer, EventType.NodeDataChanged, "/bench/node-0000000001", 0x1_0000_0020);
        _eventBytes = _buffer.WrittenSpan[4..].ToArray();
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    private static Request Filled(OpCode op, Action<Request> fill)
    {
        var r = new Request { Op = op, Xid = 9, ReplyZxid = 0x1_0000_0020, Err = ErrorCode.Ok };
        fill(r);
        return r;
    }

    private byte[] Body(Request r)
    {
        _buffer.Clear();
        ReplyEncoder.Encode(_buffer, r);
        return _buffer.WrittenSpan[4..].ToArray();
    }

    // ---- server side: encode ----

    [Benchmark]
    public int EncodeConnect()
    {
        _buffer.Clear();
        _connect.Write(new JuteWriter(_buffer));
        return _buffer.Length;
    }

    [Benchmark]
    public int EncodeCreate() => Encode(_create);

    [Benchmark]
    public int EncodeGetData() => Encode(_getData);

    [Benchmark]
    public int EncodeSetData() => Encode(_setData);

    [Benchmark]
    public int EncodeGetChildren100() => Encode(_getChildren);

    [Benchmark]
    public int EncodeMulti5() => Encode(_multi);

    [Benchmark]
    public int EncodeReplyHeader()
    {
        _buffer.Clear();
        new ReplyHeader(9, 0x1_0000_0020, ErrorCode.Ok).Write(new JuteWriter(_buffer));
        return _buffer.Length;
    }

    [Benchmark]
    public int EncodeWatcherEvent()
    {
        _buffer.Clear();
        ReplyEncoder.EncodeNotification(_buffer, EventType.NodeDataChanged, "/bench/node-0000000001", 0x1_0000_0020);
        return _buffer.Length;
    }

    private int Encode(Request r)
    {
        _buffer.Clear();
        ReplyEncoder.Encode(_buffer, r);
        return _buffer.Length;
    }

    // ---- client side: decode ----

    [Benchmark]
    public int DecodeConnect()
    {
        var r = new JuteReader(_connectBytes);
        return ConnectResponse.Read(ref r).TimeOut;
    }

    [Benchmark]
    public int DecodeCreate()
    {
        var r = new JuteReader(_createBytes);
        ReplyHeader.Read(ref r);
        return CreateResponse.Read(ref r).Path.Length;
    }

    [Benchmark]
    public int DecodeGetData()
    {
        var r = new JuteReader(_getDataBytes);
        ReplyHeader.Read(ref r);
        return GetDataResponse.Read(ref r).Stat.Version;
    }

    [Benchmark]
    public int DecodeSetData()
    {
        var r = new JuteReader(_setDataBytes);
        ReplyHeader.Read(ref r);
        return StatResponse.Read(ref r).Stat.Version;
    }

    [Benchmark]
    public int DecodeGetChildren100()
    {
        var r = new JuteReader(_getChildrenBytes);
        ReplyHeader.Read(ref r);
        return GetChildrenResponse.Read(ref r).Children.Count;
    }

    [Benchmark]
    public int DecodeMulti5()
    {
        var r = new JuteReader(_multiBytes);
        ReplyHeader.Read(ref r);
        return MultiResponse.Read(ref r).Results.Count;
    }

    [Benchmark]
    public int DecodeReplyHeader()
    {
        var r = new JuteReader(_headerBytes);
        return ReplyHeader.Read(ref r).Xid;
    }

    [Benchmark]
    public int DecodeWatcherEvent()
    {
        var r = new JuteReader(_eventBytes);
        ReplyHeader.Read(ref r);
        return WatcherEvent.Read(ref r).Path.Length;
    }
}
