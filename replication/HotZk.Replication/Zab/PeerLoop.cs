using System.Collections.Concurrent;
using HotZk.Replication.Transport;

namespace HotZk.Replication.Zab;

/// <summary>
/// Runs a <see cref="ZabPeer"/> in a real server, one step at a time: transport callbacks, log
/// durability reports and state-machine calls are queued and executed in order, and the peer's
/// timers tick every <see cref="TickPeriodMs"/>.
/// </summary>
/// <remarks>
/// A packet that arrives while the peer is idle runs at once on the link's reader thread instead of
/// waking the loop's own thread: a write crosses the peer about six times (forward, proposal, ack,
/// commit on two members), and each thread wake-up is tens of microseconds on a busy 2-core machine.
/// Execution stays exclusive (one owner at a time, never re-entered), queued events run before a
/// newer inline one, and packets the peer sends during one run go out together when it ends
/// (<see cref="SendBatch"/>). Besides packets, only a proposal or forward from an idle engine runs
/// inline, alone (<see cref="CallerIdle"/>); durability reports, admin calls and role changes may wait
/// for the engine or the log, so they always take the queue.
/// </remarks>
public sealed class PeerLoop : IPeerTransportListener, IZabEvents, IDisposable
{
    /// <summary>How often the peer's timers are checked (ms).</summary>
    public const int TickPeriodMs = 25;

    private enum EventKind { Work, LinkUp, Packet, LinkDown, Durable, LogFailed, Propose, Forward, Tick }

    /// <summary>One queued event: a struct, so the per-packet path allocates no closure.</summary>
    private readonly record struct PeerEvent(EventKind Kind, long Arg, QuorumPacket Packet, object? Obj);

    private readonly ConcurrentQueue<PeerEvent> _queue = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly Action<string> _log;
    private Thread? _thread;
    private volatile bool _running;
    // 1 while some thread executes peer steps; taken with a compare-exchange, so never re-entered.
    private int _executing;
    // 1 while a wake-up of the loop thread is pending (one release per idle period, not per event).
    private int _wakePending;
    private long _nextTick;

    /// <summary>Creates the loop; <see cref="Peer"/> must be set before <see cref="Start"/>.</summary>
    public PeerLoop(Action<string> log) => _log = log;

    /// <summary>The peer this loop drives.</summary>
    public ZabPeer? Peer { get; set; }

