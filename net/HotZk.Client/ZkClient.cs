using System.Net.Sockets;
using System.Threading.Channels;
using HotZk.Common;
using HotZk.Protocol;
using HotZk.Protocol.Records;

namespace HotZk.Client;

/// <summary>
/// An asynchronous ZooKeeper client: one TCP connection with pipelined requests, automatic
/// reconnect with session re-attach and watch re-registration.
/// </summary>
/// <remarks>
/// All members are thread-safe. Watchers and <see cref="StateChanged"/> handlers run on the
/// connection's read loop, in server order and before any later reply completes; they must be quick
/// and must not block on a reply (awaiting one is fine). Watches are one-shot except those added with
/// <see cref="AddWatchAsync"/>. Requests are never retried: on connection loss every outstanding
/// request fails with <see cref="ErrorCode.ConnectionLoss"/>; requests issued while reconnecting wait
/// for the next connection. After <see cref="CloseAsync"/> or expiry every call fails with
/// <see cref="ErrorCode.SessionExpired"/>.
/// </remarks>
public sealed partial class ZkClient : IAsyncDisposable
{
    private readonly ConnectString _connectString;
    private readonly ZkClientOptions _options;
    private readonly int _requestedTimeoutMs;
    private readonly Channel<PendingRequest> _outgoing = Channel.CreateUnbounded<PendingRequest>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    private readonly CancellationTokenSource _lifetime = new();
    private readonly object _stateLock = new();
    private readonly List<AuthPacket> _authInfo = [];
    private readonly string? _chroot;
    private ZkConnection? _connection;
    private Task _supervisor = Task.CompletedTask;
    private Task? _closeTask;
    private int _hostIndex;
    private int _nextXid = 1;
    private long _sessionId;
    private byte[] _password;
    private int _negotiatedTimeoutMs;
    private long _lastZxidSeen;
    private volatile ZkState _state = ZkState.Connecting;
    private volatile bool _closing;

    private ZkClient(ConnectString cs, TimeSpan sessionTimeout, long sessionId, byte[]? password, ZkClientOptions options)
    {
        _connectString = cs;
        _chroot = cs.Chroot;
        _options = options;
        _requestedTimeoutMs = (int)sessionTimeout.TotalMilliseconds;
        _sessionId = sessionId;
        // Java sends 16 zero bytes for a new session.
        _password = password ?? new byte[16];
    }

