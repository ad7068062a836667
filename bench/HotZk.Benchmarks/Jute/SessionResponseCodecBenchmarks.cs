using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol.Records;
using static HotZk.Benchmarks.Jute.CodecFixtures;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Session-level replies: whoAmI (two identities), and the header-only replies of addAuth (xid -4, zxid 0),
/// ping (xid -2) and closeSession. Server encode by <see cref="ReplyEncoder"/>, client decode of whoAmI
/// (a header-only reply decodes as <see cref="ResponseCodecBenchmarks.DecodeReplyHeader"/>).
/// Connect and the reply header are in <see cref="ResponseCodecBenchmarks"/>.
/// </summary>
[MemoryDiagnoser]
public class SessionResponseCodecBenchmarks
{
    private readonly ByteBuffer _buffer = new(16 * 1024);

    private Request _whoAmI = new();
    private Request _auth = new();
    private Request _ping = new();
    private Request _close = new();
    private byte[] _whoAmIBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _whoAmI = Answered(OpCode.WhoAmI, r => r.ClientInfo = [("ip", "127.0.0.1"), ("digest", "bench-user")]);
        _auth = Answered(OpCode.Auth, _ => { });
        _ping = Answered(OpCode.Ping, _ => { });
        _close = Answered(OpCode.CloseSession, _ => { });
        _whoAmIBytes = ReplyBody(_whoAmI);
    }

    [GlobalCleanup]
    public void Cleanup() => _buffer.Dispose();

    [Benchmark]
    public int EncodeWhoAmI2() => EncodeReply(_buffer, _whoAmI);

    [Benchmark]
    public int EncodeAuth() => EncodeReply(_buffer, _auth);

    [Benchmark]
    public int EncodePing() => EncodeReply(_buffer, _ping);

    [Benchmark]
    public int EncodeCloseSession() => EncodeReply(_buffer, _close);

    [Benchmark]
    public int DecodeWhoAmI2()
    {
        var r = new JuteReader(_whoAmIBytes);
        ReplyHeader.Read(ref r);
        return WhoAmIResponse.Read(ref r).ClientInfo.Count;
    }
}
