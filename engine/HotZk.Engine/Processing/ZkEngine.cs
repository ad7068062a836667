using System.Collections.Concurrent;
using System.Diagnostics;
using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Sessions;
using HotZk.Engine.Storage;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Engine.Processing;

/// <summary>
/// The standalone state machine: one engine thread owns the tree, sessions, watches and prep
/// state; writes are prepped in arrival order, appended to the group-committed log, and applied
/// in zxid order once durable; reads run on the same thread behind their session's earlier
/// writes. Everything public here is thread-safe (it posts work to the engine thread).
/// </summary>
public sealed partial class ZkEngine : ITxnLogListener, IDisposable
{
    private enum WorkKind { Request, Connect, Disconnect, Durable, LogFailed, Tick, Reap, Invoke, SnapshotSlice, SnapshotDone, Stop }

    private readonly record struct Work(WorkKind Kind, object? Obj, long Arg, long Gen);

    private readonly EngineOptions _options;
    private readonly ITxnLog _log;
    private readonly ISnapshotStore? _snapshots;
    private readonly Action<string> _logSink;
    private readonly ConcurrentQueue<Work> _queue = new();
    private readonly AutoResetEvent _signal = new(false);
    private readonly Queue<(Txn Txn, Request? Req)> _inFlight = new();
    private readonly HashSet<string> _reaping = new(StringComparer.Ordinal);
    private readonly ByteBuffer _txnBuffer = new(4096);
    private readonly Random _random = new();
    private Thread? _thread;
    private Timer? _tickTimer;
    private Timer? _reapTimer;
    private long _lastZxid;
    private long _logGeneration;
    private int _txnsSinceSnapshot;
    private int _snapThreshold;
    private volatile bool _running;
    private volatile bool _serving;

    /// <summary>Creates an engine over a log and an optional snapshot store.</summary>
    public ZkEngine(EngineOptions options, ITxnLog log, ISnapshotStore? snapshots, Action<string>? logSink = null)
    {
        _options = options;
        _log = log;
        _snapshots = snapshots;
        _logSink = logSink ?? (_ => { });
        Sessions = new SessionTracker(options.TickTime, options.ServerId, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        InstallTree(new DataTree(options.ExtendedTypesEnabled));
        _role = options.Ensemble ? EngineRole.Looking : EngineRole.Standalone;
        _log.Listener = this;
        ResetSnapThreshold();
    }

    /// <summary>Settings.</summary>
    public EngineOptions Options => _options;

    /// <summary>The data tree (engine thread only; use <see cref="InvokeAsync{T}"/> from elsewhere).</summary>
    public DataTree Tree { get; private set; }

    /// <summary>Prep state (engine thread only).</summary>
    public PrepProcessor Prep { get; private set; }

    /// <summary>Sessions (engine thread only).</summary>
    public SessionTracker Sessions { get; }

    /// <summary>Request counters.</summary>
    public ServerStats Stats { get; } = new();

    /// <summary>Last applied zxid (safe to read anywhere).</summary>
    public long LastProcessedZxid => Volatile.Read(ref _lastApplied);
    private long _lastApplied;

    /// <summary>Writes waiting for the log.</summary>
    public int OutstandingRequests => Volatile.Read(ref _outstanding);
    private int _outstanding;

    /// <summary>
    /// True when no work is queued for the engine thread: a reply produced now is the last of its burst,
    /// so a connection may send it at once instead of handing it to another thread (latency of an idle server).
    /// </summary>
    public bool IsIdle => _queue.IsEmpty;

    /// <summary>True once recovery finished and requests are served.</summary>
    public bool IsServing => _serving;

    /// <summary>Recovers state from snapshot + log and starts the engine thread.</summary>
    public void Start()
    {
        Recover();
        _running = true;
        _thread = new Thread(Run) { Name = "hotzk-engine", IsBackground = true };
        _thread.Start();
        int tickPeriod = Math.Clamp(_options.TickTime / 2, 10, 1000);
        _tickTimer = new Timer(_ => Post(new Work(WorkKind.Tick, null, 0, 0)), null, tickPeriod, tickPeriod);
        int reap = Math.Max(10, _options.ContainerCheckIntervalMs);
        _reapTimer = new Timer(_ => Post(new Work(WorkKind.Reap, null, 0, 0)), null, reap, reap);
        _serving = true;
    }

    /// <summary>Queues a client request.</summary>
    public void Submit(Request request)
    {
        if (request.StartTicks == 0) request.StartTicks = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _queued);
        Post(new Work(WorkKind.Request, request, 0, 0));
    }
    private int _queued;

    /// <summary>Queues a connect handshake.</summary>
    public void Connect(IClientConnection connection, ConnectArgs args) => Post(new Work(WorkKind.Connect, (connection, args), 0, 0));

