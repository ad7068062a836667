using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Watch requests: checkWatches, removeWatches, addWatch, and the reconnect re-registrations setWatches
/// (3 lists of 10 paths) and setWatches2 (5 lists of 10). Server decode by <see cref="RequestDecoder"/>
/// into a reused <see cref="Request"/>; client encode into a reused buffer.
/// </summary>
[MemoryDiagnoser]
public class WatchRequestCodecBenchmarks
{
    private const int SetWatchesXid = -8;
    private readonly Request _request = new();
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private CheckWatchesRequest _checkWatches;
    private CheckWatchesRequest _removeWatches;
    private AddWatchRequest _addWatch;
    private SetWatches _setWatches;
    private SetWatches2 _setWatches2;

    private byte[] _checkWatchesFrame = [];
    private byte[] _removeWatchesFrame = [];
    private byte[] _addWatchFrame = [];
    private byte[] _setWatchesFrame = [];
    private byte[] _setWatches2Frame = [];

    [GlobalSetup]
    public void Setup()
    {
        _checkWatches = new CheckWatchesRequest(NodePath, WatcherType.Data);
        _removeWatches = new CheckWatchesRequest(NodePath, WatcherType.Any);
        _addWatch = new AddWatchRequest("/bench/config", AddWatchMode.PersistentRecursive);
        _setWatches = new SetWatches(0x1_0000_0020, WatchPaths("data"), WatchPaths("exist"), WatchPaths("child"));
        _setWatches2 = new SetWatches2(0x1_0000_0020, WatchPaths("data"), WatchPaths("exist"), WatchPaths("child"),
            WatchPaths("persistent"), WatchPaths("recursive"));

        _checkWatchesFrame = Decodable(RequestFrame(1, OpCode.CheckWatches, _checkWatches));
        _removeWatchesFrame = Decodable(RequestFrame(2, OpCode.RemoveWatches, _removeWatches));
        _addWatchFrame = Decodable(RequestFrame(3, OpCode.AddWatch, _addWatch));
        _setWatchesFrame = Decodable(RequestFrame(SetWatchesXid, OpCode.SetWatches, _setWatches));
        _setWatches2Frame = Decodable(RequestFrame(SetWatchesXid, OpCode.SetWatches2, _setWatches2));
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    // ---- server side: decode ----

    [Benchmark]
    public DecodeStatus DecodeCheckWatches() => RequestDecoder.Decode(_checkWatchesFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeRemoveWatches() => RequestDecoder.Decode(_removeWatchesFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeAddWatch() => RequestDecoder.Decode(_addWatchFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeSetWatches3x10() => RequestDecoder.Decode(_setWatchesFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeSetWatches2With5x10() => RequestDecoder.Decode(_setWatches2Frame, _request, MaxField);

    // ---- client side: encode ----

    [Benchmark]
    public int EncodeCheckWatches() => EncodeRequest(_buffer, 1, OpCode.CheckWatches, _checkWatches);

    [Benchmark]
    public int EncodeRemoveWatches() => EncodeRequest(_buffer, 2, OpCode.RemoveWatches, _removeWatches);

    [Benchmark]
    public int EncodeAddWatch() => EncodeRequest(_buffer, 3, OpCode.AddWatch, _addWatch);

    [Benchmark]
    public int EncodeSetWatches3x10() => EncodeRequest(_buffer, SetWatchesXid, OpCode.SetWatches, _setWatches);

    [Benchmark]
    public int EncodeSetWatches2With5x10() => EncodeRequest(_buffer, SetWatchesXid, OpCode.SetWatches2, _setWatches2);
}
