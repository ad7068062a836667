using HotZk.Replication.Election;
using HotZk.Replication.Transport;
using HotZk.Replication.Zab;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// One ensemble member: a disk (<see cref="SimLog"/>) that outlives crashes, and while it is up a
/// server process made of a <see cref="ZabPeer"/>, its <see cref="SimStateMachine"/> and its
/// <see cref="SimTransport"/>. Every call into the peer goes through <see cref="Invoke"/>: an
/// exception escaping the peer is a bug, so the run stops with it.
/// </summary>
internal sealed class SimNode
{
    private readonly ZabOptions _options;
    private readonly SimScheduler _scheduler;
    private readonly SimTrace _trace;
    private readonly SimGhost _ghost;
    private readonly SimNetwork _network;
    private readonly SimConfig _config;
    private readonly List<Action> _backlog = [];
    private SimTransport? _transport;
    private int _generation;
    private long _pausedUntil = -1;

    public SimNode(long id, ZabOptions options, SimScheduler scheduler, SimTrace trace, SimGhost ghost, SimNetwork network, SimConfig config)
    {
        Id = id;
        _options = options;
        _scheduler = scheduler;
        _trace = trace;
        _ghost = ghost;
        _network = network;
        _config = config;
        Log = new SimLog(id, scheduler, trace, config.LyingDisk);
    }

    public long Id { get; }

    public bool IsObserver => _options.IsObserver;

    public SimLog Log { get; }

    public ZabPeer? Peer { get; private set; }

    public SimStateMachine? Sm { get; private set; }

    public bool IsUp => Peer is not null;

    public int Restarts { get; private set; }

    public int TimesLeading { get; private set; }

    public bool IsCurrent(SimStateMachine sm) => ReferenceEquals(Sm, sm);

    /// <summary>Armed fault: crash shortly after handling the next packet of this type (until the deadline).</summary>
    public (PacketType Type, long Until, Action Crash)? CrashTrigger { get; set; }

    /// <summary>True while the process is frozen (a long GC pause, a stopped VM).</summary>
    public bool Paused => _pausedUntil >= 0;

    /// <summary>
    /// Freezes the process until <paramref name="until"/>: nothing it would handle runs meanwhile
    /// (timers, packets, durability reports, client requests); afterwards the backlog runs in
    /// arrival order, as a process that wakes up finds its socket buffers and queues full.
    /// </summary>
    public void Pause(long until)
    {
        if (!IsUp || until <= _pausedUntil) return;
        _trace.Add(_scheduler.Now, Id, "pause", until);
        _pausedUntil = until;
        int generation = _generation;
        _scheduler.At(until, () =>
        {
            if (generation != _generation || _scheduler.Now < _pausedUntil) return;
            _pausedUntil = -1;
            _trace.Add(_scheduler.Now, Id, "resume", _backlog.Count);
            var work = _backlog.ToList();
            _backlog.Clear();
            foreach (var w in work) w();
        });
    }

    /// <summary>Runs <paramref name="work"/> in this process now, or after a pause, in order.</summary>
    public void Deliver(Action work)
    {
        if (Paused) _backlog.Add(work);
        else work();
    }

    /// <summary>Starts a server process from what is on disk, as a real restart: recover the state machine, then join.</summary>
    public void Start()
    {
        if (IsUp) return;
        int generation = ++_generation;
        if (generation > 1) Restarts++;
        var sm = new SimStateMachine(this, _scheduler, _trace, _ghost, _config);
        Sm = sm;
        try
        {
            sm.Reload();
        }
        catch (InvalidDataException e)
        {
            _ghost.Violation($"node {Id} cannot recover its state: {e.Message}");
            return;
        }
        var transport = new SimTransport(_network, Id);
        _transport = transport;
        var peer = new ZabPeer(_options, transport, Log, sm, msg => _trace.Add(_scheduler.Now, Id, SimTrace.PeerLogKind, text: msg));
        peer.StateChanged += s =>
        {
            if (s == PeerState.Leading) TimesLeading++;
            _trace.Add(_scheduler.Now, Id, "state", (long)s, peer.LeaderId, s.ToString());
        };
        Peer = peer;
        transport.Listener = new Listener(this, generation);
        Log.Attach(
            zxid => Deliver(() => Invoke("durable", p => p.OnDurable(zxid))),
            (zxid, error) => Deliver(() => Invoke("log failed", p => p.OnLogFailed(zxid, error))));
        _trace.Add(_scheduler.Now, Id, "start", Log.LastLoggedZxid, sm.LastAppliedZxid);
        Invoke("start", p => p.Start(_scheduler.Now));
        _scheduler.Every(_scheduler.Now + 1 + _scheduler.Rng.Next(_config.PeerTickMs), _config.PeerTickMs, () =>
        {
            if (generation != _generation || Peer is null) return false;
            if (!Paused) Invoke("tick", p => p.OnTick(_scheduler.Now));
            return true;
        });
        _network.NodeUp(Id, transport);
    }

