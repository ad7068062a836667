using System.Net;
using System.Net.Sockets;

namespace HotZk.Replication.Transport;

/// <summary>
/// <see cref="IPeerTransport"/> over TCP. One link per pair of servers: the lower id dials the higher
/// (retrying while no link is up), the higher only accepts. Each connection starts with a handshake
/// (<see cref="PacketFraming"/>) that the acceptor checks and echoes; a new accepted connection from a
/// peer replaces its old link. Listener callbacks are serialised by one lock.
/// </summary>
public sealed class TcpPeerTransport : IPeerTransport
{
    private readonly PeerAddress _me;
    private readonly PeerAddress[] _peers;
    private readonly Dictionary<long, int> _slotOf;
    private readonly TcpPeerTransportOptions _options;
    private readonly Action<string>? _log;

    // Per peer slot: the link reported up (read without a lock by Send), and the newest link, up or
    // still waiting for the one it replaces to go down (guarded by _stateLock).
    private readonly TcpPeerLink?[] _upLinks;
    private readonly TcpPeerLink?[] _latestLinks;
    private readonly Lock _stateLock = new();

    // Held around every listener call so callbacks never overlap.
    private readonly Lock _listenerGate = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _loops = [];
    private Socket? _listenSocket;
    private int _localPort;
    private bool _started;
    private bool _disposed;

    /// <summary>Creates a transport; nothing happens until <see cref="Start"/>.</summary>
    /// <param name="me">This server: its id, and the address it listens on.</param>
    /// <param name="peers">Every other member (an entry for <paramref name="me"/> is ignored).</param>
    /// <param name="log">Receives one line per event worth logging (links up and down with reasons, rejected handshakes).</param>
    /// <param name="options">Tuning; defaults when null.</param>
    public TcpPeerTransport(PeerAddress me, IReadOnlyList<PeerAddress> peers, Action<string>? log = null, TcpPeerTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(me);
        ArgumentNullException.ThrowIfNull(peers);
        _me = me;
        _log = log;
        _options = options ?? new TcpPeerTransportOptions();
        var list = new List<PeerAddress>(peers.Count);
        _slotOf = new Dictionary<long, int>(peers.Count);
        for (var i = 0; i < peers.Count; i++)
        {
            PeerAddress peer = peers[i];
            if (peer.Id == me.Id)
                continue;
            if (!_slotOf.TryAdd(peer.Id, list.Count))
                throw new ArgumentException($"Peer id {peer.Id} is listed twice.", nameof(peers));
            list.Add(peer);
        }
        _peers = [.. list];
        _upLinks = new TcpPeerLink?[_peers.Length];
        _latestLinks = new TcpPeerLink?[_peers.Length];
        _localPort = me.Port;
    }

    /// <inheritdoc/>
    public long MyId => _me.Id;

    /// <inheritdoc/>
    public IPeerTransportListener? Listener { get; set; }

    /// <summary>The port this server listens on; the real one after <see cref="Start"/> (useful when the configured port is 0).</summary>
    public int LocalPort => Volatile.Read(ref _localPort);

