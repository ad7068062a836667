using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Watch replies: addWatch (an <see cref="ErrorResponse"/> body) and setWatches (header only, xid -8;
/// checkWatches/removeWatches replies are the same header-only path). Server encode by
/// <see cref="ReplyEncoder"/>, client decode. Watch notifications are in <see cref="ResponseCodecBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class WatchResponseCodecBenchmarks
{
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private Request _addWatch = new();
    private Request _setWatches = new();
    private byte[] _addWatchBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _addWatch = Answered(OpCode.AddWatch, _ => { });
        _setWatches = Answered(OpCode.SetWatches, r => r.Xid = ReplyEncoder.SetWatchesXid);
        _addWatchBytes = ReplyBody(_addWatch);
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    [Benchmark]
    public int EncodeAddWatch() => EncodeReply(_buffer, _addWatch);

    [Benchmark]
    public int EncodeSetWatches() => EncodeReply(_buffer, _setWatches);

    [Benchmark]
    public int DecodeAddWatch()
    {
        var r = new JuteReader(_addWatchBytes);
        ReplyHeader.Read(ref r);
        return (int)ErrorResponse.Read(ref r).Err;
    }
}
