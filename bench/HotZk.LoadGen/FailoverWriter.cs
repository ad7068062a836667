using System.Diagnostics;
using HotZk.Common;

namespace HotZk.LoadGen;

/// <summary>One successful write of the failover writer: reply time, zxid, the endpoint that answered.</summary>
internal readonly record struct WriteSuccess(long Ts, long Zxid, int Endpoint);

/// <summary>
/// The client side of <c>hotzk bench failover</c>: setData on one znode in a tight loop, one request
/// outstanding, recording every success. It behaves like a ZooKeeper client over a connect list: on a
/// lost connection or a reply that does not come within 2/3 of the session timeout (the client
/// library's read timeout) it moves to the next endpoint and resumes its session there (id, password,
/// last zxid seen); only when a server says the session is gone does it open a new one.
/// </summary>
internal sealed class FailoverWriter(IReadOnlyList<Endpoint> endpoints, string path, byte[] value, int sessionTimeoutMs = 30_000) : IAsyncDisposable
{
    /// <summary>Pause after a failed connect: short, so the figure measures the servers, not a client backoff.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(10);

    private readonly CancellationTokenSource _cts = new();
    private readonly List<WriteSuccess> _successes = [];
    private readonly Dictionary<string, long> _errors = [];
    private Task? _loop;
    private int _sessionsCreated, _sessionsResumed, _sessionsExpired, _connectFailures, _readTimeouts, _connectionsLost;

    public IReadOnlyList<Endpoint> Endpoints { get; } = endpoints;

    public void Start() => _loop = Task.Run(LoopAsync);

    /// <summary>Successes so far (a copy).</summary>
    public List<WriteSuccess> Successes()
    {
        lock (_successes) return [.. _successes];
    }

    /// <summary>Number of successes and the reply time of the first one (0 when none yet).</summary>
    public (int Count, long FirstTs) Progress
    {
        get
        {
            lock (_successes) return (_successes.Count, _successes.Count > 0 ? _successes[0].Ts : 0);
        }
    }

    /// <summary>The first success received after <paramref name="ts"/> whose zxid epoch exceeds <paramref name="epoch"/>.</summary>
    public WriteSuccess? FirstSuccessAfter(long ts, long epoch)
    {
        lock (_successes)
        {
            // Successes are appended in reply order: scan back to the first one after ts.
            int i = _successes.Count;
            while (i > 0 && _successes[i - 1].Ts > ts) i--;
            for (; i < _successes.Count; i++)
            {
                if ((_successes[i].Zxid >> 32) > epoch) return _successes[i];
            }
        }
        return null;
    }

    public Dictionary<string, long> Errors()
    {
        lock (_errors) return new(_errors);
    }

    public (int Created, int Resumed, int Expired, int ConnectFailures, int ReadTimeouts, int ConnectionsLost) Counters =>
        (_sessionsCreated, _sessionsResumed, _sessionsExpired, _connectFailures, _readTimeouts, _connectionsLost);

    private void Error(string what)
    {
        lock (_errors) _errors[what] = _errors.GetValueOrDefault(what) + 1;
    }

    private async Task LoopAsync()
    {
        var ct = _cts.Token;
        RawClient? c = null;
        SessionTicket? ticket = null;
        int next = 0, current = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (c is null)
                {
                    current = next % Endpoints.Count;
                    var ep = Endpoints[current];
                    try
                    {
                        c = await RawClient.ConnectAsync(ep.Host, ep.Port, sessionTimeoutMs, ct, ticket, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
                        if (ticket is null) _sessionsCreated++;
                        else _sessionsResumed++;
                    }
                    catch (SessionExpiredException)
                    {
                        _sessionsExpired++;
                        ticket = null; // a new session on the same server, at once
                    }
                    catch (Exception) when (!ct.IsCancellationRequested)
                    {
                        _connectFailures++;
                        next++;
                        await Task.Delay(RetryDelay, ct).ConfigureAwait(false);
                    }
                    continue;
                }
                var conn = c;
                try
                {
                    var r = await conn.SetDataAsync(path, value).WaitAsync(TimeSpan.FromMilliseconds(conn.TimeoutMs * 2 / 3), ct).ConfigureAwait(false);
                    if (r.Ok)
                    {
                        lock (_successes) _successes.Add(new WriteSuccess(r.ReceivedTs, r.Zxid, current));
                        continue;
                    }
                    Error(Wire.ErrorName(r.Err));
                    if (r.Err == (int)ErrorCode.SessionExpired)
                    {
                        await conn.AbandonAsync().ConfigureAwait(false);
                        c = null;
                        ticket = null;
                    }
                    else
                    {
                        await Task.Delay(1, ct).ConfigureAwait(false);
                    }
                }
                catch (TimeoutException)
                {
                    _readTimeouts++;
                    ticket = conn.Ticket;
                    await conn.AbandonAsync().ConfigureAwait(false);
                    c = null;
                    next++;
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    _connectionsLost++;
                    ticket = conn.Ticket;
                    await conn.AbandonAsync().ConfigureAwait(false);
                    c = null;
                    next++;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopped
        }
        finally
        {
            if (c is not null) await c.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops the loop and closes the session.</summary>
    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // a close that hangs does not matter any more
            }
        }
        _cts.Dispose();
    }

    /// <summary>Stopwatch ticks → milliseconds.</summary>
    public static double Ms(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 2);
}
