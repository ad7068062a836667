using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;

namespace HotZk.Replication.Transport;

/// <summary>
/// One established TCP connection to a peer (handshake done): a reader task that decodes frames and
/// hands them to the owning transport, and a send side that puts queued packets on the wire, many
/// small ones per socket send. Lives until closed; never reopened.
/// </summary>
/// <remarks>
/// Sending: <see cref="Flush"/> writes the queued packets from the calling thread with a non-blocking
/// send (a ZAB packet is usually a few hundred bytes and the socket buffer takes it at once), so an
/// ack or commit does not wait for a writer task to be scheduled. Whatever the socket does not take,
/// and payloads too large for one buffer, go to the writer task, which then owns the send side until
/// the queue is empty again; packets never overtake each other.
/// </remarks>
internal sealed class TcpPeerLink
{
    /// <summary>Size of the pooled buffers used for coalescing sends and for receiving.</summary>
    private const int BufferSize = 64 * 1024;

    private readonly TcpPeerTransport _owner;
    private readonly Socket _socket;
    private readonly int _maxPacketSize;
    private readonly long _maxQueuedBytes;
    // Send side, all under _sendLock: packets not yet framed, bytes framed but not yet accepted by the
    // socket (_carry, writer-owned), and whether the writer task owns the socket's send side.
    private readonly object _sendLock = new();
    private Queue<QuorumPacket> _pending = new();
    private Queue<QuorumPacket> _writerBatch = new();
    private readonly SemaphoreSlim _writerWake = new(0);
    private readonly byte[] _flushBuffer = new byte[BufferSize];
    private byte[] _carry = [];
    private int _carryLength;
    private bool _writerOwns;
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _queuedBytes;
    private string? _closeReason;

    // Receive state; touched only by the reader task.
    private byte[] _readBuffer = [];
    private int _readStart;
    private int _readEnd;

    public TcpPeerLink(TcpPeerTransport owner, Socket socket, long peer, string origin, TcpPeerTransportOptions options)
    {
        _owner = owner;
        _socket = socket;
        Peer = peer;
        Origin = origin;
        _maxPacketSize = options.MaxPacketSize;
        _maxQueuedBytes = options.MaxQueuedBytes;
    }

    /// <summary>The peer's id.</summary>
    public long Peer { get; }

    /// <summary>How the connection was made, for logs.</summary>
    public string Origin { get; }

    /// <summary>True once <see cref="Close"/> ran.</summary>
    public bool IsClosed => Volatile.Read(ref _closeReason) is not null;

    /// <summary>Why the link closed (first reason given).</summary>
    public string CloseReason => Volatile.Read(ref _closeReason) ?? "open";

    /// <summary>Completes when the link is closed and, if it was reported up, reported down. Never faults.</summary>
    public Task Finished => _finished.Task;

    /// <summary>Starts the link's tasks; it reports up only after <paramref name="predecessor"/> (the link it replaces) finished.</summary>
    public void Start(Task? predecessor) => _ = Task.Run(() => RunAsync(predecessor));

    /// <summary>Queues a packet for the writer task; breaks the link when too much is already queued.</summary>
    public void Enqueue(in QuorumPacket packet)
    {
        long size = PacketFraming.HeaderSize + packet.Data.Length;
        if (Interlocked.Add(ref _queuedBytes, size) > _maxQueuedBytes)
        {
            Close($"outgoing queue over {_maxQueuedBytes} bytes");
            return;
        }
        lock (_sendLock)
        {
            if (IsClosed) return; // dropped with the link
            _pending.Enqueue(packet);
        }
        if (!SendBatch.Defer(this)) Flush();
    }