    /// <inheritdoc/>
    public void Start()
    {
        lock (_stateLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
                throw new InvalidOperationException("The transport is already started.");
            _started = true;
        }
        IPAddress address = Resolve(_me.Host);
        var listen = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // A restarted server must get its port back while old connections sit in TIME_WAIT.
            listen.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listen.Bind(new IPEndPoint(address, _me.Port));
            listen.Listen(64);
        }
        catch
        {
            listen.Dispose();
            throw;
        }
        _listenSocket = listen;
        Volatile.Write(ref _localPort, ((IPEndPoint)listen.LocalEndPoint!).Port);
        lock (_stateLock)
        {
            _loops.Add(Task.Run(() => AcceptLoopAsync(listen)));
            for (var slot = 0; slot < _peers.Length; slot++)
            {
                if (_peers[slot].Id > MyId)
                {
                    int s = slot;
                    _loops.Add(Task.Run(() => DialLoopAsync(s)));
                }
            }
        }
    }

    /// <inheritdoc/>
    public void Send(long to, QuorumPacket packet)
    {
        // The receiver would reject the frame and break the link each time it is resent: fail loudly here.
        if (packet.Data.Length > _options.MaxPacketSize - PacketFraming.MinFrameLength)
            throw new ArgumentException($"Packet data of {packet.Data.Length} bytes exceeds MaxPacketSize {_options.MaxPacketSize}.", nameof(packet));
        if (_slotOf.TryGetValue(to, out int slot))
            Volatile.Read(ref _upLinks[slot])?.Enqueue(packet);
    }

    /// <inheritdoc/>
    public bool IsConnected(long to) =>
        _slotOf.TryGetValue(to, out int slot) && Volatile.Read(ref _upLinks[slot]) is { IsClosed: false };

    /// <inheritdoc/>
    public void Disconnect(long to)
    {
        if (!_slotOf.TryGetValue(to, out int slot))
            return;
        TcpPeerLink? link;
        lock (_stateLock)
            link = _latestLinks[slot];
        link?.Close("disconnected on request");
    }

    /// <summary>Stops listening and dialing, closes every link (each reported down) and waits up to about a second for that.</summary>
    public void Dispose()
    {
        var links = new List<TcpPeerLink>();
        var waitFor = new List<Task>();
        lock (_stateLock)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (TcpPeerLink? link in _latestLinks)
            {
                if (link is not null)
                {
                    links.Add(link);
                    waitFor.Add(link.Finished);
                }
            }
            waitFor.AddRange(_loops);
        }
        _stop.Cancel();
        _listenSocket?.Dispose();
        foreach (TcpPeerLink link in links)
            link.Close("transport stopped");
        // From inside a listener callback the down reports cannot run until it returns: do not wait.
        if (_listenerGate.IsHeldByCurrentThread)
            return;
        try
        {
            Task.WhenAll(waitFor).Wait(TimeSpan.FromSeconds(1));
        }
        catch (AggregateException e)
        {
            Log($"stopping: {e.InnerException?.Message}"); // a failed loop must not make Dispose throw
        }
    }

    /// <summary>Makes <paramref name="link"/> the peer's current link and tells the listener; false when it was closed meanwhile.</summary>
    internal bool ReportUp(TcpPeerLink link)
    {
        int slot = _slotOf[link.Peer];
        lock (_listenerGate)
        {
            lock (_stateLock)
            {
                if (_disposed || link.IsClosed || _latestLinks[slot] != link)
                    return false;
                Volatile.Write(ref _upLinks[slot], link);
            }
            Log($"link to {link.Peer} up ({link.Origin})");
            try
            {
                Listener?.OnLinkUp(link.Peer);
            }
            catch (Exception e)
            {
                Log($"listener failed on link up from {link.Peer}: {e}");
                link.Close("listener failed");
            }
            return true;
        }
    }

    /// <summary>Hands a packet to the listener; false when the link is closed (or the listener failed and closed it).</summary>
    internal bool Deliver(TcpPeerLink link, in QuorumPacket packet)
    {
        lock (_listenerGate)
        {
            if (link.IsClosed)
                return false;
            try
            {
                Listener?.OnPacket(link.Peer, packet);
                return true;
            }
            catch (Exception e)
            {
                Log($"listener failed on {packet} from {link.Peer}: {e}");
                link.Close("listener failed");
                return false;
            }
        }
    }

    /// <summary>Tells the listener a link that was reported up is gone; its reader delivers nothing after this.</summary>
    internal void ReportDown(TcpPeerLink link)
    {
        int slot = _slotOf[link.Peer];
        lock (_listenerGate)
        {
            lock (_stateLock)
            {
                if (_upLinks[slot] == link)
                    Volatile.Write(ref _upLinks[slot], null);
            }
            Log($"link to {link.Peer} down: {link.CloseReason}");
            try
            {
                Listener?.OnLinkDown(link.Peer);
            }
            catch (Exception e)
            {
                Log($"listener failed on link down from {link.Peer}: {e}");
            }
        }
    }

    /// <summary>Drops a finished link from the bookkeeping unless a newer one took its place.</summary>
    internal void Forget(TcpPeerLink link)
    {
        int slot = _slotOf[link.Peer];
        lock (_stateLock)
        {
            if (_latestLinks[slot] == link)
                _latestLinks[slot] = null;
        }
    }

    /// <summary>Wraps a handshaken socket in a link that replaces the peer's previous one; null when stopped.</summary>
    private TcpPeerLink? Attach(Socket socket, int slot, string origin)
    {
        var link = new TcpPeerLink(this, socket, _peers[slot].Id, origin, _options);
        TcpPeerLink? previous;
        lock (_stateLock)
        {
            if (_disposed)
            {
                socket.Dispose();
                return null;
            }
            previous = _latestLinks[slot];
            _latestLinks[slot] = link;
        }
        // The dialer may have noticed a broken link before we did: the old one goes down before the new one comes up.
        previous?.Close("replaced by a new connection from the peer");
        link.Start(previous?.Finished);
        return link;
    }

    private async Task AcceptLoopAsync(Socket listen)
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await listen.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                Log($"accept failed: {TcpPeerLink.Describe(e)}");
                await Task.Delay(_options.ReconnectDelay).ConfigureAwait(false); // e.g. out of descriptors: do not spin
                continue;
            }
            _ = HandshakeAcceptedAsync(accepted);
        }
    }

    private async Task HandshakeAcceptedAsync(Socket socket)
    {
        string remote = socket.RemoteEndPoint?.ToString() ?? "unknown";
        try
        {
            socket.NoDelay = true;
            var hello = new byte[PacketFraming.HandshakeSize];
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_options.ConnectTimeout);
            if (!await ReceiveExactlyAsync(socket, hello, timeout.Token).ConfigureAwait(false))
            {
                Reject(socket, remote, "closed before completing the handshake");
                return;
            }
            PacketFraming.ReadHandshake(hello, out long magic, out long sender, out long receiver);
            var slot = 0;
            string? problem =
                magic != PacketFraming.HandshakeMagic ? $"wrong magic 0x{magic:x16}"
                : !_slotOf.TryGetValue(sender, out slot) && sender != MyId ? $"unknown sender id {sender}"
                : sender >= MyId ? $"sender id {sender} is not lower than mine ({MyId}): it should not dial"
                : receiver != MyId ? $"receiver id {receiver} is not mine ({MyId})"
                : null;
            if (problem is not null)
            {
                Reject(socket, remote, problem);
                return;
            }
            PacketFraming.WriteHandshake(hello, MyId, sender);
            await SendAllAsync(socket, hello, timeout.Token).ConfigureAwait(false);
            Attach(socket, slot, $"accepted from {remote}");
        }
        catch (Exception e)
        {
            Reject(socket, remote, e is OperationCanceledException ? "handshake timed out or transport stopped" : TcpPeerLink.Describe(e));
        }
    }

    private void Reject(Socket socket, string remote, string reason)
    {
        socket.Dispose();
        if (!_stop.IsCancellationRequested)
            Log($"rejected connection from {remote}: {reason}");
    }

    private async Task DialLoopAsync(int slot)
    {
        PeerAddress peer = _peers[slot];
        CancellationToken stop = _stop.Token;
        string? lastFailure = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                Socket socket = await DialAsync(peer, stop).ConfigureAwait(false);
                lastFailure = null;
                TcpPeerLink? link = Attach(socket, slot, $"dialed {peer.Host}:{peer.Port}");
                if (link is null)
                    return;
                await link.Finished.WaitAsync(stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Log a failure once per streak, not every retry.
                string failure = TcpPeerLink.Describe(e);
                if (failure != lastFailure)
                    Log($"cannot link to {peer.Id} at {peer.Host}:{peer.Port}: {failure}; retrying");
                lastFailure = failure;
            }
            try
            {
                await Task.Delay(_options.ReconnectDelay, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Connects to <paramref name="peer"/> and completes the handshake, within the connect timeout.</summary>
    private async Task<Socket> DialAsync(PeerAddress peer, CancellationToken stop)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
            timeout.CancelAfter(_options.ConnectTimeout);
            try
            {
                await socket.ConnectAsync(peer.Host, peer.Port, timeout.Token).ConfigureAwait(false);
                var hello = new byte[PacketFraming.HandshakeSize];
                PacketFraming.WriteHandshake(hello, MyId, peer.Id);
                await SendAllAsync(socket, hello, timeout.Token).ConfigureAwait(false);
                if (!await ReceiveExactlyAsync(socket, hello, timeout.Token).ConfigureAwait(false))
                    throw new IOException("closed during the handshake");
                PacketFraming.ReadHandshake(hello, out long magic, out long sender, out long receiver);
                if (magic != PacketFraming.HandshakeMagic || sender != peer.Id || receiver != MyId)
                    throw new InvalidDataException($"bad handshake reply (magic 0x{magic:x16}, sender {sender}, receiver {receiver})");
            }
            catch (OperationCanceledException) when (!stop.IsCancellationRequested)
            {
                throw new TimeoutException("connect or handshake timed out");
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Fills <paramref name="buffer"/>; false when the connection closed first.</summary>
    private static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> buffer, CancellationToken cancel)
    {
        while (!buffer.IsEmpty)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel).ConfigureAwait(false);
            if (n == 0)
                return false;
            buffer = buffer[n..];
        }
        return true;
    }

    private static async ValueTask SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, CancellationToken cancel)
    {
        while (!data.IsEmpty)
        {
            int n = await socket.SendAsync(data, SocketFlags.None, cancel).ConfigureAwait(false);
            data = data[n..];
        }
    }

    private static IPAddress Resolve(string host)
    {
        if (IPAddress.TryParse(host, out IPAddress? address))
            return address;
        IPAddress[] all = Dns.GetHostAddresses(host);
        foreach (IPAddress candidate in all)
        {
            if (candidate.AddressFamily == AddressFamily.InterNetwork)
                return candidate;
        }
        return all.Length > 0 ? all[0] : throw new ArgumentException($"Host '{host}' has no address.");
    }

    private void Log(string message)
    {
        try
        {
            _log?.Invoke(message);
        }
        catch (Exception)
        {
            // A failing logger must not take the transport down.
        }
    }
}
