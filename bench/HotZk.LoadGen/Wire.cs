using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text;
using HotZk.Common;

namespace HotZk.LoadGen;

/// <summary>
/// Raw ZooKeeper wire helpers: frames are written straight into a <see cref="ByteBuffer"/> with the
/// jute primitives of HotZk.Common, so the hot path encodes a request without allocating.
/// </summary>
internal static class Wire
{
    /// <summary>Size of the frame length prefix.</summary>
    public const int LengthSize = 4;

    /// <summary>Reply header: xid(4) + zxid(8) + err(4).</summary>
    public const int ReplyHeaderSize = 16;

    /// <summary>jute.maxbuffer default of Apache ZooKeeper (0xFFFFF), the largest frame either side accepts.</summary>
    public const int MaxFrame = 0xFFFFF;

    /// <summary>xid of a watch notification.</summary>
    public const int NotificationXid = -1;

    /// <summary>xid of a ping.</summary>
    public const int PingXid = -2;

    /// <summary>Starts a request frame (length placeholder, xid, opcode); returns the frame start.</summary>
    public static int Begin(ByteBuffer b, int xid, OpCode op)
    {
        int start = b.Length;
        var s = b.GetSpan(12);
        BinaryPrimitives.WriteInt32BigEndian(s, 0);
        BinaryPrimitives.WriteInt32BigEndian(s[4..], xid);
        BinaryPrimitives.WriteInt32BigEndian(s[8..], (int)op);
        b.Advance(12);
        return start;
    }

    /// <summary>Patches the frame length of a frame started with <see cref="Begin"/> (or <see cref="BeginRaw"/>).</summary>
    public static void End(ByteBuffer b, int start) =>
        BinaryPrimitives.WriteInt32BigEndian(b.WrittenSpan.Slice(start, 4), b.Length - start - LengthSize);

    /// <summary>Starts a frame without a request header (connect request/response).</summary>
    public static int BeginRaw(ByteBuffer b)
    {
        int start = b.Length;
        BinaryPrimitives.WriteInt32BigEndian(b.GetSpan(4), 0);
        b.Advance(4);
        return start;
    }

    /// <summary>OPEN_ACL_UNSAFE: one ACL (ALL, world:anyone).</summary>
    public static void WriteOpenAcl(JuteWriter w)
    {
        w.WriteInt(1);
        w.WriteInt((int)Perms.All);
        w.WriteUtf8("world"u8);
        w.WriteUtf8("anyone"u8);
    }

    /// <summary>
    /// A ConnectRequest as a whole frame: a new session (id 0), or a reconnect of session
    /// <paramref name="sessionId"/> with its <paramref name="password"/> and the last zxid the client saw.
    /// </summary>
    public static void WriteConnect(ByteBuffer b, int sessionTimeoutMs, long sessionId = 0, ReadOnlySpan<byte> password = default, long lastZxidSeen = 0)
    {
        int start = BeginRaw(b);
        var w = new JuteWriter(b);
        w.WriteInt(0);          // protocolVersion
        w.WriteLong(lastZxidSeen);
        w.WriteInt(sessionTimeoutMs);
        w.WriteLong(sessionId);
        w.WriteBuffer(password.IsEmpty ? stackalloc byte[16] : password);
        w.WriteBool(false);     // readOnly
        End(b, start);
    }

    /// <summary>Writes create(path, data, OPEN_ACL_UNSAFE, flags) as a whole frame.</summary>
    public static void Create(ByteBuffer b, int xid, ReadOnlySpan<byte> path, ReadOnlySpan<byte> data, CreateMode flags)
    {
        int start = Begin(b, xid, OpCode.Create);
        var w = new JuteWriter(b);
        w.WriteUtf8(path);
        w.WriteBuffer(data);
        WriteOpenAcl(w);
        w.WriteInt((int)flags);
        End(b, start);
    }

    /// <summary>Writes setData(path, data, version) as a whole frame.</summary>
    public static void SetData(ByteBuffer b, int xid, ReadOnlySpan<byte> path, ReadOnlySpan<byte> data, int version = -1)
    {
        int start = Begin(b, xid, OpCode.SetData);
        var w = new JuteWriter(b);
        w.WriteUtf8(path);
        w.WriteBuffer(data);
        w.WriteInt(version);
        End(b, start);
    }

    /// <summary>Writes getData / exists / getChildren (path, watch) as a whole frame.</summary>
    public static void PathWatch(ByteBuffer b, int xid, OpCode op, ReadOnlySpan<byte> path, bool watch)
    {
        int start = Begin(b, xid, op);
        var w = new JuteWriter(b);
        w.WriteUtf8(path);
        w.WriteBool(watch);
        End(b, start);
    }

    /// <summary>Writes delete(path, version) as a whole frame.</summary>
    public static void Delete(ByteBuffer b, int xid, ReadOnlySpan<byte> path, int version = -1)
    {
        int start = Begin(b, xid, OpCode.Delete);
        var w = new JuteWriter(b);
        w.WriteUtf8(path);
        w.WriteInt(version);
        End(b, start);
    }

    /// <summary>Writes a header-only request (ping with xid -2, closeSession).</summary>
    public static void Empty(ByteBuffer b, int xid, OpCode op)
    {
        int start = Begin(b, xid, op);
        End(b, start);
    }

    /// <summary>Multi: one op header (type, done=false, err=-1).</summary>
    public static void MultiHeader(JuteWriter w, OpCode type)
    {
        w.WriteInt((int)type);
        w.WriteBool(false);
        w.WriteInt(-1);
    }

    /// <summary>Multi: the terminating header (-1, done=true, -1).</summary>
    public static void MultiEnd(JuteWriter w)
    {
        w.WriteInt(-1);
        w.WriteBool(true);
        w.WriteInt(-1);
    }

    /// <summary>Formats <c>prefix + a + "-" + b</c> into <paramref name="dest"/> (UTF-8, no allocation).</summary>
    public static int FormatPath(Span<byte> dest, ReadOnlySpan<byte> prefix, long a, long b)
    {
        prefix.CopyTo(dest);
        int n = prefix.Length;
        Utf8Formatter.TryFormat(a, dest[n..], out int w1);
        n += w1;
        dest[n++] = (byte)'-';
        Utf8Formatter.TryFormat(b, dest[n..], out int w2);
        return n + w2;
    }

    /// <summary>UTF-8 bytes of a string (cold paths).</summary>
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>A readable name for a ZooKeeper error code, e.g. <c>NONODE(-101)</c>.</summary>
    public static string ErrorName(int code)
    {
        var e = (ErrorCode)code;
        string name = Enum.IsDefined(e) ? e.ToString() : "code";
        return $"{name}({code})";
    }
}