    /// <summary>
    /// Puts the queued packets on the wire from this thread when the socket takes them at once; the
    /// rest (or everything, while the writer task owns the send side) is left to the writer task.
    /// </summary>
    public void Flush()
    {
        lock (_sendLock)
        {
            if (_writerOwns || _pending.Count == 0 || IsClosed) return;
            int used = 0;
            while (_pending.TryPeek(out var packet) && PacketFraming.HeaderSize + packet.Data.Length <= _flushBuffer.Length - used)
            {
                _pending.Dequeue();
                Interlocked.Add(ref _queuedBytes, -(PacketFraming.HeaderSize + packet.Data.Length));
                PacketFraming.WriteHeader(_flushBuffer.AsSpan(used), packet);
                used += PacketFraming.HeaderSize;
                packet.Data.Span.CopyTo(_flushBuffer.AsSpan(used));
                used += packet.Data.Length;
            }
            int sent = used == 0 ? 0 : TrySendNow(_flushBuffer.AsSpan(0, used));
            if (sent < 0) return; // the link closed
            if (sent < used)
            {
                if (_carry.Length < used - sent) _carry = new byte[Math.Max(BufferSize, used - sent)];
                _flushBuffer.AsSpan(sent, used - sent).CopyTo(_carry);
                _carryLength = used - sent;
            }
            if (_carryLength > 0 || _pending.Count > 0)
            {
                _writerOwns = true;
                _writerWake.Release();
            }
        }
    }

    /// <summary>One non-blocking send: bytes the socket took (0 when its buffer is full), or -1 when the link broke.</summary>
    private int TrySendNow(ReadOnlySpan<byte> data)
    {
        try
        {
            int n = _socket.Send(data, SocketFlags.None, out SocketError error);
            if (error is SocketError.Success or SocketError.WouldBlock) return n;
            Close($"send failed: socket error {error}");
            return -1;
        }
        catch (ObjectDisposedException)
        {
            return -1;
        }
    }

