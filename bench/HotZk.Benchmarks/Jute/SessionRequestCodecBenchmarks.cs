using System.Text;
using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Session-level requests: addAuth (xid -4, digest credentials), ping (xid -2), closeSession and whoAmI
/// (header only), reconfig (an incremental add). Server decode by <see cref="RequestDecoder"/> into a reused
/// <see cref="Request"/>; client encode into a reused buffer. Connect is in <see cref="RequestCodecBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class SessionRequestCodecBenchmarks
{
    private readonly Request _request = new();
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private AuthPacket _auth;
    private ReconfigRequest _reconfig;

    private byte[] _authFrame = [];
    private byte[] _pingFrame = [];
    private byte[] _closeFrame = [];
    private byte[] _whoAmIFrame = [];
    private byte[] _reconfigFrame = [];

    [GlobalSetup]
    public void Setup()
    {
        _auth = new AuthPacket(0, "digest", Encoding.UTF8.GetBytes("bench-user:bench-password"));
        _reconfig = new ReconfigRequest("server.4=127.0.0.1:2891:3891:participant;127.0.0.1:2184", null, null, -1);

        _authFrame = Decodable(RequestFrame(ReplyEncoder.AuthXid, OpCode.Auth, _auth));
        _pingFrame = Decodable(HeaderFrame(ReplyEncoder.PingXid, OpCode.Ping));
        _closeFrame = Decodable(HeaderFrame(1, OpCode.CloseSession));
        _whoAmIFrame = Decodable(HeaderFrame(2, OpCode.WhoAmI));
        _reconfigFrame = Decodable(RequestFrame(3, OpCode.Reconfig, _reconfig));
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    // ---- server side: decode ----

    [Benchmark]
    public DecodeStatus DecodeAuth() => RequestDecoder.Decode(_authFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodePing() => RequestDecoder.Decode(_pingFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeCloseSession() => RequestDecoder.Decode(_closeFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeWhoAmI() => RequestDecoder.Decode(_whoAmIFrame, _request, MaxField);

    [Benchmark]
    public DecodeStatus DecodeReconfig() => RequestDecoder.Decode(_reconfigFrame, _request, MaxField);

    // ---- client side: encode ----

    [Benchmark]
    public int EncodeAuth() => EncodeRequest(_buffer, ReplyEncoder.AuthXid, OpCode.Auth, _auth);

    [Benchmark]
    public int EncodePing() => EncodeHeader(ReplyEncoder.PingXid, OpCode.Ping);

    [Benchmark]
    public int EncodeCloseSession() => EncodeHeader(1, OpCode.CloseSession);

    [Benchmark]
    public int EncodeWhoAmI() => EncodeHeader(2, OpCode.WhoAmI);

    [Benchmark]
    public int EncodeReconfig() => EncodeRequest(_buffer, 3, OpCode.Reconfig, _reconfig);

    private int EncodeHeader(int xid, OpCode op)
    {
        _buffer.Clear();
        new RequestHeader(xid, op).Write(new JuteWriter(_buffer));
        return _buffer.Length;
    }
}
