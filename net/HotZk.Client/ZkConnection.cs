using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using HotZk.Common;
using HotZk.Protocol;
using HotZk.Protocol.Records;

namespace HotZk.Client;

/// <summary>The server broke the protocol (xid out of order, oversize frame); the connection is dropped.</summary>
internal sealed class ProtocolViolationException(string message) : IOException(message);

/// <summary>
/// One TCP connection of a <see cref="ZkClient"/>: a read loop, a writer loop that coalesces queued
/// requests into one send per batch, and a ping/read-timeout loop. The first failure of any loop
/// aborts the whole connection; the client then fails what is outstanding and reconnects.
/// </summary>
internal sealed class ZkConnection : IDisposable
{
    private const int MaxBatchBytes = 256 * 1024;

    private readonly ZkClient _client;
    private readonly Socket _socket;
    private readonly int _maxFrameLength;
    private readonly CancellationTokenSource _cts = new();
    private readonly ConcurrentQueue<PendingRequest> _pending = new();
    private readonly ConcurrentQueue<PendingRequest> _authPending = new();
    private readonly ByteBuffer _out = new(64 * 1024);
    private byte[] _in;
    private int _inStart;
    private int _inEnd;
    private long _lastSendMs;
    private long _lastRecvMs;
    private int _aborted;
    private Task _completion = Task.CompletedTask;

    public ZkConnection(ZkClient client, Socket socket, int maxFrameLength)
    {
        _client = client;
        _socket = socket;
        _maxFrameLength = maxFrameLength;
        _in = ArrayPool<byte>.Shared.Rent(64 * 1024);
        _lastSendMs = _lastRecvMs = Environment.TickCount64;
    }

    /// <summary>Completes (never faults) when every loop has stopped.</summary>
    public Task Completion => _completion;

    /// <summary>Why the connection ended, for diagnostics.</summary>
    public Exception? AbortReason { get; private set; }

    /// <summary>Sends the ConnectRequest and reads the ConnectResponse.</summary>
    public async Task<ConnectResponse> HandshakeAsync(ConnectRequest request, CancellationToken ct)
    {
        var w = new JuteWriter(_out);
        int start = FrameWriter.Begin(w);
        request.Write(w);
        FrameWriter.End(w, start);
        await SendBufferAsync(ct).ConfigureAwait(false);
        while (true)
        {
            var seq = new ReadOnlySequence<byte>(_in, _inStart, _inEnd - _inStart);
            var status = FrameReader.TryReadFrame(ref seq, _maxFrameLength, out var payload);
            if (status == FrameStatus.Invalid) throw new ProtocolViolationException("invalid ConnectResponse length");
            if (status == FrameStatus.Complete)
            {
                var r = new JuteReader(payload.FirstSpan);
                var response = ConnectResponse.Read(ref r);
                _inStart = _inEnd - (int)seq.Length;
                return response;
            }
            if (!await ReceiveAsync(ct).ConfigureAwait(false)) throw new IOException("server closed the connection during the handshake");
        }
    }