    /// <summary>Closes the connection (idempotent); the reader task then reports the link down.</summary>
    public void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
            return;
        _writerWake.Release(); // the writer task sees the link closed and ends
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer; disposing is all that is left.
        }
        catch (ObjectDisposedException)
        {
        }
        _socket.Dispose();
    }

    /// <summary>A short description of a failure for logs.</summary>
    public static string Describe(Exception e) => e switch
    {
        SocketException se => $"socket error {se.SocketErrorCode}",
        ObjectDisposedException => "socket closed",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private async Task RunAsync(Task? predecessor)
    {
        var up = false;
        try
        {
            if (predecessor is not null)
                await predecessor.ConfigureAwait(false);
            // The handshake is done: from here on a send that would block returns at once (before the
            // link is published: packets may be sent on it as soon as it is reported up).
            _socket.Blocking = false;
            up = _owner.ReportUp(this);
            if (up)
            {
                _ = WriteLoopAsync();
                await ReadLoopAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Close($"receive failed: {Describe(e)}");
        }
        finally
        {
            Close("link ended");
            if (up)
                _owner.ReportDown(this);
            _owner.Forget(this);
            _finished.TrySetResult();
        }
    }

    private async Task ReadLoopAsync()
    {
        _readBuffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                if (!await FillAsync(PacketFraming.LengthSize).ConfigureAwait(false))
                    return;
                int length = BinaryPrimitives.ReadInt32BigEndian(_readBuffer.AsSpan(_readStart));
                // Checked before anything is allocated or awaited: a bogus length must not cost memory.
                string? problem = PacketFraming.CheckLength(length, _maxPacketSize);
                if (problem is not null)
                {
                    Close(problem);
                    return;
                }
                if (!await FillAsync(PacketFraming.HeaderSize).ConfigureAwait(false))
                    return;
                var type = (PacketType)_readBuffer[_readStart + PacketFraming.LengthSize];
                long zxid = BinaryPrimitives.ReadInt64BigEndian(_readBuffer.AsSpan(_readStart + PacketFraming.LengthSize + 1));
                _readStart += PacketFraming.HeaderSize;

                int dataLength = length - PacketFraming.MinFrameLength;
                ReadOnlyMemory<byte> data = ReadOnlyMemory<byte>.Empty;
                if (dataLength > 0)
                {
                    // A fresh array per packet: the listener may keep it.
                    byte[] payload = GC.AllocateUninitializedArray<byte>(dataLength);
                    int got = Math.Min(dataLength, _readEnd - _readStart);
                    _readBuffer.AsSpan(_readStart, got).CopyTo(payload);
                    _readStart += got;
                    while (got < dataLength)
                    {
                        // The rest of a large payload goes straight into its array.
                        int n = await _socket.ReceiveAsync(payload.AsMemory(got), SocketFlags.None).ConfigureAwait(false);
                        if (n == 0)
                        {
                            Close("peer closed the connection mid-frame");
                            return;
                        }
                        got += n;
                    }
                    data = payload;
                }
                if (_readStart == _readEnd)
                    _readStart = _readEnd = 0;
                if (!_owner.Deliver(this, new QuorumPacket(type, zxid, data)))
                    return;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(_readBuffer);
            _readBuffer = [];
        }
    }

    /// <summary>Receives until at least <paramref name="count"/> bytes are buffered; false (link closed) at end of stream.</summary>
    private async ValueTask<bool> FillAsync(int count)
    {
        while (_readEnd - _readStart < count)
        {
            if (_readBuffer.Length - _readStart < count)
            {
                _readBuffer.AsSpan(_readStart, _readEnd - _readStart).CopyTo(_readBuffer);
                _readEnd -= _readStart;
                _readStart = 0;
            }
            int n = await _socket.ReceiveAsync(_readBuffer.AsMemory(_readEnd), SocketFlags.None).ConfigureAwait(false);
            if (n == 0)
            {
                Close(_readEnd == _readStart ? "peer closed the connection" : "peer closed the connection mid-frame");
                return false;
            }
            _readEnd += n;
        }
        return true;
    }

    private async Task WriteLoopAsync()
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                await _writerWake.WaitAsync().ConfigureAwait(false);
                if (IsClosed) return;
                // Owned by this task until the queue is empty: inline flushes only add to the queue meanwhile.
                while (true)
                {
                    int carry;
                    Queue<QuorumPacket> batch;
                    lock (_sendLock)
                    {
                        if (!_writerOwns) break; // a spare wake-up
                        carry = _carryLength;
                        _carryLength = 0;
                        batch = _pending;
                        _pending = _writerBatch;
                        _writerBatch = batch;
                        if (carry == 0 && batch.Count == 0)
                        {
                            _writerOwns = false;
                            break;
                        }
                    }
                    if (carry > 0) await SendAllAsync(_carry.AsMemory(0, carry)).ConfigureAwait(false);
                    await SendQueuedAsync(batch, buffer).ConfigureAwait(false);
                    if (IsClosed) return;
                }
            }
        }
        catch (Exception e)
        {
            Close($"send failed: {Describe(e)}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sends (and empties) <paramref name="batch"/>: small packets coalesced in <paramref name="buffer"/>, large payloads from their own arrays.</summary>
    private async Task SendQueuedAsync(Queue<QuorumPacket> batch, byte[] buffer)
    {
        var used = 0;
        while (batch.TryDequeue(out QuorumPacket packet))
        {
            int dataLength = packet.Data.Length;
            Interlocked.Add(ref _queuedBytes, -(PacketFraming.HeaderSize + dataLength));
            if (used > 0 && used + PacketFraming.HeaderSize + dataLength > buffer.Length)
            {
                await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
            }
            PacketFraming.WriteHeader(buffer.AsSpan(used), packet);
            used += PacketFraming.HeaderSize;
            int inline = Math.Min(dataLength, buffer.Length - used);
            packet.Data.Span[..inline].CopyTo(buffer.AsSpan(used));
            used += inline;
            if (inline < dataLength)
            {
                // Large payload: the rest goes out straight from the packet's own array.
                await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
                used = 0;
                await SendAllAsync(packet.Data[inline..]).ConfigureAwait(false);
            }
        }
        if (used > 0)
            await SendAllAsync(buffer.AsMemory(0, used)).ConfigureAwait(false);
    }

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = await _socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[n..];
        }
    }
}
