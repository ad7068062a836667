using System.Text;
using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Node replies beyond <see cref="ResponseCodecBenchmarks"/>: create2 (also the reply of createContainer
/// and createTTL: same encoder case, same record), exists (Stat), delete (header only), getChildren2,
/// getAllChildrenNumber, sync, getEphemerals, and an error reply. Server encode by <see cref="ReplyEncoder"/>
/// from an answered <see cref="Request"/>; client decode of the header and record.
/// </summary>
[MemoryDiagnoser]
public class NodeResponseCodecBenchmarks
{
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private Request _create2 = new();
    private Request _exists = new();
    private Request _delete = new();
    private Request _getChildren2 = new();
    private Request _getAllChildrenNumber = new();
    private Request _sync = new();
    private Request _getEphemerals = new();
    private Request _noNode = new();

    private byte[] _create2Bytes = [];
    private byte[] _existsBytes = [];
    private byte[] _getChildren2Bytes = [];
    private byte[] _getAllChildrenNumberBytes = [];
    private byte[] _syncBytes = [];
    private byte[] _getEphemeralsBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var stat = Fixtures.SampleStat;
        _create2 = Answered(OpCode.Create2, r => { r.ResultPath = NodePath; r.Stat = stat; });
        _exists = Answered(OpCode.Exists, r => r.Stat = stat);
        _delete = Answered(OpCode.Delete, _ => { });
        // The engine answers getChildren with UTF-8 names straight from the tree (no strings): encode that.
        _getChildren2 = Answered(OpCode.GetChildren2, r =>
        {
            r.BeginChildNames();
            foreach (var name in ChildNames(100)) r.AddChildName(Encoding.UTF8.GetBytes(name));
            r.Stat = stat;
        });
        _getAllChildrenNumber = Answered(OpCode.GetAllChildrenNumber, r => r.Count = 12_345);
        _sync = Answered(OpCode.Sync, r => r.Path = NodePath);
        _getEphemerals = Answered(OpCode.GetEphemerals, r => r.Children = [.. Enumerable.Range(0, 10).Select(i => $"/bench/locks/lock-{i:D10}")]);
        _noNode = Answered(OpCode.GetData, r => r.Err = ErrorCode.NoNode);

        _create2Bytes = ReplyBody(_create2);
        _existsBytes = ReplyBody(_exists);
        _getChildren2Bytes = ReplyBody(_getChildren2);
        _getAllChildrenNumberBytes = ReplyBody(_getAllChildrenNumber);
        _syncBytes = ReplyBody(_sync);
        _getEphemeralsBytes = ReplyBody(_getEphemerals);
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    // ---- server side: encode ----

    [Benchmark]
    public int EncodeCreate2() => EncodeReply(_buffer, _create2);

    [Benchmark]
    public int EncodeExists() => EncodeReply(_buffer, _exists);

    /// <summary>Header only; closeSession, setWatches, checkWatches and removeWatches replies take the same path.</summary>
    [Benchmark]
    public int EncodeDelete() => EncodeReply(_buffer, _delete);

    [Benchmark]
    public int EncodeGetChildren2With100() => EncodeReply(_buffer, _getChildren2);

    [Benchmark]
    public int EncodeGetAllChildrenNumber() => EncodeReply(_buffer, _getAllChildrenNumber);

    [Benchmark]
    public int EncodeSync() => EncodeReply(_buffer, _sync);

    [Benchmark]
    public int EncodeGetEphemerals10() => EncodeReply(_buffer, _getEphemerals);

    /// <summary>A failed request: header with the code, no body.</summary>
    [Benchmark]
    public int EncodeErrorReply() => EncodeReply(_buffer, _noNode);

    // ---- client side: decode ----

    [Benchmark]
    public int DecodeCreate2()
    {
        var r = new JuteReader(_create2Bytes);
        ReplyHeader.Read(ref r);
        return Create2Response.Read(ref r).Stat.Version;
    }

    [Benchmark]
    public int DecodeExists()
    {
        var r = new JuteReader(_existsBytes);
        ReplyHeader.Read(ref r);
        return StatResponse.Read(ref r).Stat.Version;
    }

    [Benchmark]
    public int DecodeGetChildren2With100()
    {
        var r = new JuteReader(_getChildren2Bytes);
        ReplyHeader.Read(ref r);
        return GetChildren2Response.Read(ref r).Children.Count;
    }

    [Benchmark]
    public int DecodeGetAllChildrenNumber()
    {
        var r = new JuteReader(_getAllChildrenNumberBytes);
        ReplyHeader.Read(ref r);
        return GetAllChildrenNumberResponse.Read(ref r).TotalNumber;
    }

    /// <summary>The sync reply is a lone path (<see cref="PathRequest"/> is the record of both directions).</summary>
    [Benchmark]
    public int DecodeSync()
    {
        var r = new JuteReader(_syncBytes);
        ReplyHeader.Read(ref r);
        return PathRequest.Read(ref r).Path.Length;
    }

    [Benchmark]
    public int DecodeGetEphemerals10()
    {
        var r = new JuteReader(_getEphemeralsBytes);
        ReplyHeader.Read(ref r);
        return GetEphemeralsResponse.Read(ref r).Ephemerals.Count;
    }
}
