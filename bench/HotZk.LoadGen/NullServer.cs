using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using HotZk.Common;

namespace HotZk.LoadGen;

/// <summary>
/// The load generator's ceiling: a server that answers the handshake and every request with a canned
/// success reply of the right shape (fixed Stat, fixed data) and does no other work. One receive loop
/// per connection; all replies to one received batch leave in one send.
/// </summary>
internal sealed class NullServer
{
    private static readonly byte[] StatBytes = BuildStat();
    private readonly byte[] _data;
    private long _sessionIds = 0x100000000L;
    private long _zxid;

    public NullServer(int dataSize)
    {
        _data = new byte[dataSize];
        new Random(7).NextBytes(_data);
    }

    private static byte[] BuildStat()
    {
        using var b = new ByteBuffer(128);
        new Stat(1, 2, 1_700_000_000_000, 1_700_000_000_000, 1, 0, 0, 0, 1024, 0, 1).Write(new JuteWriter(b));
        return b.WrittenSpan.ToArray();
    }

    /// <summary>Serves on 127.0.0.1:<paramref name="port"/> until cancelled; reports the bound port.</summary>
    public async Task RunAsync(int port, Action<int> bound, CancellationToken ct)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(1024);
        bound(((IPEndPoint)listener.LocalEndPoint!).Port);
        using var reg = ct.Register(listener.Dispose);
        while (!ct.IsCancellationRequested)
        {
            Socket s;
            try
            {
                s = await listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
            s.NoDelay = true;
            _ = Task.Run(() => ServeAsync(s));
        }
    }

    private async Task ServeAsync(Socket s)
    {
        var inBuf = ArrayPool<byte>.Shared.Rent(256 * 1024);
        using var output = new ByteBuffer(64 * 1024);
        int end = 0;
        bool handshaken = false;
        try
        {
            while (true)
            {
                if (end == inBuf.Length)
                {
                    var next = ArrayPool<byte>.Shared.Rent(inBuf.Length * 2);
                    Buffer.BlockCopy(inBuf, 0, next, 0, end);
                    ArrayPool<byte>.Shared.Return(inBuf);
                    inBuf = next;
                }
                int n = await s.ReceiveAsync(inBuf.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                if (n <= 0) return;
                end += n;
                if (!handshaken && end >= 4 && FourLetter(inBuf.AsSpan(0, 4)) is { } text)
                {
                    await s.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None).ConfigureAwait(false);
                    return;
                }
                output.Clear();
                int pos = 0;
                bool close = false;
                while (end - pos >= 4)
                {
                    int len = BinaryPrimitives.ReadInt32BigEndian(inBuf.AsSpan(pos));
                    if (len < 0 || len > Wire.MaxFrame + 64) return;
                    if (end - pos - 4 < len) break;
                    var frame = inBuf.AsSpan(pos + 4, len);
                    pos += 4 + len;
                    if (!handshaken)
                    {
                        Handshake(output, frame);
                        handshaken = true;
                        continue;
                    }
                    close |= Answer(output, frame);
                }
                if (pos > 0)
                {
                    Buffer.BlockCopy(inBuf, pos, inBuf, 0, end - pos);
                    end -= pos;
                }
                if (end == inBuf.Length || (end >= 4 && BinaryPrimitives.ReadInt32BigEndian(inBuf) + 4 > inBuf.Length))
                {
                    int need = Math.Max(inBuf.Length * 2, BinaryPrimitives.ReadInt32BigEndian(inBuf) + 4);
                    var next = ArrayPool<byte>.Shared.Rent(need);
                    Buffer.BlockCopy(inBuf, 0, next, 0, end);
                    ArrayPool<byte>.Shared.Return(inBuf);
                    inBuf = next;
                }
                var mem = output.WrittenMemory;
                while (!mem.IsEmpty)
                {
                    int sent = await s.SendAsync(mem, SocketFlags.None).ConfigureAwait(false);
                    mem = mem[sent..];
                }
                if (close) return;
            }
        }
        catch (Exception)
        {
            // client went away
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(inBuf);
            s.Dispose();
        }
    }

