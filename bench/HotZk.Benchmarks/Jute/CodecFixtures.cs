using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Protocol;
using HotZk.Protocol.Records;

namespace HotZk.Benchmarks.Jute;

/// <summary>
/// Payloads and frame builders of the per-area codec suites (Node, Acl, Watch, Session, Multi), sized as a
/// real client sends them: 1 KiB values, 3-entry ACLs, 10 watch paths per list, 100 children.
/// </summary>
public static class CodecFixtures
{
    /// <summary>Max field length the server decodes with (jute.maxbuffer default).</summary>
    public const int MaxField = 0xFFFFF;

    /// <summary>zxid in every reply header.</summary>
    public const long ReplyZxid = 0x1_0000_0020;

    public const string NodePath = "/bench/node-0000000001";

    /// <summary>An ACL as applications set it: world read, a digest user with all rights, an ip range with read/write.</summary>
    public static readonly Acl[] Acl3 =
    [
        new(Perms.Read, Id.AnyoneIdUnsafe),
        new(Perms.All, new Id("digest", "bench-user:2LgDz5xKGtdLvTJrFwJAFxIqFgY=")),
        new(Perms.Read | Perms.Write, new Id("ip", "10.0.0.0/8")),
    ];

    /// <summary>10 watch paths of one kind (what a reconnecting client re-registers per list).</summary>
    public static string[] WatchPaths(string kind) => [.. Enumerable.Range(0, 10).Select(i => $"/bench/watch/{kind}-{i:D10}")];

    /// <summary><paramref name="n"/> sequential child names.</summary>
    public static string[] ChildNames(int n) => [.. Enumerable.Range(0, n).Select(i => $"child-{i:D10}")];

    /// <summary>A request frame body (no length prefix): header then record.</summary>
    public static byte[] RequestFrame<T>(int xid, OpCode op, T record) where T : IJuteRecord<T> =>
        Fixtures.Frame(w => { new RequestHeader(xid, op).Write(w); record.Write(w); });

    /// <summary>
    /// A request frame the server decodes to OK; throws otherwise, so a suite never times the MARSHALLINGERROR
    /// or UNIMPLEMENTED path by mistake.
    /// </summary>
    public static byte[] Decodable(byte[] frame)
    {
        var status = RequestDecoder.Decode(frame, new Request(), MaxField);
        if (status != DecodeStatus.Ok) throw new InvalidOperationException($"benchmark frame decodes as {status}, not Ok");
        return frame;
    }

    /// <summary>A request frame that is only the header (ping, closeSession, whoAmI).</summary>
    public static byte[] HeaderFrame(int xid, OpCode op) => Fixtures.Frame(w => new RequestHeader(xid, op).Write(w));

    /// <summary>A client-side request encode into a reused buffer: header then record; returns the length.</summary>
    public static int EncodeRequest<T>(ByteBuffer buffer, int xid, OpCode op, in T record) where T : IJuteRecord<T>
    {
        buffer.Clear();
        var w = new JuteWriter(buffer);
        new RequestHeader(xid, op).Write(w);
        record.Write(w);
        return buffer.Length;
    }

    /// <summary>An answered request as the engine leaves it for <see cref="ReplyEncoder"/>.</summary>
    public static Request Answered(OpCode op, Action<Request> fill)
    {
        var r = new Request { Op = op, Xid = 9, ReplyZxid = ReplyZxid, Err = ErrorCode.Ok };
        fill(r);
        return r;
    }

    /// <summary>The reply frame of <paramref name="r"/> without its length prefix: what a client decodes.</summary>
    public static byte[] ReplyBody(Request r)
    {
        using var buffer = new ByteBuffer(16 * 1024);
        ReplyEncoder.Encode(buffer, r);
        return buffer.WrittenSpan[4..].ToArray();
    }

    /// <summary>The server's reply encode into a reused buffer (length prefix included); returns the length.</summary>
    public static int EncodeReply(ByteBuffer buffer, Request r)
    {
        buffer.Clear();
        ReplyEncoder.Encode(buffer, r);
        return buffer.Length;
    }
}