    /// <summary>Kills the process: memory, unsynced writes and connections are gone; the disk stays.</summary>
    public void Crash(bool silent, bool? keepUnsynced = null)
    {
        if (!IsUp) return;
        _trace.Add(_scheduler.Now, Id, silent ? "crash-silent" : "crash", Log.LastLoggedZxid, Log.DurableZxid);
        var sm = Sm;
        Peer = null;
        Sm = null;
        _generation++;
        _pausedUntil = -1;
        _backlog.Clear();
        if (_transport is not null) _transport.Alive = false;
        _transport = null;
        _network.NodeDown(Id, silent);
        Log.Crash(_scheduler.Rng, keepUnsynced);
        Log.StalledUntil = 0;
        sm?.Crashed();
    }

    /// <summary>Calls the live peer; an exception out of it fails the run.</summary>
    public void Invoke(string what, Action<ZabPeer> action)
    {
        var peer = Peer;
        if (peer is null || _scheduler.Halted) return;
        try
        {
            action(peer);
        }
        catch (Exception e)
        {
            _ghost.Violation($"node {Id}: exception out of the peer during {what}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
        }
    }

    public string Describe()
    {
        if (Peer is not { } p) return $"n{Id}: down (log ..0x{Log.LastLoggedZxid:x}, epochs {Log.AcceptedEpoch}/{Log.CurrentEpoch})";
        return $"n{Id}: {p.State} leader {p.LeaderId} epoch {p.Epoch}, applied 0x{Sm!.LastAppliedZxid:x}, log 0x{Log.FirstLoggedZxid:x}..0x{Log.LastLoggedZxid:x} (durable 0x{Log.DurableZxid:x}), snap 0x{Log.NewestSnapshotZxid:x}, epochs {Log.AcceptedEpoch}/{Log.CurrentEpoch}";
    }

    /// <summary>Link events of one process; a later process of this node gets its own.</summary>
    private sealed class Listener(SimNode node, int generation) : IPeerTransportListener
    {
        public void OnLinkUp(long peer) => node.Deliver(() =>
        {
            if (generation != node._generation) return;
            node._trace.Add(node._scheduler.Now, node.Id, "link-up@", peer);
            node.Invoke("link up", p => p.OnLinkUp(peer));
        });

        public void OnLinkDown(long peer) => node.Deliver(() =>
        {
            if (generation != node._generation) return;
            node._trace.Add(node._scheduler.Now, node.Id, "link-down@", peer);
            node.Invoke("link down", p => p.OnLinkDown(peer));
        });

        public void OnPacket(long from, QuorumPacket packet) => node.Deliver(() => Packet(from, packet));

        private void Packet(long from, QuorumPacket packet)
        {
            if (generation != node._generation) return;
            // Decoded votes only when someone reads the trace: formatting every packet would dominate a run.
            string? detail = node._trace.Verbose && packet.Type == PacketType.Vote ? Notification.Decode(packet.Data.Span).ToString() : null;
            node._trace.Add(node._scheduler.Now, node.Id, packet.Type.ToString(), packet.Zxid, from, detail);
            node.Invoke("packet", p => p.OnPacket(from, packet));
            if (node.CrashTrigger is { } t && t.Type == packet.Type && node._scheduler.Now <= t.Until)
            {
                node.CrashTrigger = null;
                node._trace.Add(node._scheduler.Now, node.Id, "crash-trigger", packet.Zxid, from, packet.Type.ToString());
                node._scheduler.After(node._scheduler.Rng.Next(6), t.Crash);
            }
        }
    }
}