    private static string? FourLetter(ReadOnlySpan<byte> first) =>
        first.SequenceEqual("ruok"u8) ? "imok"
        : first.SequenceEqual("srvr"u8) || first.SequenceEqual("stat"u8) ? "Zookeeper version: hotzk-loadgen nullserver\nMode: standalone\n"
        : null;

    private void Handshake(ByteBuffer output, ReadOnlySpan<byte> frame)
    {
        var r = new JuteReader(frame);
        r.ReadInt();
        r.ReadLong();
        int timeout = r.ReadInt();
        r.ReadLong();
        r.ReadBuffer(out _);
        bool hasReadOnly = !r.End;
        int start = Wire.BeginRaw(output);
        var w = new JuteWriter(output);
        w.WriteInt(0);
        w.WriteInt(Math.Clamp(timeout, 4000, 40000));
        w.WriteLong(Interlocked.Increment(ref _sessionIds));
        w.WriteBuffer(stackalloc byte[16]);
        if (hasReadOnly) w.WriteBool(false);
        Wire.End(output, start);
    }

    /// <summary>Appends the canned reply to one request; true for closeSession.</summary>
    private bool Answer(ByteBuffer output, ReadOnlySpan<byte> frame)
    {
        var r = new JuteReader(frame);
        int xid = r.ReadInt();
        var op = (OpCode)r.ReadInt();
        int start = Wire.BeginRaw(output);
        var w = new JuteWriter(output);
        w.WriteInt(xid);
        w.WriteLong(op == OpCode.Ping ? 0 : Interlocked.Increment(ref _zxid));
        w.WriteInt(0);
        switch (op)
        {
            case OpCode.GetData:
                w.WriteBuffer(_data);
                output.Write(StatBytes);
                break;
            case OpCode.SetData or OpCode.Exists or OpCode.SetAcl:
                output.Write(StatBytes);
                break;
            case OpCode.Create or OpCode.Sync:
                r.ReadUtf8(out var path);
                w.WriteUtf8(path);
                break;
            case OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl:
                r.ReadUtf8(out var path2);
                w.WriteUtf8(path2);
                output.Write(StatBytes);
                break;
            case OpCode.GetChildren:
                w.WriteInt(0);
                break;
            case OpCode.GetChildren2:
                w.WriteInt(0);
                output.Write(StatBytes);
                break;
            case OpCode.Multi:
                AnswerMulti(w, output, ref r);
                break;
        }
        Wire.End(output, start);
        return op == OpCode.CloseSession;
    }

    private static void AnswerMulti(JuteWriter w, ByteBuffer output, ref JuteReader r)
    {
        while (true)
        {
            var type = (OpCode)r.ReadInt();
            bool done = r.ReadBool();
            r.ReadInt();
            if (done) break;
            w.WriteInt((int)type);
            w.WriteBool(false);
            w.WriteInt(0);
            switch (type)
            {
                case OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl:
                    r.ReadUtf8(out var path);
                    w.WriteUtf8(path);
                    if (type != OpCode.Create) output.Write(StatBytes);
                    r.ReadBuffer(out _);
                    int acls = r.ReadVectorCount();
                    for (int i = 0; i < acls; i++) { r.ReadInt(); r.ReadBuffer(out _); r.ReadBuffer(out _); }
                    r.ReadInt();
                    if (type == OpCode.CreateTtl) r.ReadLong();
                    break;
                case OpCode.SetData:
                    r.ReadBuffer(out _);
                    r.ReadBuffer(out _);
                    r.ReadInt();
                    output.Write(StatBytes);
                    break;
                default: // delete, check
                    r.ReadBuffer(out _);
                    r.ReadInt();
                    break;
            }
        }
        w.WriteInt(-1);
        w.WriteBool(true);
        w.WriteInt(-1);
    }
}
