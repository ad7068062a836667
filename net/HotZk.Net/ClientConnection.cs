using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Processing;
using HotZk.Engine.Sessions;
using HotZk.Protocol;
using HotZk.Protocol.Records;

namespace HotZk.Net;

/// <summary>
/// One client TCP connection: splits frames, runs the handshake (or a four-letter word),
/// decodes requests for the engine and writes replies and notifications in order. Replies are
/// appended to an output buffer under a short lock and flushed by one send loop, so every
/// batch that piles up during a send leaves in one syscall.
/// </summary>
public sealed class ClientConnection : IClientConnection
{
    private readonly Socket _socket;
    private readonly ZkServer _server;
    private readonly object _outLock = new();
    private ByteBuffer _out = new(4096);
    private ByteBuffer _spare = new(4096);
    private bool _sending;
    private bool _closing;
    private int _closed;
    private TaskCompletionSource<bool>? _handshake;
    private Session? _session;
    private bool _clientSentReadOnlyByte = true;
    private SemaphoreSlim? _throttle;
    private int _throttled;

    /// <summary>Wraps an accepted socket.</summary>
    public ClientConnection(Socket socket, ZkServer server)
    {
        _socket = socket;
        _server = server;
        RemoteEndPoint = (IPEndPoint)socket.RemoteEndPoint!;
        var addr = RemoteEndPoint.Address.IsIPv4MappedToIPv6 ? RemoteEndPoint.Address.MapToIPv4() : RemoteEndPoint.Address;
        RemoteAddress = addr.ToString();
        Auth = new AuthInfo(RemoteAddress);
        Established = DateTime.UtcNow;
    }

    /// <summary>Remote endpoint.</summary>
    public IPEndPoint RemoteEndPoint { get; }
    /// <summary>Remote IP as text.</summary>
    public string RemoteAddress { get; }
    /// <inheritdoc />
    public AuthInfo Auth { get; }
    /// <summary>When the connection was accepted.</summary>
    public DateTime Established { get; }
    /// <summary>The session, once established.</summary>
    public Session? Session => _session;
    /// <summary>Session id (0 before the handshake).</summary>
    public long SessionId { get; private set; }
    /// <summary>Negotiated timeout.</summary>
    public int SessionTimeout { get; private set; }
    /// <summary>Packets received.</summary>
    public long Received;
    /// <summary>Packets sent.</summary>
    public long Sent;
    /// <summary>Requests submitted and not yet answered.</summary>
    public int Outstanding;
    /// <summary>Last opcode.</summary>
    public OpCode LastOp = OpCode.Notification;
    /// <summary>Last cxid.</summary>
    public int LastCxid = -1;
    /// <summary>Last zxid replied.</summary>
    public long LastZxid = -1;
    /// <summary>Last response time.</summary>
    public long LastResponseTime;
    /// <summary>Last latency (ms).</summary>
    public long LastLatency;
    /// <summary>Min latency (ms).</summary>
    public long MinLatency = long.MaxValue;
    /// <summary>Max latency (ms).</summary>
    public long MaxLatency;
    /// <summary>Total latency (ms).</summary>
    public long TotalLatency;
    /// <summary>Count of latencies.</summary>
    public long LatencyCount;

