using System.Buffers;
using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;

namespace HotZk.Replication.Transport;

/// <summary>
/// One established TCP connection to a peer (handshake done): a reader task that decodes frames and
/// hands them to the owning transport, and a writer task that drains the outgoing queue, coalescing
/// small packets into one socket send. Lives until closed; never reopened.
/// </summary>
internal sealed class TcpPeerLink
{
    /// <summary>Size of the pooled buffers used for coalescing sends and for receiving.</summary>
    private const int BufferSize = 64 * 1024;

    private readonly TcpPeerTransport _owner;
    private readonly Socket _socket;
    private readonly int _maxPacketSize;
    private readonly long _maxQueuedBytes;
    private readonly Channel<QuorumPacket> _outgoing =
        Channel.CreateUnbounded<QuorumPacket>(new UnboundedChannelOptions { SingleReader = true });
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
        _outgoing.Writer.TryWrite(packet); // fails only when closed: the packet is dropped with the link
    }

    /// <summary>Closes the connection (idempotent); the reader task then reports the link down.</summary>
    public void Close(string reason)
    {
        if (Interlocked.CompareExchange(ref _closeReason, reason, null) is not null)
            return;
        _outgoing.Writer.TryComplete();
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
        ChannelReader<QuorumPacket> reader = _outgoing.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false) && !IsClosed)
            {
                var used = 0;
                while (reader.TryRead(out QuorumPacket packet))
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

    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            int n = await _socket.SendAsync(data, SocketFlags.None).ConfigureAwait(false);
            data = data[n..];
        }
    }
}
