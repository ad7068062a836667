using System.Buffers.Binary;
using System.Text;
using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Processing;

namespace HotZk.Replication.Server;

/// <summary>
/// Encodings of what learners and the leader exchange about client requests (payloads of REQUEST,
/// SYNC, REQUESTFAILED and PING packets). Big-endian; strings are int length + UTF-8.
/// </summary>
public static class ForwardedRequest
{
    /// <summary>REQUEST kind: a client's write, framed as the client sent it.</summary>
    public const byte ClientWrite = 1;

    /// <summary>REQUEST kind: a session that connected to the learner.</summary>
    public const byte CreateSession = 2;

    /// <summary>A write: kind, session, the client's identities, then its frame (xid, type, body).</summary>
    public static byte[] EncodeWrite(Request r)
    {
        var auth = r.Connection?.Auth;
        int size = 1 + 8 + 1 + 4 + 4 + r.RawLength;
        var ids = auth?.Ids ?? [];
        size += StringSize(auth?.RemoteAddress ?? "");
        foreach (var id in ids) size += StringSize(id.Scheme) + StringSize(id.Ident);
        var buf = new byte[size];
        var w = new Writer(buf);
        w.Byte(ClientWrite);
        w.Long(r.SessionId);
        w.Byte(auth?.IsSuper == true ? (byte)1 : (byte)0);
        w.String(auth?.RemoteAddress ?? "");
        w.Int(ids.Count);
        foreach (var id in ids)
        {
            w.String(id.Scheme);
            w.String(id.Ident);
        }
        w.Int(r.RawLength);
        r.Raw.AsSpan(0, r.RawLength).CopyTo(buf.AsSpan(w.At));
        return buf;
    }

    /// <summary>A new session: kind, id, requested timeout.</summary>
    public static byte[] EncodeCreateSession(long sessionId, int timeout)
    {
        var buf = new byte[13];
        buf[0] = CreateSession;
        BinaryPrimitives.WriteInt64BigEndian(buf.AsSpan(1), sessionId);
        BinaryPrimitives.WriteInt32BigEndian(buf.AsSpan(9), timeout);
        return buf;
    }

    /// <summary>Session + cxid (+ error): the tail of SYNC and REQUESTFAILED payloads.</summary>
    public static byte[] EncodeOutcome(long sessionId, int cxid, ErrorCode err)
    {
        var buf = new byte[16];
        BinaryPrimitives.WriteInt64BigEndian(buf, sessionId);
        BinaryPrimitives.WriteInt32BigEndian(buf.AsSpan(8), cxid);
        BinaryPrimitives.WriteInt32BigEndian(buf.AsSpan(12), (int)err);
        return buf;
    }

    /// <summary>Reads <see cref="EncodeOutcome"/>.</summary>
    public static (long SessionId, int Cxid, ErrorCode Err) DecodeOutcome(ReadOnlySpan<byte> data)
    {
        if (data.Length < 16) throw new InvalidDataException($"outcome payload of {data.Length} bytes");
        return (BinaryPrimitives.ReadInt64BigEndian(data), BinaryPrimitives.ReadInt32BigEndian(data[8..]), (ErrorCode)BinaryPrimitives.ReadInt32BigEndian(data[12..]));
    }

    /// <summary>Session ids, 8 bytes each.</summary>
    public static byte[] EncodeSessions(long[] ids)
    {
        var buf = new byte[ids.Length * 8];
        for (int i = 0; i < ids.Length; i++) BinaryPrimitives.WriteInt64BigEndian(buf.AsSpan(i * 8), ids[i]);
        return buf;
    }

    /// <summary>Reads <see cref="EncodeSessions"/>.</summary>
    public static long[] DecodeSessions(ReadOnlySpan<byte> data)
    {
        var ids = new long[data.Length / 8];
        for (int i = 0; i < ids.Length; i++) ids[i] = BinaryPrimitives.ReadInt64BigEndian(data[(i * 8)..]);
        return ids;
    }

    /// <summary>The parts of a <see cref="ClientWrite"/>.</summary>
    public static (long SessionId, AuthInfo Auth, ReadOnlyMemory<byte> Frame) DecodeWrite(ReadOnlyMemory<byte> data)
    {
        var r = new Reader(data);
        if (r.Byte() != ClientWrite) throw new InvalidDataException("not a forwarded write");
        long session = r.Long();
        bool super = r.Byte() != 0;
        var auth = new AuthInfo(r.String()) { IsSuper = super };
        int n = r.Int();
        if (n < 0 || n > 1024) throw new InvalidDataException($"forwarded write with {n} identities");
        for (int i = 0; i < n; i++) auth.Add(new Id(r.String(), r.String()));
        int len = r.Int();
        return (session, auth, r.Bytes(len));
    }

    /// <summary>The parts of a <see cref="CreateSession"/>.</summary>
    public static (long SessionId, int Timeout) DecodeCreateSession(ReadOnlySpan<byte> data)
    {
        if (data.Length < 13 || data[0] != CreateSession) throw new InvalidDataException("not a forwarded session create");
        return (BinaryPrimitives.ReadInt64BigEndian(data[1..]), BinaryPrimitives.ReadInt32BigEndian(data[9..]));
    }

    private static int StringSize(string s) => 4 + Encoding.UTF8.GetByteCount(s);

    private ref struct Writer(Span<byte> buf)
    {
        private readonly Span<byte> _buf = buf;
        public int At;

        public void Byte(byte b) => _buf[At++] = b;

        public void Int(int v)
        {
            BinaryPrimitives.WriteInt32BigEndian(_buf[At..], v);
            At += 4;
        }

        public void Long(long v)
        {
            BinaryPrimitives.WriteInt64BigEndian(_buf[At..], v);
            At += 8;
        }

        public void String(string s)
        {
            int n = Encoding.UTF8.GetBytes(s, _buf[(At + 4)..]);
            Int(n);
            At += n;
        }
    }

    private struct Reader(ReadOnlyMemory<byte> data)
    {
        private int _at;

        public byte Byte() => Need(1)[0];

        public int Int() => BinaryPrimitives.ReadInt32BigEndian(Need(4));

        public long Long() => BinaryPrimitives.ReadInt64BigEndian(Need(8));

        public string String()
        {
            int n = Int();
            if (n < 0) throw new InvalidDataException("negative string length");
            return Encoding.UTF8.GetString(Need(n));
        }

        public ReadOnlyMemory<byte> Bytes(int n)
        {
            if (n < 0 || _at + n > data.Length) throw new InvalidDataException("truncated forwarded request");
            var m = data.Slice(_at, n);
            _at += n;
            return m;
        }

        private ReadOnlySpan<byte> Need(int n) => Bytes(n).Span;
    }
}
