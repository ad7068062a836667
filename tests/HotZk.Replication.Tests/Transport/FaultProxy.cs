using System.Net;
using System.Net.Sockets;

namespace HotZk.Replication.Tests.Transport;

/// <summary>
/// A TCP proxy for partition tests: listens on 127.0.0.1:0 and forwards each accepted connection to a
/// target, byte for byte (not packet-aware, so it can sit between any two servers). Faults are switched
/// at runtime: <see cref="Blocked"/> cuts everything and refuses new connections, <see cref="DelayMs"/>
/// adds latency per forwarded chunk, <see cref="Drop"/> cuts the current connections once.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly Socket _listener;
    private readonly EndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Pair> _pairs = [];
    private readonly Task _acceptLoop;
    private bool _blocked;
    private int _delayMs;
    private int _accepted;

    public FaultProxy(int targetPort) : this(new IPEndPoint(IPAddress.Loopback, targetPort)) { }

    public FaultProxy(EndPoint target)
    {
        _target = target;
        _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(16);
        ListenPort = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Where clients connect.</summary>
    public int ListenPort { get; }

    /// <summary>Connections accepted so far (including ones closed at once because blocked).</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections being forwarded now.</summary>
    public int Active
    {
        get
        {
            lock (_gate)
                return _pairs.Count;
        }
    }

    /// <summary>True: a partition. Every current connection is cut and new ones are closed as soon as accepted.</summary>
    public bool Blocked
    {
        get
        {
            lock (_gate)
                return _blocked;
        }
        set
        {
            Pair[] cut;
            lock (_gate)
            {
                _blocked = value;
                cut = value ? [.. _pairs] : [];
            }
            foreach (Pair pair in cut)
                pair.Close();
        }
    }

    /// <summary>Latency added before forwarding each chunk, in milliseconds.</summary>
    public int DelayMs
    {
        get => Volatile.Read(ref _delayMs);
        set => Volatile.Write(ref _delayMs, value);
    }

    /// <summary>Cuts every current connection once; new ones are forwarded as usual.</summary>
    public void Drop()
    {
        Pair[] cut;
        lock (_gate)
            cut = [.. _pairs];
        foreach (Pair pair in cut)
            pair.Close();
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        Drop();
        _acceptLoop.Wait(TimeSpan.FromSeconds(1));
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            Interlocked.Increment(ref _accepted);
            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        if (Blocked)
        {
            client.Dispose();
            return;
        }
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        var pair = new Pair(client, server);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await server.ConnectAsync(_target, timeout.Token);
        }
        catch (Exception)
        {
            pair.Close();
            return;
        }
        lock (_gate)
        {
            // Re-checked under the lock so a partition set meanwhile cannot miss this connection.
            if (_blocked || _stop.IsCancellationRequested)
            {
                pair.Close();
                return;
            }
            _pairs.Add(pair);
        }
        await Task.WhenAll(PumpAsync(client, server, pair), PumpAsync(server, client, pair));
        lock (_gate)
            _pairs.Remove(pair);
    }

    /// <summary>Copies one direction until either side closes; then the whole pair is closed.</summary>
    private async Task PumpAsync(Socket from, Socket to, Pair pair)
    {
        byte[] buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0)
                    break;
                int delay = DelayMs;
                if (delay > 0)
                    await Task.Delay(delay);
                for (var sent = 0; sent < n;)
                    sent += await to.SendAsync(buffer.AsMemory(sent, n - sent), SocketFlags.None);
            }
        }
        catch (Exception)
        {
            // Either side closed or was cut: nothing to report, the pair goes away.
        }
        finally
        {
            pair.Close();
        }
    }

    /// <summary>The two sockets of one forwarded connection.</summary>
    private sealed class Pair(Socket client, Socket server)
    {
        private int _closed;

        public void Close()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
                return;
            client.Dispose();
            server.Dispose();
        }
    }
}
