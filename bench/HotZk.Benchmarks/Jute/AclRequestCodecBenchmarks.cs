using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// getACL and setACL requests (3-entry ACL): server decode by <see cref="RequestDecoder"/> into a reused
/// <see cref="Request"/>, client encode into a reused buffer.
/// </summary>
[MemoryDiagnoser]
public class AclRequestCodecBenchmarks
{
    private readonly Request _request = new();
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private PathRequest _getAcl;
    private SetAclRequest _setAcl;
    private byte[] _getAclFrame = [];
    private byte[] _setAclFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        _getAcl = new PathRequest(NodePath);
        _setAcl = new SetAclRequest(NodePath, Acl3, 2);
        _getAclFrame = Decodable(RequestFrame(1, OpCode.GetAcl, _getAcl));
        _setAclFrame = Decodable(RequestFrame(2, OpCode.SetAcl, _setAcl));
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    [Benchmark]
    public DecodeStatus DecodeGetAcl() => RequestDecoder.Decode(_getAclFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeSetAcl3() => RequestDecoder.Decode(_setAclFrame, _request, MaxField);

    [Benchmark]
    public int EncodeGetAcl() => EncodeRequest(_buffer, 1, OpCode.GetAcl, _getAcl);

    [Benchmark]
    public int EncodeSetAcl3() => EncodeRequest(_buffer, 2, OpCode.SetAcl, _setAcl);
}
