using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace HotZk.Ensemble.Tests;

/// <summary>
/// A loopback TCP forwarder for one peer link (dialer → proxy → target's election port) that can be cut.
/// </summary>
/// <remarks>
/// Two ways to cut: <see cref="Block"/> closes every connection it carries (with an RST) and closes new
/// ones as soon as they are accepted, so both servers see the link drop at once and cannot re-establish
/// it. <see cref="Silence"/> is a black hole: connections stay open but every byte is dropped and new
/// connections are accepted but never forwarded, so only timeouts (syncLimit, handshake) can tell.
/// <see cref="Restore"/> ends either; silenced connections are closed then, since their streams lost data.
/// </remarks>
public sealed class LinkProxy : IAsyncDisposable
{
    private readonly Socket _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<long, (Socket Inbound, Socket? Outbound)> _pairs = new();
    private readonly Task _acceptLoop;
    private long _nextPair;
    private volatile bool _blocked;
    private volatile bool _silenced;

    /// <summary>Binds a free loopback port now and forwards every connection to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public LinkProxy(string name, int targetPort)
    {
        Name = name;
        _targetPort = targetPort;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>For messages, e.g. "1->2".</summary>
    public string Name { get; }

    /// <summary>The port the dialer is configured to use for this link.</summary>
    public int Port { get; }

    /// <summary>Connections currently held (forwarded or, while silenced, swallowed).</summary>
    public int ActiveConnections => _pairs.Count;

    /// <summary>True while the link is cut by <see cref="Block"/>.</summary>
    public bool Blocked => _blocked;

    /// <summary>True while the link is a black hole (<see cref="Silence"/>).</summary>
    public bool Silenced => _silenced;

    /// <summary>Cuts the link: closes every connection; new ones are closed on accept.</summary>
    public void Block()
    {
        _blocked = true;
        CloseAll();
    }

    /// <summary>Turns the link into a black hole: connections stay open, nothing gets through.</summary>
    public void Silence() => _silenced = true;

    /// <summary>Lets connections through again (the servers re-dial on their own).</summary>
    public void Restore()
    {
        if (_silenced) CloseAll(); // streams that lost bytes cannot be resumed
        _silenced = false;
        _blocked = false;
    }

    private void CloseAll()
    {
        foreach (var key in _pairs.Keys) CloseTracked(key);
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket accepted;
            try
            {
                accepted = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }
            if (_blocked)
            {
                Abort(accepted);
                continue;
            }
            _ = _silenced ? SwallowAsync(accepted) : ForwardAsync(accepted);
        }
    }

    /// <summary>A connection accepted while silenced: held open, its bytes dropped, until closed.</summary>
    private async Task SwallowAsync(Socket inbound)
    {
        long key = Interlocked.Increment(ref _nextPair);
        _pairs[key] = (inbound, null);
        try
        {
            var buffer = new byte[4096];
            while (await inbound.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception)
        {
            // Closed by Restore/Block/Dispose or by the dialer.
        }
        finally
        {
            CloseTracked(key);
            Abort(inbound);
        }
    }

    private async Task ForwardAsync(Socket inbound)
    {
        var outbound = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        inbound.NoDelay = true;
        long key = Interlocked.Increment(ref _nextPair);
        _pairs[key] = (inbound, outbound);
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            connectTimeout.CancelAfter(TimeSpan.FromSeconds(2));
            await outbound.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _targetPort), connectTimeout.Token).ConfigureAwait(false);
            // Block() may have run while we were connecting: it cannot have seen an open pair yet.
            if (_blocked) return;
            var a = PumpAsync(inbound, outbound);
            var b = PumpAsync(outbound, inbound);
            await Task.WhenAny(a, b).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Target down, connect timed out, or the pair was closed by Block/Restore/Dispose: close both sides.
        }
        finally
        {
            CloseTracked(key);
            Abort(inbound);
            Abort(outbound);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        while (!_blocked)
        {
            int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token).ConfigureAwait(false);
            if (n == 0 || _blocked) return;
            if (_silenced) continue; // black hole: the bytes are lost
            int sent = 0;
            while (sent < n)
            {
                sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private void CloseTracked(long key)
    {
        if (!_pairs.TryRemove(key, out var pair)) return;
        Abort(pair.Inbound);
        if (pair.Outbound is not null) Abort(pair.Outbound);
    }

    /// <summary>Closes with an RST (linger 0) so the far side learns at once instead of after a FIN exchange.</summary>
    private static void Abort(Socket s)
    {
        try { s.LingerState = new LingerOption(true, 0); } catch (Exception) { }
        try { s.Dispose(); } catch (Exception) { }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _blocked = true;
        _stop.Cancel();
        _listener.Dispose();
        CloseAll();
        try { await _acceptLoop.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); } catch (Exception) { }
    }
}