    /// <summary>Connects, creating a new session.</summary>
    /// <param name="connectString"><c>host:port[,host:port...][/chroot]</c>.</param>
    /// <param name="sessionTimeout">Requested session timeout; the server clamps it.</param>
    /// <param name="options">Optional settings, e.g. the default watcher.</param>
    /// <param name="cancellationToken">Cancels the connection attempts.</param>
    /// <exception cref="ZkException">ConnectionLoss when no server accepted the session in time.</exception>
    public static Task<ZkClient> ConnectAsync(string connectString, TimeSpan sessionTimeout, ZkClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectCoreAsync(connectString, sessionTimeout, 0, null, options, cancellationToken);

    /// <summary>Connects, re-attaching an existing session (e.g. one created by another client instance).</summary>
    /// <exception cref="ZkException">SessionExpired when the session is gone or the password is wrong; ConnectionLoss when no server answered.</exception>
    public static Task<ZkClient> ConnectAsync(string connectString, TimeSpan sessionTimeout, long sessionId, byte[] sessionPassword, ZkClientOptions? options = null, CancellationToken cancellationToken = default) =>
        ConnectCoreAsync(connectString, sessionTimeout, sessionId, sessionPassword, options, cancellationToken);

    /// <summary>The session id (0 before the first connection).</summary>
    public long SessionId => Interlocked.Read(ref _sessionId);

    /// <summary>A copy of the session password.</summary>
    public byte[] SessionPassword
    {
        get
        {
            lock (_stateLock) return (byte[])_password.Clone();
        }
    }

    /// <summary>Session timeout granted by the server, in ms.</summary>
    public int NegotiatedTimeoutMs => Volatile.Read(ref _negotiatedTimeoutMs);

    /// <summary>Highest zxid seen in a reply; sent on reconnect so a lagging server refuses us.</summary>
    public long LastZxidSeen => Interlocked.Read(ref _lastZxidSeen);

    /// <summary>Current connection state.</summary>
    public ZkState State => _state;

    /// <summary>The chroot prefix from the connect string, or null.</summary>
    public string? Chroot => _chroot;

    /// <summary>Raised on every state transition (on the thread causing it; keep handlers short).</summary>
    public event Action<ZkState>? StateChanged;

    private static async Task<ZkClient> ConnectCoreAsync(string connectString, TimeSpan sessionTimeout, long sessionId, byte[]? password, ZkClientOptions? options, CancellationToken ct)
    {
        var client = new ZkClient(ConnectString.Parse(connectString), sessionTimeout, sessionId, password, options ?? new ZkClientOptions());
        var deadline = client._options.ConnectTimeout ?? TimeSpan.FromMilliseconds(Math.Max(sessionTimeout.TotalMilliseconds, 10_000));
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, client._lifetime.Token);
        cts.CancelAfter(deadline);
        Exception? last = null;
        int attempts = 0;
        while (!cts.IsCancellationRequested)
        {
            try
            {
                client._connection = await client.ConnectNextAsync(cts.Token).ConfigureAwait(false);
                break;
            }
            catch (SessionExpiredSignal)
            {
                client.Shutdown(ZkState.Expired);
                throw new ZkException(ErrorCode.SessionExpired, null, "the server rejected the session");
            }
            catch (Exception e) when (!cts.IsCancellationRequested)
            {
                last = e;
                if (++attempts % client._connectString.Hosts.Count == 0)
                {
                    try { await Task.Delay(Math.Min(1000, 50 * attempts), cts.Token).ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
                }
            }
            catch (Exception e)
            {
                last = e;
            }
        }
        if (client._connection is null)
        {
            client.Shutdown(ZkState.Closed);
            ct.ThrowIfCancellationRequested();
            throw new ZkException(ErrorCode.ConnectionLoss, null, "could not connect to " + connectString + (last is null ? "" : ": " + last.Message));
        }
        client.SetState(ZkState.Connected);
        client._supervisor = Task.Run(client.SuperviseAsync);
        return client;
    }

    /// <summary>Thrown internally when a ConnectResponse says the session is gone.</summary>
    private sealed class SessionExpiredSignal : Exception;

    /// <summary>One attempt against the next host in the list: TCP connect, handshake, re-auth, re-watch.</summary>
    private async Task<ZkConnection> ConnectNextAsync(CancellationToken ct)
    {
        var hosts = _connectString.Hosts;
        var (host, port) = hosts[_hostIndex++ % hosts.Count];
        int timeoutMs = _negotiatedTimeoutMs > 0 ? _negotiatedTimeoutMs : _requestedTimeoutMs;
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // Like Java: the session timeout is shared among the hosts for one connect attempt.
        attempt.CancelAfter(Math.Max(1000, timeoutMs / hosts.Count));

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var conn = new ZkConnection(this, socket, _options.MaxFrameLength);
        try
        {
            await socket.ConnectAsync(host, port, attempt.Token).ConfigureAwait(false);
            byte[] password;
            lock (_stateLock) password = _password;
            var request = new ConnectRequest(0, LastZxidSeen, _requestedTimeoutMs, SessionId, password, _options.CanBeReadOnly, true);
            var response = await conn.HandshakeAsync(request, attempt.Token).ConfigureAwait(false);
            if (response.TimeOut <= 0) throw new SessionExpiredSignal();
            lock (_stateLock)
            {
                Interlocked.Exchange(ref _sessionId, response.SessionId);
                _password = response.Passwd ?? new byte[16];
                Volatile.Write(ref _negotiatedTimeoutMs, response.TimeOut);
            }
            await conn.PrimeAsync(BuildPrimeRequests(), attempt.Token).ConfigureAwait(false);
            conn.Start(_outgoing.Reader, response.TimeOut);
            return conn;
        }
        catch
        {
            conn.Dispose();
            throw;
        }
    }

    /// <summary>Auth packets first (so re-registered watches are checked with our identity), then setWatches batches.</summary>
    private List<PendingRequest> BuildPrimeRequests()
    {
        var list = new List<PendingRequest>();
        lock (_authInfo)
        {
            foreach (var a in _authInfo) list.Add(NewAuthRequest(a));
        }
        AddSetWatchesRequests(list);
        return list;
    }

    private static Request<AuthPacket, bool> NewAuthRequest(AuthPacket packet) =>
        new(OpCode.Auth, RequestKind.Auth, packet.Scheme, packet, static (ZkClient c, in ReplyHeader h, ref JuteReader r) => true, false);

    /// <summary>Re-attaches after connection loss until it works, the session expires, or the client closes.</summary>
    private async Task SuperviseAsync()
    {
        while (true)
        {
            var conn = _connection!;
            await conn.Completion.ConfigureAwait(false);
            conn.FailOutstanding(_closing ? ErrorCode.SessionExpired : ErrorCode.ConnectionLoss);
            conn.Dispose();
            if (_closing) return;
            SetState(ZkState.Disconnected);

            ZkConnection? next = null;
            int failures = 0;
            while (next is null)
            {
                if (_closing) return;
                try
                {
                    next = await ConnectNextAsync(_lifetime.Token).ConfigureAwait(false);
                }
                catch (SessionExpiredSignal)
                {
                    Shutdown(ZkState.Expired);
                    return;
                }
                catch (Exception) when (!_lifetime.IsCancellationRequested)
                {
                    // Java fails queued requests on every failed attempt rather than letting them wait indefinitely.
                    FailQueued(ErrorCode.ConnectionLoss);
                    if (++failures % _connectString.Hosts.Count == 0)
                    {
                        try { await Task.Delay(Math.Min(1000, 50 * failures), _lifetime.Token).ConfigureAwait(false); }
                        catch (OperationCanceledException) { return; }
                    }
                }
                catch (Exception)
                {
                    return;
                }
            }
            _connection = next;
            if (_closing)
            {
                next.Abort();
                continue;
            }
            SetState(ZkState.Connected);
        }
    }

    /// <summary>Next xid; called only by the single active writer loop. Wraps to 1 like Java.</summary>
    internal int NextXid()
    {
        int x = _nextXid;
        _nextXid = x == int.MaxValue ? 1 : x + 1;
        return x;
    }

    internal void ObserveZxid(long zxid)
    {
        // Only the read loop writes, so a plain compare-then-store is race-free.
        if (zxid > Interlocked.Read(ref _lastZxidSeen)) Interlocked.Exchange(ref _lastZxidSeen, zxid);
    }

    internal void EnqueuePing() => _outgoing.Writer.TryWrite(PingRequest.Instance);

    internal void OnAuthFailed(PendingRequest auth)
    {
        // Forget the rejected credential so the reconnect that follows does not fail again.
        if (auth is Request<AuthPacket, bool> request)
        {
            lock (_authInfo) _authInfo.Remove(request.Body);
        }
        SetState(ZkState.AuthFailed);
    }

    private void FailQueued(ErrorCode code)
    {
        while (_outgoing.Reader.TryRead(out var p)) p.Fail(code);
    }

    /// <summary>Terminal transition: fail everything, refuse new work.</summary>
    private void Shutdown(ZkState final)
    {
        _closing = true;
        _outgoing.Writer.TryComplete();
        FailQueued(ErrorCode.SessionExpired);
        if (final == ZkState.Expired) ClearWatches();
        SetState(final);
    }

    private void SetState(ZkState state)
    {
        lock (_stateLock)
        {
            if (_state == state) return;
            if (_state is ZkState.Expired or ZkState.Closed) return;
            _state = state;
        }
        var keeperState = state switch
        {
            ZkState.Connected => KeeperState.SyncConnected,
            ZkState.Expired => KeeperState.Expired,
            ZkState.AuthFailed => KeeperState.AuthFailed,
            ZkState.Closed => KeeperState.Closed,
            _ => KeeperState.Disconnected,
        };
        SafeInvoke(StateChanged, state);
        if (_options.DefaultWatcher is { } w) SafeInvoke(w, new WatchedEvent(EventType.None, keeperState, null));
    }

    private static void SafeInvoke<T>(Action<T>? handler, T arg)
    {
        if (handler is null) return;
        try
        {
            handler(arg);
        }
        catch (Exception)
        {
            // A faulty handler must not take the connection down with it.
        }
    }

    /// <summary>Aborts the current TCP connection without ending the session; the client reconnects and re-attaches (testing aid).</summary>
    public void DropConnection() => _connection?.Abort(new IOException("connection dropped by the application"));

    /// <summary>Ends the session (closeSession, -11), then the connection. Idempotent.</summary>
    public Task CloseAsync()
    {
        lock (_stateLock) _closeTask ??= CloseCoreAsync(sendCloseSession: true);
        return _closeTask;
    }

    /// <summary>Drops the connection and stops without closing the session, so the server expires it later (testing aid for ephemeral expiry).</summary>
    public Task AbandonAsync()
    {
        lock (_stateLock) _closeTask ??= CloseCoreAsync(sendCloseSession: false);
        return _closeTask;
    }

    private async Task CloseCoreAsync(bool sendCloseSession)
    {
        if (sendCloseSession && _state == ZkState.Connected)
        {
            var close = Submit(OpCode.CloseSession, null, new EmptyBody(), static (ZkClient c, in ReplyHeader h, ref JuteReader r) => true);
            _closing = true;
            try
            {
                await close.WaitAsync(TimeSpan.FromMilliseconds(Math.Clamp(NegotiatedTimeoutMs, 1000, 5000))).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Best effort: the server expires the session anyway.
            }
        }
        _closing = true;
        _lifetime.Cancel();
        _connection?.Abort();
        try { await _supervisor.ConfigureAwait(false); } catch (Exception) { }
        _connection?.FailOutstanding(ErrorCode.ConnectionLoss);
        Shutdown(ZkState.Closed);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CloseAsync().ConfigureAwait(false);
        _lifetime.Dispose();
    }

    /// <summary>Queues a request; the task completes with the parsed reply or a <see cref="ZkException"/>.</summary>
    internal Task<TResult> Submit<TBody, TResult>(OpCode op, string? clientPath, TBody body, ReplyParser<TResult> parser,
        WatchRegistration? watch = null, bool parseErrors = false, RequestKind kind = RequestKind.Normal)
        where TBody : IJuteRecord<TBody>
    {
        var req = new Request<TBody, TResult>(op, kind, clientPath, body, parser, parseErrors) { Watch = watch };
        if ((_closing && op != OpCode.CloseSession) || !_outgoing.Writer.TryWrite(req)) req.Fail(ErrorCode.SessionExpired);
        return req.Task;
    }

    internal string ToServerPath(string clientPath)
    {
        ArgumentNullException.ThrowIfNull(clientPath);
        if (_chroot is null) return clientPath;
        return clientPath == "/" ? _chroot : _chroot + clientPath;
    }

    internal string ToClientPath(string serverPath)
    {
        if (_chroot is null) return serverPath;
        if (serverPath == _chroot) return "/";
        if (serverPath.Length > _chroot.Length && serverPath[_chroot.Length] == '/' && serverPath.StartsWith(_chroot, StringComparison.Ordinal))
            return serverPath[_chroot.Length..];
        return serverPath;
    }
}