    /// <summary>Writes requests (auth, setWatches) that must precede queued ones; call before <see cref="Start"/>.</summary>
    public async Task PrimeAsync(IReadOnlyList<PendingRequest> requests, CancellationToken ct)
    {
        if (requests.Count == 0) return;
        foreach (var p in requests) Encode(p);
        await SendBufferAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Starts the loops; <paramref name="outgoing"/> is the client's request queue.</summary>
    public void Start(System.Threading.Channels.ChannelReader<PendingRequest> outgoing, int negotiatedTimeoutMs)
    {
        var ct = _cts.Token;
        var read = Task.Run(() => ReadLoopAsync(ct));
        var write = Task.Run(() => WriteLoopAsync(outgoing, ct));
        var ping = Task.Run(() => PingLoopAsync(negotiatedTimeoutMs, ct));
        _completion = Task.WhenAll(read, write, ping);
    }

    /// <summary>Ends the connection; idempotent and safe from any thread.</summary>
    public void Abort(Exception? reason = null)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0) return;
        AbortReason = reason;
        _cts.Cancel();
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception) { /* already dead */ }
        _socket.Dispose();
    }

    /// <summary>Fails every request that was sent but not answered. Call only after <see cref="Completion"/>.</summary>
    public void FailOutstanding(ErrorCode code)
    {
        while (_pending.TryDequeue(out var p)) p.Fail(code);
        while (_authPending.TryDequeue(out var p)) p.Fail(code);
    }

    public void Dispose()
    {
        Abort();
        _cts.Dispose();
        _out.Dispose();
        var buf = Interlocked.Exchange(ref _in, []);
        if (buf.Length > 0) ArrayPool<byte>.Shared.Return(buf);
    }

    private async Task ReadLoopAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                DrainFrames();
                if (!await ReceiveAsync(ct).ConfigureAwait(false))
                {
                    Abort(new IOException("server closed the connection"));
                    return;
                }
            }
        }
        catch (Exception e)
        {
            Abort(e);
        }
    }

    /// <summary>Handles every complete frame in the input buffer. Synchronous so frames are processed strictly in order.</summary>
    private void DrainFrames()
    {
        while (true)
        {
            var seq = new ReadOnlySequence<byte>(_in, _inStart, _inEnd - _inStart);
            var status = FrameReader.TryReadFrame(ref seq, _maxFrameLength, out var payload);
            if (status == FrameStatus.Incomplete) return;
            if (status == FrameStatus.Invalid) throw new ProtocolViolationException("reply frame length out of range");
            HandleReply(payload.FirstSpan);
            _inStart = _inEnd - (int)seq.Length;
        }
    }

    private void HandleReply(ReadOnlySpan<byte> payload)
    {
        var r = new JuteReader(payload);
        var header = ReplyHeader.Read(ref r);
        switch (header.Xid)
        {
            case -2:
                return;
            case -1:
                // Dispatched inline, before any later reply is completed: that is ZooKeeper's ordering promise.
                _client.DispatchNotification(WatcherEvent.Read(ref r));
                return;
            case -4:
                if (_authPending.TryDequeue(out var auth))
                {
                    auth.Complete(_client, header, ref r);
                    if (header.Err == ErrorCode.AuthFailed) _client.OnAuthFailed(auth);
                }
                return;
        }
        if (!_pending.TryDequeue(out var p)) throw new ProtocolViolationException($"reply xid {header.Xid} with no request outstanding");
        if (p.Xid != header.Xid)
        {
            p.Fail(ErrorCode.ConnectionLoss);
            throw new ProtocolViolationException($"xid out of order: expected {p.Xid}, got {header.Xid}");
        }
        _client.ObserveZxid(header.Zxid);
        p.Complete(_client, header, ref r);
    }

    /// <summary>Reads more bytes, compacting or growing the buffer so the next frame fits. False on EOF.</summary>
    private async ValueTask<bool> ReceiveAsync(CancellationToken ct)
    {
        if (_inStart == _inEnd)
        {
            _inStart = _inEnd = 0;
        }
        int needed = 4;
        if (_inEnd - _inStart >= 4)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(_in.AsSpan(_inStart));
            if (len >= 0 && len <= _maxFrameLength) needed = 4 + len;
        }
        if (_in.Length - _inStart < needed || _inEnd == _in.Length)
        {
            int live = _inEnd - _inStart;
            var target = needed > _in.Length ? ArrayPool<byte>.Shared.Rent(needed) : _in;
            Buffer.BlockCopy(_in, _inStart, target, 0, live);
            if (!ReferenceEquals(target, _in))
            {
                ArrayPool<byte>.Shared.Return(_in);
                _in = target;
            }
            _inStart = 0;
            _inEnd = live;
        }
        int n = await _socket.ReceiveAsync(_in.AsMemory(_inEnd), SocketFlags.None, ct).ConfigureAwait(false);
        if (n == 0) return false;
        _inEnd += n;
        Volatile.Write(ref _lastRecvMs, Environment.TickCount64);
        return true;
    }

    private async Task WriteLoopAsync(System.Threading.Channels.ChannelReader<PendingRequest> outgoing, CancellationToken ct)
    {
        try
        {
            while (await outgoing.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                // Coalesce everything queued so far into one send.
                while (_out.Length < MaxBatchBytes && outgoing.TryRead(out var p)) Encode(p);
                if (_out.Length > 0) await SendBufferAsync(ct).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Abort(e);
        }
    }

    /// <summary>Encodes one request frame and records it as outstanding; a body that fails to encode fails only that request.</summary>
    private void Encode(PendingRequest p)
    {
        int xid = p.Kind switch
        {
            RequestKind.Ping => -2,
            RequestKind.Auth => -4,
            RequestKind.SetWatches => -8,
            _ => _client.NextXid(),
        };
        p.Xid = xid;
        int mark = _out.Length;
        try
        {
            var w = new JuteWriter(_out);
            int start = FrameWriter.Begin(w);
            new RequestHeader(xid, p.Op).Write(w);
            p.WriteBody(w);
            FrameWriter.End(w, start);
        }
        catch (Exception e)
        {
            _out.Truncate(mark);
            p.Fail(e);
            return;
        }
        // Recorded before the bytes leave, so a fast reply always finds its request.
        if (p.Kind == RequestKind.Auth) _authPending.Enqueue(p);
        else if (p.Kind != RequestKind.Ping) _pending.Enqueue(p);
    }

    private async ValueTask SendBufferAsync(CancellationToken ct)
    {
        var data = _out.WrittenMemory;
        int sent = 0;
        while (sent < data.Length)
        {
            sent += await _socket.SendAsync(data[sent..], SocketFlags.None, ct).ConfigureAwait(false);
        }
        _out.Clear();
        Volatile.Write(ref _lastSendMs, Environment.TickCount64);
    }

    /// <summary>Pings when idle for a third of the timeout (at most 10 s, like Java); drops the connection after 2/3 of it in silence.</summary>
    private async Task PingLoopAsync(int timeoutMs, CancellationToken ct)
    {
        int readTimeout = Math.Max(1, timeoutMs * 2 / 3);
        int pingInterval = Math.Max(1, Math.Min(readTimeout / 2, 10_000));
        try
        {
            while (!ct.IsCancellationRequested)
            {
                long now = Environment.TickCount64;
                long idleRecv = now - Volatile.Read(ref _lastRecvMs);
                long idleSend = now - Volatile.Read(ref _lastSendMs);
                if (idleRecv >= readTimeout)
                {
                    Abort(new TimeoutException($"no reply for {idleRecv} ms"));
                    return;
                }
                if (idleSend >= pingInterval)
                {
                    _client.EnqueuePing();
                    // Counts as a send for scheduling; the writer updates it again when the ping leaves.
                    Volatile.Write(ref _lastSendMs, now);
                    idleSend = 0;
                }
                long wait = Math.Min(pingInterval - idleSend, readTimeout - idleRecv);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(10, wait)), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception e)
        {
            Abort(e);
        }
    }
}
