using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Node requests beyond <see cref="RequestCodecBenchmarks"/>: create2/createContainer/createTTL, delete,
/// exists, getChildren2, getAllChildrenNumber, sync, getEphemerals and the check record. Server decode by
/// <see cref="RequestDecoder"/> into a reused <see cref="Request"/>; client encode into a reused buffer.
/// </summary>
[MemoryDiagnoser]
public class NodeRequestCodecBenchmarks
{
    private readonly Request _request = new();
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private CreateRequest _create2;
    private CreateRequest _createContainer;
    private CreateTtlRequest _createTtl;
    private DeleteRequest _delete;
    private PathWatchRequest _exists;
    private PathWatchRequest _getChildren2;
    private PathRequest _getAllChildrenNumber;
    private PathRequest _sync;
    private GetEphemeralsRequest _getEphemerals;
    private CheckVersionRequest _check;

    private byte[] _create2Frame = [];
    private byte[] _createContainerFrame = [];
    private byte[] _createTtlFrame = [];
    private byte[] _deleteFrame = [];
    private byte[] _existsFrame = [];
    private byte[] _getChildren2Frame = [];
    private byte[] _getAllChildrenNumberFrame = [];
    private byte[] _syncFrame = [];
    private byte[] _getEphemeralsFrame = [];
    private byte[] _checkBody = [];

    [GlobalSetup]
    public void Setup()
    {
        _create2 = new CreateRequest(NodePath, Fixtures.Value1K, Acl3, CreateMode.PersistentSequential);
        _createContainer = new CreateRequest("/bench/container", Fixtures.Value1K, Acl3, CreateMode.Container);
        _createTtl = new CreateTtlRequest(NodePath, Fixtures.Value1K, Acl3, CreateMode.PersistentWithTtl, 60_000);
        _delete = new DeleteRequest(NodePath, 3);
        // exists is nearly always a watch registration (the lock and leader-election recipes).
        _exists = new PathWatchRequest(NodePath, true);
        _getChildren2 = new PathWatchRequest("/bench/parent", false);
        _getAllChildrenNumber = new PathRequest("/bench/parent");
        _sync = new PathRequest(NodePath);
        _getEphemerals = new GetEphemeralsRequest("/bench/locks");
        _check = new CheckVersionRequest(NodePath, 3);

        _create2Frame = Decodable(RequestFrame(1, OpCode.Create2, _create2));
        _createContainerFrame = Decodable(RequestFrame(2, OpCode.CreateContainer, _createContainer));
        _createTtlFrame = Decodable(RequestFrame(3, OpCode.CreateTtl, _createTtl));
        _deleteFrame = Decodable(RequestFrame(4, OpCode.Delete, _delete));
        _existsFrame = Decodable(RequestFrame(5, OpCode.Exists, _exists));
        _getChildren2Frame = Decodable(RequestFrame(6, OpCode.GetChildren2, _getChildren2));
        _getAllChildrenNumberFrame = Decodable(RequestFrame(7, OpCode.GetAllChildrenNumber, _getAllChildrenNumber));
        _syncFrame = Decodable(RequestFrame(8, OpCode.Sync, _sync));
        _getEphemeralsFrame = Decodable(RequestFrame(9, OpCode.GetEphemerals, _getEphemerals));
        _checkBody = Fixtures.Frame(w => _check.Write(w));
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    // ---- server side: decode ----

    [Benchmark]
    public DecodeStatus DecodeCreate2() => RequestDecoder.Decode(_create2Frame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeCreateContainer() => RequestDecoder.Decode(_createContainerFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeCreateTtl() => RequestDecoder.Decode(_createTtlFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeDelete() => RequestDecoder.Decode(_deleteFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeExistsWatch() => RequestDecoder.Decode(_existsFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeGetChildren2() => RequestDecoder.Decode(_getChildren2Frame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeGetAllChildrenNumber() => RequestDecoder.Decode(_getAllChildrenNumberFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeSync() => RequestDecoder.Decode(_syncFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeGetEphemerals() => RequestDecoder.Decode(_getEphemeralsFrame, _request, MaxField);

    /// <summary>The check record alone: a top-level check (13) is UNIMPLEMENTED, it only travels inside multi.</summary>
    [Benchmark]
    public int DecodeCheckVersion()
    {
        var r = new JuteReader(_checkBody, MaxField);
        return CheckVersionRequest.Read(ref r).Version;
    }

    // ---- client side: encode ----

    [Benchmark]
    public int EncodeCreate2() => EncodeRequest(_buffer, 1, OpCode.Create2, _create2);

    [Benchmark]
    public int EncodeCreateContainer() => EncodeRequest(_buffer, 2, OpCode.CreateContainer, _createContainer);

    [Benchmark]
    public int EncodeCreateTtl() => EncodeRequest(_buffer, 3, OpCode.CreateTtl, _createTtl);

    [Benchmark]
    public int EncodeDelete() => EncodeRequest(_buffer, 4, OpCode.Delete, _delete);

    [Benchmark]
    public int EncodeExistsWatch() => EncodeRequest(_buffer, 5, OpCode.Exists, _exists);

    [Benchmark]
    public int EncodeGetChildren2() => EncodeRequest(_buffer, 6, OpCode.GetChildren2, _getChildren2);

    [Benchmark]
    public int EncodeGetAllChildrenNumber() => EncodeRequest(_buffer, 7, OpCode.GetAllChildrenNumber, _getAllChildrenNumber);

    [Benchmark]
    public int EncodeSync() => EncodeRequest(_buffer, 8, OpCode.Sync, _sync);

    [Benchmark]
    public int EncodeGetEphemerals() => EncodeRequest(_buffer, 9, OpCode.GetEphemerals, _getEphemerals);

    [Benchmark]
    public int EncodeCheckVersion()
    {
        _buffer.Clear();
        _check.Write(new JuteWriter(_buffer));
        return _buffer.Length;
    }
}
