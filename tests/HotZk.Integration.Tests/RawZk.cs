using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using HotZk.Common;

namespace HotZk.Integration.Tests;

/// <summary>
/// A byte-exact ZooKeeper peer for protocol tests: it writes exactly the frames a test builds
/// and returns each reply frame raw, so malformed input and exact reply sizes can be checked.
/// </summary>
public sealed class RawZk : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _buf = new byte[1 << 21];
    private int _filled;

    private RawZk(Socket s) => _socket = s;

    public long SessionId { get; private set; }
    public byte[] Password { get; private set; } = new byte[16];
    public int Timeout { get; private set; }

    public static async Task<RawZk> OpenAsync(IPEndPoint ep)
    {
        var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await s.ConnectAsync(ep);
        return new RawZk(s);
    }

    /// <summary>Opens a connection and completes a standard (45-byte) handshake.</summary>
    public static async Task<RawZk> ConnectAsync(IPEndPoint ep, int timeout = 30000, long sessionId = 0, byte[]? passwd = null, long lastZxid = 0)
    {
        var zk = await OpenAsync(ep);
        await zk.SendFrameAsync(ConnectRequest(timeout, sessionId, passwd ?? new byte[16], lastZxid, readOnlyByte: true));
        var resp = await zk.ReadFrameAsync() ?? throw new IOException("connection closed during handshake");
        var r = new JuteReader(resp);
        r.ReadInt();
        zk.Timeout = r.ReadInt();
        zk.SessionId = r.ReadLong();
        zk.Password = r.ReadBufferArray() ?? [];
        return zk;
    }

    public static byte[] ConnectRequest(int timeout, long sessionId, byte[] passwd, long lastZxid, bool readOnlyByte)
    {
        using var b = new ByteBuffer();
        var w = new JuteWriter(b);
        w.WriteInt(0);
        w.WriteLong(lastZxid);
        w.WriteInt(timeout);
        w.WriteLong(sessionId);
        w.WriteBuffer(passwd);
        if (readOnlyByte) w.WriteBool(false);
        return b.WrittenSpan.ToArray();
    }

    /// <summary>Builds a request frame body: header then whatever <paramref name="body"/> writes.</summary>
    public static byte[] Request(int xid, OpCode op, Action<JuteWriter>? body = null)
    {
        using var b = new ByteBuffer();
        var w = new JuteWriter(b);
        w.WriteInt(xid);
        w.WriteInt((int)op);
        body?.Invoke(w);
        return b.WrittenSpan.ToArray();
    }

    public Task SendFrameAsync(byte[] payload)
    {
        var frame = new byte[payload.Length + 4];
        BinaryPrimitives.WriteInt32BigEndian(frame, payload.Length);
        payload.CopyTo(frame, 4);
        return SendRawAsync(frame);
    }

    public async Task SendRawAsync(byte[] bytes)
    {
        int sent = 0;
        while (sent < bytes.Length) sent += await _socket.SendAsync(bytes.AsMemory(sent), SocketFlags.None);
    }

    /// <summary>Reads one frame payload; null when the server closed the connection.</summary>
    public async Task<byte[]?> ReadFrameAsync(int timeoutMs = 10000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            if (_filled >= 4)
            {
                int len = BinaryPrimitives.ReadInt32BigEndian(_buf);
                if (_filled >= 4 + len)
                {
                    var frame = _buf.AsSpan(4, len).ToArray();
                    Buffer.BlockCopy(_buf, 4 + len, _buf, 0, _filled - 4 - len);
                    _filled -= 4 + len;
                    return frame;
                }
            }
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_buf.AsMemory(_filled), SocketFlags.None, cts.Token);
            }
            catch (SocketException)
            {
                return null;
            }
            if (n == 0) return null;
            _filled += n;
        }
    }

    /// <summary>Reads frames until a reply with <paramref name="xid"/> arrives, collecting notifications.</summary>
    public async Task<(int Err, long Zxid, byte[] Body, List<(EventType Type, string Path)> Events)> CallAsync(int xid, OpCode op, Action<JuteWriter>? body = null)
    {
        await SendFrameAsync(Request(xid, op, body));
        var events = new List<(EventType, string)>();
        while (true)
        {
            var f = await ReadFrameAsync() ?? throw new IOException($"connection closed waiting for xid {xid}");
            var r = new JuteReader(f);
            int rx = r.ReadInt();
            long zxid = r.ReadLong();
            int err = r.ReadInt();
            if (rx == -1)
            {
                var type = (EventType)r.ReadInt();
                r.ReadInt();
                events.Add((type, r.ReadStringNotNull()));
                continue;
            }
            if (rx != xid) throw new IOException($"xid out of order: expected {xid}, got {rx}");
            return (err, zxid, r.Rest.ToArray(), events);
        }
    }

    /// <summary>True when the server closes the connection within the timeout (reading and discarding any frames).</summary>
    public async Task<bool> IsClosedByServerAsync(int timeoutMs = 5000)
    {
        try
        {
            while (true)
            {
                var f = await ReadFrameAsync(timeoutMs);
                if (f is null) return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public static void Create(JuteWriter w, string path, byte[]? data = null, Acl[]? acl = null, int flags = 0)
    {
        w.WriteString(path);
        w.WriteBuffer(data ?? []);
        Acl.WriteList(w, acl ?? Acl.OpenAclUnsafe);
        w.WriteInt(flags);
    }

    public void Dispose() => _socket.Dispose();
}