    /// <summary>Starts the thread and the first election.</summary>
    public void Start()
    {
        var peer = Peer ?? throw new InvalidOperationException("Peer is not set");
        // Syncing a far-behind learner reads a snapshot and a log range: on the thread pool, not between commits.
        peer.Offload = (work, then) => Task.Run(() =>
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                _log($"ERROR replication background work: {e.Message}");
            }
            Post(_ => then());
        });
        _running = true;
        _nextTick = Environment.TickCount64;
        _thread = new Thread(Run) { Name = "hotzk-zab", IsBackground = true };
        _thread.Start();
        Post(p => p.Start(Environment.TickCount64));
    }

    /// <summary>Queues work for the peer thread.</summary>
    public void Post(Action<ZabPeer> action)
    {
        Enqueue(new PeerEvent(EventKind.Work, 0, default, action));
    }

    /// <inheritdoc/>
    public void OnLinkUp(long peer) => Enqueue(new PeerEvent(EventKind.LinkUp, peer, default, null));

    /// <inheritdoc/>
    public void OnPacket(long from, QuorumPacket packet)
    {
        var e = new PeerEvent(EventKind.Packet, from, packet, null);
        if (Peer is null || !_running) return;
        // Inline only when nothing waits: a queued event must never run after a newer one.
        if (_queue.IsEmpty && TryAcquire())
        {
            RunOwned(e);
            return;
        }
        Enqueue(e);
    }

    /// <inheritdoc/>
    public void OnLinkDown(long peer) => Enqueue(new PeerEvent(EventKind.LinkDown, peer, default, null));

    /// <inheritdoc/>
    public void OnDurable(long zxid) => Enqueue(new PeerEvent(EventKind.Durable, zxid, default, null));

    /// <inheritdoc/>
    public void OnLogFailed(long fromZxid, Exception error) => Enqueue(new PeerEvent(EventKind.LogFailed, fromZxid, default, error));

    /// <summary>
    /// True when the thread that proposes and forwards (the engine's) has nothing else waiting: its
    /// proposal or forwarded request may then be sent at once from that thread.
    /// </summary>
    public Func<bool>? CallerIdle { get; set; }

    /// <summary>Leader: a txn the engine prepped (one per write: queued without a closure).</summary>
    public void Propose(long zxid, ReadOnlyMemory<byte> txn) => RunAloneOrEnqueue(new PeerEvent(EventKind.Propose, zxid, new QuorumPacket(PacketType.Proposal, zxid, txn), null));

    /// <summary>Learner: a client request for the leader (one per forwarded write: queued without a closure).</summary>
    public void Forward(ReadOnlyMemory<byte> request) => RunAloneOrEnqueue(new PeerEvent(EventKind.Forward, 0, new QuorumPacket(PacketType.Request, 0, request), null));

    /// <summary>
    /// A proposal or forward from an idle engine runs on the engine's thread when the peer is idle too:
    /// only that step (it appends and sends, nothing that waits), never queued events or a tick, which
    /// may wait for the engine and would deadlock on its own thread. A busy engine queues it, so its
    /// thread spends no syscalls under load and the peer thread sends many in one go.
    /// </summary>
    private void RunAloneOrEnqueue(in PeerEvent e)
    {
        if (Peer is null || !_running) return;
        if (CallerIdle?.Invoke() != true || !_queue.IsEmpty || !TryAcquire())
        {
            Enqueue(e);
            return;
        }
        SendBatch.Begin();
        try
        {
            Execute(e, onEngineThread: true);
        }
        finally
        {
            Interlocked.Exchange(ref _executing, 0);
            // Events queued meanwhile saw the peer busy and woke nobody.
            if (!_queue.IsEmpty && Interlocked.Exchange(ref _wakePending, 1) == 0) _wake.Release();
            SendBatch.End();
        }
    }

    private void Enqueue(in PeerEvent e)
    {
        if (Peer is null || !_running) return;
        _queue.Enqueue(e);
        // Whoever executes drains the queue before letting go; only an idle peer needs its thread woken.
        if (Volatile.Read(ref _executing) == 0 && Interlocked.Exchange(ref _wakePending, 1) == 0) _wake.Release();
    }

    private bool TryAcquire() => Interlocked.CompareExchange(ref _executing, 1, 0) == 0;

    /// <summary>Runs <paramref name="first"/> (after anything queued meanwhile), drains the queue and lets go.</summary>
    private void RunOwned(in PeerEvent first)
    {
        SendBatch.Begin();
        try
        {
            // Something may have been queued between the caller's emptiness check and taking ownership.
            while (_queue.TryDequeue(out var queued)) Execute(queued);
            Execute(first);
            DrainAndRelease();
        }
        finally
        {
            SendBatch.End();
        }
    }

    /// <summary>Executes queued events (and a due tick) until the queue is empty, then lets go of the peer.</summary>
    private void DrainAndRelease()
    {
        while (true)
        {
            while (_queue.TryDequeue(out var e)) Execute(e);
            long now = Environment.TickCount64;
            if (now >= _nextTick)
            {
                // Ticks also run under a steady stream of work, or liveness limits would never be checked.
                _nextTick = now + TickPeriodMs;
                Execute(new PeerEvent(EventKind.Tick, now, default, null));
                continue;
            }
            // A full fence (not a plain write): the emptiness check below must not be ordered before the release.
            Interlocked.Exchange(ref _executing, 0);
            // An event queued after the last dequeue but before the release saw the peer busy and woke nobody.
            if (_queue.IsEmpty || !TryAcquire()) return;
        }
    }

    private void Run()
    {
        var busy = false;
        while (_running)
        {
            int wait = (int)Math.Clamp(Volatile.Read(ref _nextTick) - Environment.TickCount64, busy ? 1 : 0, TickPeriodMs);
            _wake.Wait(wait);
            Volatile.Write(ref _wakePending, 0);
            if (!_running) break;
            // Busy elsewhere: that owner drains the queue and ticks before it lets go (look again in a while).
            busy = !TryAcquire();
            if (busy) continue;
            SendBatch.Begin();
            try
            {
                DrainAndRelease();
            }
            finally
            {
                SendBatch.End();
            }
        }
    }

    private void Execute(in PeerEvent e, bool onEngineThread = false)
    {
        var peer = Peer!;
        try
        {
            switch (e.Kind)
            {
                case EventKind.Work when e.Obj is Action<ZabPeer> action:
                    action(peer);
                    break;
                case EventKind.Tick:
                    peer.OnTick(e.Arg);
                    break;
                case EventKind.LinkUp:
                    peer.OnLinkUp(e.Arg);
                    break;
                case EventKind.Packet:
                    peer.OnPacket(e.Arg, e.Packet);
                    break;
                case EventKind.LinkDown:
                    peer.OnLinkDown(e.Arg);
                    break;
                case EventKind.Durable:
                    peer.OnDurable(e.Arg);
                    break;
                case EventKind.LogFailed:
                    peer.OnLogFailed(e.Arg, (Exception)e.Obj!);
                    break;
                case EventKind.Propose:
                    peer.Propose(e.Arg, e.Packet.Data);
                    break;
                case EventKind.Forward:
                    peer.Forward(e.Packet.Data);
                    break;
            }
        }
        catch (Exception error)
        {
            // A bug in one step must not kill the member: start over with an election.
            _log($"ERROR replication: {error}");
            if (onEngineThread)
            {
                // Going LOOKING waits for the engine: not on its own thread.
                Post(p => p.GoLooking("internal error: " + error.Message));
                return;
            }
            try { Peer?.GoLooking("internal error: " + error.Message); }
            catch (Exception again) { _log($"ERROR replication: could not re-enter LOOKING: {again.Message}"); }
        }
    }

    /// <summary>Stops the peer and the thread.</summary>
    public void Dispose()
    {
        if (!_running) return;
        var done = new ManualResetEventSlim();
        Post(p =>
        {
            p.Stop();
            done.Set();
        });
        done.Wait(TimeSpan.FromSeconds(5));
        _running = false;
        _wake.Release();
        _thread?.Join(TimeSpan.FromSeconds(5));
        done.Dispose();
    }
}