    /// <summary>Tells the engine a connection is gone (its watches go; its session lives on until expiry).</summary>
    public void Disconnected(IClientConnection connection, Session? session) => Post(new Work(WorkKind.Disconnect, (connection, session), 0, 0));

    /// <summary>Runs <paramref name="func"/> on the engine thread (for stats and admin commands).</summary>
    public Task<T> InvokeAsync<T>(Func<T> func)
    {
        var tcs = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Action a = () =>
        {
            try { tcs.SetResult(func()); }
            catch (Exception e) { tcs.SetException(e); }
        };
        if (!_running) a();
        else Post(new Work(WorkKind.Invoke, a, 0, 0));
        return tcs.Task;
    }

    /// <inheritdoc />
    void ITxnLogListener.OnDurable(long zxid) => Post(new Work(WorkKind.Durable, null, zxid, Volatile.Read(ref _logGeneration)));

    /// <inheritdoc />
    void ITxnLogListener.OnFailed(long fromZxid, long toZxid, Exception error) =>
        Post(new Work(WorkKind.LogFailed, error, fromZxid, Volatile.Read(ref _logGeneration)));

    /// <summary>Stops the engine thread after flushing the log.</summary>
    public void Stop()
    {
        if (!_running) return;
        _tickTimer?.Dispose();
        _reapTimer?.Dispose();
        Post(new Work(WorkKind.Stop, null, 0, 0));
        _thread?.Join(TimeSpan.FromSeconds(30));
        _running = false;
        _serving = false;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Stop();
        _signal.Dispose();
        _txnBuffer.Dispose();
    }

    private void Post(in Work w)
    {
        _queue.Enqueue(w);
        // Only wake the engine thread when it is (about to be) asleep: a Set per request is a syscall.
        if (Volatile.Read(ref _sleeping) != 0) _signal.Set();
    }
    private int _sleeping;

    private void Run()
    {
        while (true)
        {
            while (_queue.TryDequeue(out var w))
            {
                try
                {
                    if (!Handle(w)) return;
                }
                catch (Exception e)
                {
                    _logSink($"ERROR engine: unhandled exception processing {w.Kind}: {e}");
                }
            }
            Interlocked.Exchange(ref _sleeping, 1);
            // Re-check after announcing sleep so a producer that missed the flag cannot strand work.
            if (_queue.IsEmpty) _signal.WaitOne(100);
            Volatile.Write(ref _sleeping, 0);
        }
    }

    private bool Handle(in Work w)
    {
        switch (w.Kind)
        {
            case WorkKind.Request:
                Interlocked.Decrement(ref _queued);
                HandleRequest((Request)w.Obj!);
                break;
            case WorkKind.Connect:
                {
                    var (conn, args) = ((IClientConnection, ConnectArgs))w.Obj!;
                    HandleConnect(conn, args);
                    break;
                }
            case WorkKind.Disconnect:
                {
                    var (conn, session) = ((IClientConnection, Session?))w.Obj!;
                    Tree.Watches.RemoveWatcher(conn);
                    if (session is not null && ReferenceEquals(session.Connection, conn)) session.Connection = null;
                    break;
                }
            case WorkKind.Durable:
                if (w.Gen == Volatile.Read(ref _logGeneration)) ApplyDurable(w.Arg);
                break;
            case WorkKind.LogFailed:
                if (w.Gen == Volatile.Read(ref _logGeneration)) HandleLogFailure(w.Arg, (Exception)w.Obj!);
                break;
            case WorkKind.Tick:
                ExpireSessions();
                break;
            case WorkKind.Reap:
                ReapContainers();
                break;
            case WorkKind.Invoke:
                ((Action)w.Obj!)();
                break;
            case WorkKind.SnapshotSlice:
                SnapshotSlice((SnapshotJob)w.Obj!);
                break;
            case WorkKind.SnapshotDone:
                SnapshotDone((SnapshotJob)w.Obj!);
                break;
            case WorkKind.Stop:
                AbortSnapshot();
                _log.Flush();
                // Apply what became durable during the final flush.
                while (_queue.TryDequeue(out var rest))
                {
                    if (rest.Kind == WorkKind.Durable && rest.Gen == Volatile.Read(ref _logGeneration)) ApplyDurable(rest.Arg);
                }
                return false;
        }
        return true;
    }

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static long Monotonic() => Environment.TickCount64;
}

/// <summary>The fields of a ConnectRequest the engine needs.</summary>
/// <param name="LastZxidSeen">Client's last seen zxid.</param>
/// <param name="Timeout">Requested session timeout.</param>
/// <param name="SessionId">0 for a new session.</param>
/// <param name="Password">Session password (re-attach).</param>
/// <param name="ReadOnly">Client accepts a read-only server.</param>
public readonly record struct ConnectArgs(long LastZxidSeen, int Timeout, long SessionId, byte[]? Password, bool ReadOnly);