    /// <summary>True once closed.</summary>
    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    /// <summary>Reads and dispatches until the peer goes away.</summary>
    public async Task RunAsync()
    {
        var buf = new byte[64 * 1024];
        int filled = 0;
        bool handshakeDone = false;
        bool graceful = false;
        using var handshakeTimer = new Timer(_ =>
        {
            if (SessionId == 0 && _handshake is null) Close("no handshake within the sessionless timeout");
        }, null, _server.Options.SessionlessCnxnTimeoutMs, Timeout.Infinite);
        try
        {
            while (!IsClosed)
            {
                if (filled == buf.Length)
                {
                    Array.Resize(ref buf, buf.Length * 2);
                }
                int n = await _socket.ReceiveAsync(buf.AsMemory(filled), SocketFlags.None).ConfigureAwait(false);
                if (n == 0) break;
                filled += n;
                int offset = 0;
                while (!IsClosed)
                {
                    int avail = filled - offset;
                    if (!handshakeDone && avail >= 4)
                    {
                        var cmd = FourLetterWords.Detect(buf.AsSpan(offset, 4));
                        if (cmd != FourLetterCommand.None)
                        {
                            // The handler queues the text and closes once it is flushed.
                            await _server.FourLetterWords.RunAsync(this, cmd, buf.AsMemory(offset + 4, avail - 4)).ConfigureAwait(false);
                            graceful = true;
                            return;
                        }
                    }
                    if (avail < 4) break;
                    int len = BinaryPrimitives.ReadInt32BigEndian(buf.AsSpan(offset, 4));
                    if (len < 0 || len > _server.Options.JuteMaxBuffer)
                    {
                        _server.Log($"WARN Closing connection from {RemoteEndPoint}: packet length {len} is out of range (jute.maxbuffer {_server.Options.JuteMaxBuffer})");
                        Close("invalid frame length");
                        return;
                    }
                    if (avail - 4 < len)
                    {
                        if (4 + len > buf.Length)
                        {
                            // Grow so the whole frame fits; compact first.
                            var bigger = new byte[Math.Max(buf.Length * 2, 4 + len)];
                            Buffer.BlockCopy(buf, offset, bigger, 0, avail);
                            buf = bigger;
                            filled = avail;
                            offset = 0;
                        }
                        break;
                    }
                    var frame = buf.AsSpan(offset + 4, len);
                    offset += 4 + len;
                    Interlocked.Increment(ref Received);
                    if (!handshakeDone)
                    {
                        if (!StartHandshake(frame)) return;
                        handshakeDone = true;
                        // Requests pipelined behind the ConnectRequest wait until the session exists.
                        bool ok = await _handshake!.Task.ConfigureAwait(false);
                        if (!ok) return;
                        continue;
                    }
                    HandleFrame(frame);
                    if (Volatile.Read(ref Outstanding) >= _server.Options.MaxOutstandingPerConnection)
                    {
                        // Backpressure: stop reading this socket until the engine catches up.
                        _throttle ??= new SemaphoreSlim(0);
                        Volatile.Write(ref _throttled, 1);
                        while (!IsClosed && Volatile.Read(ref Outstanding) >= _server.Options.MaxOutstandingPerConnection)
                            await _throttle.WaitAsync(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
                        Volatile.Write(ref _throttled, 0);
                    }
                }
                if (offset > 0)
                {
                    Buffer.BlockCopy(buf, offset, buf, 0, filled - offset);
                    filled -= offset;
                }
            }
        }
        catch (SocketException) { }
        catch (ObjectDisposedException) { }
        catch (Exception e)
        {
            _server.Log($"ERROR connection {RemoteEndPoint}: {e}");
        }
        finally
        {
            // Flush whatever is queued (a 4lw answer, an expired-session reply) before closing.
            Close(graceful ? "four-letter word done" : "connection ended");
        }
    }

    private bool StartHandshake(ReadOnlySpan<byte> frame)
    {
        ConnectRequest req;
        try
        {
            var r = new JuteReader(frame, _server.Options.JuteMaxBuffer);
            req = ConnectRequest.Read(ref r);
        }
        catch (JuteException e)
        {
            _server.Log($"WARN Closing connection from {RemoteEndPoint}: malformed ConnectRequest ({e.Message})");
            Close("malformed connect request");
            return false;
        }
        _clientSentReadOnlyByte = req.HasReadOnlyByte;
        _handshake = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        _server.Engine.Connect(this, new ConnectArgs(req.LastZxidSeen, req.TimeOut, req.SessionId, req.Passwd, req.ReadOnly));
        return true;
    }

    private void HandleFrame(ReadOnlySpan<byte> frame)
    {
        var r = RequestPool.Rent();
        r.Connection = this;
        r.Session = _session;
        r.SessionId = SessionId;
        r.StartTicks = Stopwatch.GetTimestamp();
        var status = RequestDecoder.Decode(frame, r, _server.Options.JuteMaxBuffer);
        LastOp = r.Op;
        LastCxid = r.Xid;
        // An ensemble learner sends writes (and syncs) on to the leader as the client framed them.
        if (status != DecodeStatus.Unimplemented && _server.Engine.ForwardsWrites && (r.IsWrite || r.Op == OpCode.Sync)) r.SetRaw(frame);
        switch (status)
        {
            case DecodeStatus.Ok:
                Interlocked.Increment(ref Outstanding);
                if (r.Op == OpCode.Sasl)
                {
                    // No SASL server is configured: fail it like ZooKeeper does and close.
                    r.Err = ErrorCode.AuthFailed;
                    r.ReplyZxid = 0;
                    SendReply(r);
                    Close("SASL authentication is not configured");
                    return;
                }
                _server.Engine.Submit(r);
                return;
            case DecodeStatus.Malformed:
                _server.Log($"WARN malformed request (op {(int)r.Op}, xid {r.Xid}) from {RemoteEndPoint}: replying MARSHALLINGERROR");
                Interlocked.Increment(ref Outstanding);
                if (r.IsWrite && r.Op != OpCode.CloseSession)
                {
                    // Writes are decoded in ZooKeeper's prep stage: a bad body becomes an error txn and takes a zxid.
                    r.Malformed = true;
                    r.Ops = null;
                    _server.Engine.Submit(r);
                    return;
                }
                r.Err = ErrorCode.MarshallingError;
                r.ReplyZxid = _server.Engine.LastProcessedZxid;
                SendReply(r);
                return;
            default:
                _server.Log($"WARN unknown or unsupported opcode {(int)r.Op} from {RemoteEndPoint}: replying UNIMPLEMENTED and closing");
                Interlocked.Increment(ref Outstanding);
                r.Err = ErrorCode.Unimplemented;
                r.ReplyZxid = -1; // as ZooKeeper answers an unknown opcode
                SendReply(r);
                Close("unimplemented opcode");
                return;
        }
    }

    /// <inheritdoc />
    public void SendConnectResponse(Session? session, int negotiatedTimeout)
    {
        var buffer = new ByteBuffer(64);
        var w = new JuteWriter(buffer);
        int start = w.ReserveInt();
        var resp = session is null
            ? new ConnectResponse(0, 0, 0, new byte[16], false, _clientSentReadOnlyByte)
            : new ConnectResponse(0, negotiatedTimeout, session.Id, session.Password, _server.Engine.Role == EngineRole.ReadOnly, _clientSentReadOnlyByte);
        resp.Write(w);
        w.PatchInt(start, buffer.Length - start - 4);
        if (session is not null)
        {
            _session = session;
            SessionId = session.Id;
            SessionTimeout = negotiatedTimeout;
        }
        Enqueue(buffer.WrittenSpan);
        buffer.Dispose();
        if (session is null)
        {
            _server.Log($"INFO Invalid session or password for a reconnect from {RemoteEndPoint}: replying expired");
            Close("session expired or invalid");
            _handshake?.TrySetResult(false);
        }
        else
        {
            _handshake?.TrySetResult(true);
        }
    }

    /// <inheritdoc />
    public void SendReply(Request r)
    {
        int left = Interlocked.Decrement(ref Outstanding);
        if (Volatile.Read(ref _throttled) != 0 && left < _server.Options.MaxOutstandingPerConnection / 2) _throttle?.Release();
        if (r.Op != OpCode.Ping) LastZxid = r.ReplyZxid;
        long lat = (Stopwatch.GetTimestamp() - r.StartTicks) * 1000 / Stopwatch.Frequency;
        LastLatency = lat;
        TotalLatency += lat;
        LatencyCount++;
        if (lat < MinLatency) MinLatency = lat;
        if (lat > MaxLatency) MaxLatency = lat;
        LastResponseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        lock (_outLock)
        {
            if (!_closing)
            {
                ReplyEncoder.Encode(_out, r);
                Sent++;
                StartSendIfNeeded();
            }
        }
        // The reply is encoded: the request is done everywhere.
        RequestPool.Return(r);
    }

    /// <inheritdoc />
    public void Process(EventType type, string path, long zxid)
    {
        lock (_outLock)
        {
            if (_closing) return;
            ReplyEncoder.EncodeNotification(_out, type, path, zxid);
            Sent++;
            StartSendIfNeeded();
        }
    }

    /// <summary>Writes raw bytes (four-letter word output, connect response).</summary>
    public void Enqueue(ReadOnlySpan<byte> bytes)
    {
        lock (_outLock)
        {
            if (_closing) return;
            _out.Write(bytes);
            StartSendIfNeeded();
        }
    }

    private void StartSendIfNeeded()
    {
        if (_sending) return;
        _sending = true;
        // An idle engine sends the reply inline (a non-blocking send; a full socket buffer continues
        // asynchronously), saving a thread hop per request. A busy one leaves sending to the thread pool
        // so replies batch up and the engine thread spends no syscalls under load.
        _ = SendLoopAsync(yieldFirst: !_server.Engine.IsIdle);
    }

    private async Task SendLoopAsync(bool yieldFirst)
    {
        if (yieldFirst) await Task.Yield();
        try
        {
            while (true)
            {
                ByteBuffer toSend;
                lock (_outLock)
                {
                    if (_out.Length == 0)
                    {
                        _sending = false;
                        if (_closing) CloseNow();
                        return;
                    }
                    toSend = _out;
                    _out = _spare;
                    _spare = toSend;
                }
                var mem = toSend.WrittenMemory;
                while (mem.Length > 0)
                {
                    int n = await _socket.SendAsync(mem, SocketFlags.None).ConfigureAwait(false);
                    mem = mem[n..];
                }
                toSend.Clear();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            lock (_outLock) _sending = false;
            CloseNow();
        }
    }

    /// <inheritdoc />
    public void Close(string reason)
    {
        lock (_outLock)
        {
            if (_closing) return;
            _closing = true;
            if (_sending) return; // the send loop closes once the output is flushed
        }
        CloseNow();
    }

    /// <summary>Closes the socket and tells the engine.</summary>
    private void CloseNow()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        lock (_outLock) _closing = true;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception e) when (e is SocketException or ObjectDisposedException) { }
        _socket.Dispose();
        _handshake?.TrySetResult(false);
        _server.OnConnectionClosed(this);
    }

    /// <summary>Resets per-connection counters (crst).</summary>
    public void ResetStats()
    {
        Interlocked.Exchange(ref Received, 0);
        Sent = 0;
        MinLatency = long.MaxValue;
        MaxLatency = 0;
        TotalLatency = 0;
        LatencyCount = 0;
        LastLatency = 0;
    }
}
