using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// getACL (3 entries + Stat) and setACL (Stat) replies: server encode by <see cref="ReplyEncoder"/>,
/// client decode of the header and record.
/// </summary>
[MemoryDiagnoser]
public class AclResponseCodecBenchmarks
{
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private Request _getAcl = new();
    private Request _setAcl = new();
    private byte[] _getAclBytes = [];
    private byte[] _setAclBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        var stat = Fixtures.SampleStat;
        _getAcl = Answered(OpCode.GetAcl, r => { r.ResultAcl = Acl3; r.Stat = stat; });
        _setAcl = Answered(OpCode.SetAcl, r => r.Stat = stat);
        _getAclBytes = ReplyBody(_getAcl);
        _setAclBytes = ReplyBody(_setAcl);
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    [Benchmark]
    public int EncodeGetAcl3() => EncodeReply(_buffer, _getAcl);

    [Benchmark]
    public int EncodeSetAcl() => EncodeReply(_buffer, _setAcl);

    [Benchmark]
    public int DecodeGetAcl3()
    {
        var r = new JuteReader(_getAclBytes);
        ReplyHeader.Read(ref r);
        return GetAclResponse.Read(ref r).Acl?.Count ?? -1;
    }

    [Benchmark]
    public int DecodeSetAcl()
    {
        var r = new JuteReader(_setAclBytes);
        ReplyHeader.Read(ref r);
        return StatResponse.Read(ref r).Stat.Aversion;
    }
}
