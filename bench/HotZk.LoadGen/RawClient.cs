using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using HotZk.Common;

namespace HotZk.LoadGen;

/// <summary>One reply: error code, zxid and the body bytes (after the reply header).</summary>
internal readonly record struct Reply(int Err, long Zxid, byte[] Body, long ReceivedTs)
{
    public bool Ok => Err == 0;
}

/// <summary>
/// A small awaitable raw-protocol client for setup and for the scenario workloads (watch fan-out,
/// locks, session churn), where a round trip is awaited and allocation does not matter. The
/// throughput workloads use <see cref="PipelinedSession"/> instead.
/// </summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentQueue<(int Xid, TaskCompletionSource<Reply> Tcs)> _pending = new();
    private readonly ByteBuffer _out = new(4096);
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _receive;
    private readonly Task _ping;
    private int _xid;
    private long _lastSendTs;
    private volatile bool _closed;

    private long _lastZxid;

    private RawClient(Socket socket, SessionTicket ticket, int timeoutMs)
    {
        _socket = socket;
        SessionId = ticket.SessionId;
        Password = ticket.Password;
        _lastZxid = ticket.LastZxidSeen;
        TimeoutMs = timeoutMs;
        _lastSendTs = Stopwatch.GetTimestamp();
        _receive = Task.Run(ReceiveLoopAsync);
        _ping = Task.Run(PingLoopAsync);
    }

    public long SessionId { get; }

    /// <summary>The session password from the ConnectResponse (needed to resume the session elsewhere).</summary>
    public byte[] Password { get; }

    public int TimeoutMs { get; }

    /// <summary>What another server needs to resume this session: id, password, the highest zxid seen.</summary>
    public SessionTicket Ticket => new(SessionId, Password, Interlocked.Read(ref _lastZxid));

    /// <summary>Called on the receive loop for every watch notification: (event type, path, receive timestamp).</summary>
    public Action<int, string, long>? OnWatch { get; set; }

    /// <summary>Connects to <paramref name="ep"/> and opens a new session.</summary>
    public static Task<RawClient> ConnectAsync(Endpoint ep, int sessionTimeoutMs = 30_000, CancellationToken ct = default) =>
        ConnectAsync(ep.Host, ep.Port, sessionTimeoutMs, ct);

    /// <summary>
    /// Connects and opens a new session, or resumes <paramref name="resume"/> (throws
    /// <see cref="SessionExpiredException"/> when the server no longer knows it). The TCP connect and
    /// the handshake together are bounded by <paramref name="connectTimeout"/> (default 15 s).
    /// </summary>
    public static async Task<RawClient> ConnectAsync(string host, int port, int sessionTimeoutMs = 30_000, CancellationToken ct = default,
        SessionTicket? resume = null, TimeSpan? connectTimeout = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(connectTimeout ?? TimeSpan.FromSeconds(15));
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
            var (ticket, negotiated) = await HandshakeAsync(socket, sessionTimeoutMs, resume, timeout.Token).ConfigureAwait(false);
            return new RawClient(socket, ticket, negotiated);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends a ConnectRequest for a new session and reads the ConnectResponse; returns (sessionId, negotiated timeout).</summary>
    public static async Task<(long SessionId, int TimeoutMs)> HandshakeAsync(Socket socket, int sessionTimeoutMs, CancellationToken ct)
    {
        var (ticket, timeout) = await HandshakeAsync(socket, sessionTimeoutMs, null, ct).ConfigureAwait(false);
        return (ticket.SessionId, timeout);
    }

    private static async Task<(SessionTicket Ticket, int TimeoutMs)> HandshakeAsync(Socket socket, int sessionTimeoutMs, SessionTicket? resume, CancellationToken ct)
    {
        using var b = new ByteBuffer(64);
        if (resume is { } t) Wire.WriteConnect(b, sessionTimeoutMs, t.SessionId, t.Password, t.LastZxidSeen);
        else Wire.WriteConnect(b, sessionTimeoutMs);
        await socket.SendAsync(b.WrittenMemory, SocketFlags.None, ct).ConfigureAwait(false);
        var frame = await ReadFrameAsync(socket, ct).ConfigureAwait(false);
        if (frame.Length < 16) throw new IOException($"short ConnectResponse ({frame.Length} bytes)");
        var r = new JuteReader(frame);
        r.ReadInt(); // protocolVersion
        int timeout = r.ReadInt();
        long session = r.ReadLong();
        byte[] password = r.Rest.Length >= 4 ? r.ReadBufferArray() ?? [] : [];
        if (timeout <= 0)
        {
            if (resume is not null) throw new SessionExpiredException(resume.SessionId);
            throw new IOException("the server refused the session (timeout 0)");
        }
        return (new SessionTicket(session, password, resume?.LastZxidSeen ?? 0), timeout);
    }

    private static async Task<byte[]> ReadFrameAsync(Socket socket, CancellationToken ct)
    {
        var len = new byte[4];
        await ReadExactlyAsync(socket, len, ct).ConfigureAwait(false);
        int n = BinaryPrimitives.ReadInt32BigEndian(len);
        if (n < 0 || n > Wire.MaxFrame + 64) throw new IOException($"bad frame length {n}");
        var body = new byte[n];
        await ReadExactlyAsync(socket, body, ct).ConfigureAwait(false);
        return body;
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> buf, CancellationToken ct)
    {
        while (!buf.IsEmpty)
        {
            int r = await socket.ReceiveAsync(buf, SocketFlags.None, ct).ConfigureAwait(false);
            if (r <= 0) throw new IOException("connection closed by the server");
            buf = buf[r..];
        }
    }

    /// <summary>Sends a request whose body is written by <paramref name="body"/>; completes with the reply.</summary>
    public async Task<Reply> CallAsync(OpCode op, Action<JuteWriter>? body)
    {
        var tcs = new TaskCompletionSource<Reply>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_closed) throw new IOException("connection closed");
            int xid = ++_xid;
            _out.Clear();
            int start = Wire.Begin(_out, xid, op);
            body?.Invoke(new JuteWriter(_out));
            Wire.End(_out, start);
            _pending.Enqueue((xid, tcs));
            _lastSendTs = Stopwatch.GetTimestamp();
            var mem = _out.WrittenMemory;
            while (!mem.IsEmpty)
            {
                int n = await _socket.SendAsync(mem, SocketFlags.None).ConfigureAwait(false);
                mem = mem[n..];
            }
        }
        catch (Exception e)
        {
            Abort(e.Message);
            throw;
        }
        finally
        {
            _sendLock.Release();
        }
        return await tcs.Task.ConfigureAwait(false);
    }

    public Task<Reply> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode) =>
        CallAsync(OpCode.Create, w =>
        {
            w.WriteString(path);
            w.WriteBuffer(data.Span);
            Wire.WriteOpenAcl(w);
            w.WriteInt((int)mode);
        });

    public Task<Reply> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1) =>
        CallAsync(OpCode.SetData, w =>
        {
            w.WriteString(path);
            w.WriteBuffer(data.Span);
            w.WriteInt(version);
        });

    /// <summary>sync(path): the server catches up with the leader's commit point before it answers.</summary>
    public Task<Reply> SyncAsync(string path) => CallAsync(OpCode.Sync, w => w.WriteString(path));

    public Task<Reply> DeleteAsync(string path, int version = -1) =>
        CallAsync(OpCode.Delete, w =>
        {
            w.WriteString(path);
            w.WriteInt(version);
        });

    public Task<Reply> PathWatchAsync(OpCode op, string path, bool watch) =>
        CallAsync(op, w =>
        {
            w.WriteString(path);
            w.WriteBool(watch);
        });

    /// <summary>getChildren(path, watch) → child names (null on error).</summary>
    public async Task<(int Err, List<string>? Children)> GetChildrenAsync(string path, bool watch = false)
    {
        var r = await PathWatchAsync(OpCode.GetChildren, path, watch).ConfigureAwait(false);
        if (!r.Ok) return (r.Err, null);
        var reader = new JuteReader(r.Body);
        int n = reader.ReadVectorCount();
        var list = new List<string>(Math.Max(0, n));
        for (int i = 0; i < n; i++) list.Add(reader.ReadStringNotNull());
        return (0, list);
    }

    /// <summary>Creates <paramref name="path"/> when missing (NodeExists is fine).</summary>
    public async Task EnsureAsync(string path)
    {
        var r = await CreateAsync(path, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent).ConfigureAwait(false);
        if (r.Err != 0 && r.Err != (int)ErrorCode.NodeExists) throw new IOException($"create {path}: {Wire.ErrorName(r.Err)}");
    }

    /// <summary>Ends the session (closeSession) and the connection.</summary>
    public ValueTask DisposeAsync() => CloseAsync(endSession: true);

    /// <summary>Drops the connection but leaves the session alive, so it can be resumed on another server.</summary>
    public ValueTask AbandonAsync() => CloseAsync(endSession: false);

    private async ValueTask CloseAsync(bool endSession)
    {
        if (endSession && !_closed)
        {
            try
            {
                await CallAsync(OpCode.CloseSession, null).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // closing anyway
            }
        }
        Abort("closed");
        try { await _receive.ConfigureAwait(false); } catch (Exception) { /* ended */ }
        try { await _ping.ConfigureAwait(false); } catch (Exception) { /* ended */ }
        _cts.Dispose();
        _sendLock.Dispose();
        _out.Dispose();
    }

    private void Abort(string reason)
    {
        if (_closed) return;
        _closed = true;
        _cts.Cancel();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception) { /* closed */ }
        _socket.Dispose();
        while (_pending.TryDequeue(out var p)) p.Tcs.TrySetException(new IOException("connection lost: " + reason));
    }

    private async Task PingLoopAsync()
    {
        try
        {
            int period = Math.Max(200, TimeoutMs / 3);
            while (!_closed)
            {
                await Task.Delay(period / 2, _cts.Token).ConfigureAwait(false);
                if (RunClock.ToUs(Stopwatch.GetTimestamp() - Volatile.Read(ref _lastSendTs)) < period * 1000L) continue;
                await _sendLock.WaitAsync(_cts.Token).ConfigureAwait(false);
                try
                {
                    _out.Clear();
                    Wire.Empty(_out, Wire.PingXid, OpCode.Ping);
                    _lastSendTs = Stopwatch.GetTimestamp();
                    await _socket.SendAsync(_out.WrittenMemory, SocketFlags.None, _cts.Token).ConfigureAwait(false);
                }
                finally
                {
                    _sendLock.Release();
                }
            }
        }
        catch (Exception)
        {
            // closed
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (!_closed)
            {
                var frame = await ReadFrameAsync(_socket, _cts.Token).ConfigureAwait(false);
                long now = Stopwatch.GetTimestamp();
                if (frame.Length < Wire.ReplyHeaderSize) throw new IOException("short reply");
                int xid = BinaryPrimitives.ReadInt32BigEndian(frame);
                long zxid = BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(4));
                int err = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(12));
                long seen;
                while (zxid > (seen = Interlocked.Read(ref _lastZxid)) && Interlocked.CompareExchange(ref _lastZxid, zxid, seen) != seen) { }
                if (xid == Wire.PingXid) continue;
                if (xid == Wire.NotificationXid)
                {
                    var r = new JuteReader(frame.AsSpan(Wire.ReplyHeaderSize));
                    int type = r.ReadInt();
                    r.ReadInt(); // state
                    string path = r.ReadStringNotNull();
                    OnWatch?.Invoke(type, path, now);
                    continue;
                }
                if (!_pending.TryDequeue(out var p)) throw new IOException($"reply xid {xid} with nothing outstanding");
                if (p.Xid != xid) throw new IOException($"reply xid {xid} out of order (expected {p.Xid})");
                p.Tcs.TrySetResult(new Reply(err, zxid, frame[Wire.ReplyHeaderSize..], now));
            }
        }
        catch (Exception e)
        {
            Abort(e.Message);
        }
    }

    /// <summary>Decodes the path of a create reply.</summary>
    public static string ReadPath(byte[] body)
    {
        var r = new JuteReader(body);
        return r.ReadStringNotNull();
    }

    public static string Str(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);
}
