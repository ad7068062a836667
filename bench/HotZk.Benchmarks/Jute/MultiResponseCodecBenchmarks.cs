using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Multi results beyond <see cref="ResponseCodecBenchmarks.EncodeMulti5"/>: a multiRead of 5 (2 getData of
/// 1 KiB, 2 getChildren of 10, one NONODE error result), a failed multi of 5 (error results as the engine
/// applies them: 0 before the failing op, its code, RUNTIMEINCONSISTENCY after) and the create2 results of
/// create2/createContainer/createTTL. Server encode by <see cref="ReplyEncoder"/>, client decode.
/// </summary>
[MemoryDiagnoser]
public class MultiResponseCodecBenchmarks
{
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private Request _multiRead = new();
    private Request _multiFailed = new();
    private Request _multiCreate = new();
    private byte[] _multiReadBytes = [];
    private byte[] _multiFailedBytes = [];
    private byte[] _multiCreateBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var stat = Fixtures.SampleStat;
        var children = ChildNames(10);
        _multiRead = Answered(OpCode.MultiRead, r => r.Results =
        [
            new Request { Op = OpCode.GetData, ResultData = Fixtures.Value1K, Stat = stat },
            new Request { Op = OpCode.GetData, ResultData = Fixtures.Value1K, Stat = stat },
            new Request { Op = OpCode.GetData, Err = ErrorCode.NoNode },
            new Request { Op = OpCode.GetChildren, Children = [.. children] },
            new Request { Op = OpCode.GetChildren, Children = [.. children] },
        ]);
        _multiFailed = Answered(OpCode.Multi, r => r.Results =
        [
            new Request { Op = OpCode.Error, Err = ErrorCode.Ok },
            new Request { Op = OpCode.Error, Err = ErrorCode.Ok },
            new Request { Op = OpCode.Error, Err = ErrorCode.BadVersion },
            new Request { Op = OpCode.Error, Err = ErrorCode.RuntimeInconsistency },
            new Request { Op = OpCode.Error, Err = ErrorCode.RuntimeInconsistency },
        ]);
        _multiCreate = Answered(OpCode.Multi, r => r.Results =
        [
            new Request { Op = OpCode.Create2, ResultPath = "/bench/multi/a", Stat = stat },
            new Request { Op = OpCode.CreateContainer, ResultPath = "/bench/multi/b", Stat = stat },
            new Request { Op = OpCode.CreateTtl, ResultPath = "/bench/multi/c", Stat = stat },
        ]);
        _multiReadBytes = ReplyBody(_multiRead);
        _multiFailedBytes = ReplyBody(_multiFailed);
        _multiCreateBytes = ReplyBody(_multiCreate);
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    [Benchmark]
    public int EncodeMultiRead5() => EncodeReply(_buffer, _multiRead);

    [Benchmark]
    public int EncodeMultiFailed5() => EncodeReply(_buffer, _multiFailed);

    [Benchmark]
    public int EncodeMultiCreate3() => EncodeReply(_buffer, _multiCreate);

    [Benchmark]
    public int DecodeMultiRead5() => Decode(_multiReadBytes);

    [Benchmark]
    public int DecodeMultiFailed5() => Decode(_multiFailedBytes);

    [Benchmark]
    public int DecodeMultiCreate3() => Decode(_multiCreateBytes);

    private static int Decode(byte[] bytes)
    {
        var r = new JuteReader(bytes);
        ReplyHeader.Read(ref r);
        return MultiResponse.Read(ref r).Results.Count;
    }
}
