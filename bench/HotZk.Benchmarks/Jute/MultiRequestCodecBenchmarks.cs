using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Multi requests beyond <see cref="RequestCodecBenchmarks.DecodeMulti5"/>: multiRead of 5 (3 getData,
/// 2 getChildren) and a multi of the create2/createContainer/createTTL sub-ops (1 KiB values, 3-entry ACL).
/// Server decode as a pooled request lives it (reset, sub-requests back to the pool, then decode); client encode.
/// </summary>
[MemoryDiagnoser]
public class MultiRequestCodecBenchmarks
{
    private readonly Request _request = new();
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private MultiRequest _multiRead;
    private MultiRequest _multiCreate;
    private byte[] _multiReadFrame = [];
    private byte[] _multiCreateFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        _multiRead = new MultiRequest(
        [
            MultiOp.GetData("/bench/config/a"),
            MultiOp.GetData("/bench/config/b"),
            MultiOp.GetData("/bench/config/c"),
            MultiOp.GetChildren("/bench/config"),
            MultiOp.GetChildren("/bench/members"),
        ]);
        _multiCreate = new MultiRequest(
        [
            MultiOp.Create2("/bench/multi/a", Fixtures.Value1K, Acl3, CreateMode.Persistent),
            MultiOp.CreateContainer("/bench/multi/b", Fixtures.Value1K, Acl3),
            MultiOp.CreateTtl("/bench/multi/c", Fixtures.Value1K, Acl3, CreateMode.PersistentWithTtl, 60_000),
        ]);
        _multiReadFrame = Decodable(RequestFrame(1, OpCode.MultiRead, _multiRead));
        _multiCreateFrame = Decodable(RequestFrame(2, OpCode.Multi, _multiCreate));
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    [Benchmark]
    public DecodeStatus DecodeMultiRead5()
    {
        _request.Reset();
        return RequestDecoder.Decode(_multiReadFrame, _request, MaxField);
    }

    [Benchmark]
    public DecodeStatus DecodeMultiCreate3()
    {
        _request.Reset();
        return RequestDecoder.Decode(_multiCreateFrame, _request, MaxField);
    }

    [Benchmark]
    public int EncodeMultiRead5() => EncodeRequest(_buffer, 1, OpCode.MultiRead, _multiRead);

    [Benchmark]
    public int EncodeMultiCreate3() => EncodeRequest(_buffer, 2, OpCode.Multi, _multiCreate);
}
