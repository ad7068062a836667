using System.Collections.Concurrent;
using HotZk.Replication.Transport;

namespace HotZk.Replication.Zab;

/// <summary>
/// Runs a <see cref="ZabPeer"/> on its own thread in a real server: transport callbacks, log
/// durability reports and state-machine calls are queued and executed one at a time, and a timer
/// ticks every <see cref="TickPeriodMs"/>.
/// </summary>
public sealed class PeerLoop : IPeerTransportListener, IZabEvents, IDisposable
{
    /// <summary>How often the peer's timers are checked (ms).</summary>
    public const int TickPeriodMs = 25;

    private enum EventKind { Work, LinkUp, Packet, LinkDown, Durable, LogFailed, Propose, Forward }

    /// <summary>One queued event: a struct, so the per-packet path allocates no closure.</summary>
    private readonly record struct PeerEvent(EventKind Kind, long Arg, QuorumPacket Packet, object? Obj);

    private readonly BlockingCollection<PeerEvent> _queue = new();
    private readonly Action<string> _log;
    private Thread? _thread;
    private volatile bool _running;

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
    public void OnPacket(long from, QuorumPacket packet) => Enqueue(new PeerEvent(EventKind.Packet, from, packet, null));

    /// <inheritdoc/>
    public void OnLinkDown(long peer) => Enqueue(new PeerEvent(EventKind.LinkDown, peer, default, null));

    /// <inheritdoc/>
    public void OnDurable(long zxid) => Enqueue(new PeerEvent(EventKind.Durable, zxid, default, null));

    /// <inheritdoc/>
    public void OnLogFailed(long fromZxid, Exception error) => Enqueue(new PeerEvent(EventKind.LogFailed, fromZxid, default, error));

    /// <summary>Leader: a txn the engine prepped (one per write: queued without a closure).</summary>
    public void Propose(long zxid, ReadOnlyMemory<byte> txn) => Enqueue(new PeerEvent(EventKind.Propose, zxid, new QuorumPacket(PacketType.Proposal, zxid, txn), null));

    /// <summary>Learner: a client request for the leader (one per forwarded write: queued without a closure).</summary>
    public void Forward(ReadOnlyMemory<byte> request) => Enqueue(new PeerEvent(EventKind.Forward, 0, new QuorumPacket(PacketType.Request, 0, request), null));

    private void Enqueue(in PeerEvent e)
    {
        if (Peer is null || !_running) return;
        try
        {
            _queue.Add(e);
        }
        catch (InvalidOperationException)
        {
            // stopping
        }
    }

    private void Run()
    {
        long nextTick = Environment.TickCount64;
        while (_running)
        {
            long now = Environment.TickCount64;
            if (now >= nextTick)
            {
                // Ticks also run under a steady stream of work, or liveness limits would never be checked.
                nextTick = now + TickPeriodMs;
                Execute(new PeerEvent(EventKind.Work, now, default, null));
            }
            if (_queue.TryTake(out var work, (int)Math.Max(0, nextTick - Environment.TickCount64))) Execute(work);
        }
    }

    private void Execute(in PeerEvent e)
    {
        var peer = Peer!;
        try
        {
            switch (e.Kind)
            {
                case EventKind.Work when e.Obj is Action<ZabPeer> action:
                    action(peer);
                    break;
                case EventKind.Work:
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
        _queue.CompleteAdding();
        _thread?.Join(TimeSpan.FromSeconds(5));
        done.Dispose();
    }
}
