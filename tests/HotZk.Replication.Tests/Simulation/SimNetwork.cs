using HotZk.Replication.Transport;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// Links between server processes with TCP's guarantees and nothing more: per link incarnation
/// packets arrive in order (each after a random delay, never overtaking an earlier one) or, once
/// the link broke, not at all; both ends hear of a break (a silently dead peer only after a TCP
/// timeout or when it comes back). Links re-establish by themselves unless an end is down or a
/// partition separates them. Packets on different links race freely.
/// </summary>
internal sealed class SimNetwork
{
    private readonly SimScheduler _scheduler;
    private readonly SimTrace _trace;
    private readonly SimConfig _config;
    private readonly Dictionary<(long, long), SimLink> _links = [];
    private readonly Dictionary<long, SimTransport?> _endpoints = [];
    private readonly Dictionary<long, int> _group = [];
    private readonly Dictionary<long, (long Until, int Extra)> _slow = [];
    private readonly HashSet<(long, long)> _blocked = [];
    private readonly long[] _ids;

    public SimNetwork(SimScheduler scheduler, SimTrace trace, SimConfig config, IEnumerable<long> ids)
    {
        _scheduler = scheduler;
        _trace = trace;
        _config = config;
        _ids = [.. ids.Order()];
        foreach (long a in _ids)
        {
            _endpoints[a] = null;
            _group[a] = 0;
            foreach (long b in _ids) if (a < b) _links[(a, b)] = new SimLink(a, b);
        }
    }

    public long PacketsSent { get; private set; }

    public long PacketsDelivered { get; private set; }

    public long PacketsDropped { get; private set; }

    public long LinkBreaks { get; private set; }

    public bool Partitioned => _group.Values.Any(g => g != 0);

    public IEnumerable<SimLink> Links => _links.Values;

    private SimLink Link(long x, long y) => _links[x < y ? (x, y) : (y, x)];

    // ------------------------------------------------------------------ process lifecycle

    /// <summary>A server process started: it dials every live peer.</summary>
    public void NodeUp(long node, SimTransport transport)
    {
        _endpoints[node] = transport;
        foreach (long other in _ids)
        {
            if (other != node && _endpoints[other] is not null) ScheduleReconnect(Link(node, other), 1 + _scheduler.Rng.Next(30));
        }
    }

    /// <summary>
    /// A server process died. Its peers hear of it soon (the kernel resets the sockets) or, when
    /// <paramref name="silent"/> (the machine is gone), only after a TCP timeout or when it returns.
    /// </summary>
    public void NodeDown(long node, bool silent)
    {
        if (_endpoints[node] is { } t) t.Alive = false;
        _endpoints[node] = null;
        foreach (long other in _ids)
        {
            if (other == node) continue;
            var link = Link(node, other);
            link.View[link.Side(node)] = false;
            if (!link.Up) continue;
            link.Up = false;
            LinkBreaks++;
            int otherSide = link.Side(other);
            long delay = silent ? 2000 + _scheduler.Rng.Next(6000) : 1 + _scheduler.Rng.Next(50);
            int inc = link.Incarnation;
            _scheduler.After(delay, () => NotifyDown(link, otherSide, inc));
        }
    }

    // ------------------------------------------------------------------ transport operations

    public bool IsConnected(long me, long to)
    {
        var link = Link(me, to);
        return link.View[link.Side(me)];
    }

    public void Send(long from, long to, QuorumPacket packet)
    {
        PacketsSent++;
        var link = Link(from, to);
        int s = link.Side(from);
        if (!link.Up || !link.View[s])
        {
            PacketsDropped++;
            return;
        }
        int r = 1 - s;
        long t = _scheduler.Now + _scheduler.Rng.Next(_config.MaxPacketDelayMs + 1) + Extra(from) + Extra(to);
        t = Math.Max(t, Math.Max(link.LastDelivery[s], link.ViewUpAt[r]));
        link.LastDelivery[s] = t;
        int inc = link.Incarnation;
        _scheduler.At(t, () =>
        {
            if (link.Incarnation != inc || !link.Up || !link.View[r])
            {
                PacketsDropped++;
                return;
            }
            PacketsDelivered++;
            _endpoints[to]?.Listener?.OnPacket(from, packet);
        });
    }

    public void Disconnect(long me, long to)
    {
        _trace.Add(_scheduler.Now, me, "disconnect", to);
        Break(Link(me, to));
    }

    // ------------------------------------------------------------------ faults

    /// <summary>Breaks a link (both ends hear of it); it comes back by itself.</summary>
    public void Break(SimLink link)
    {
        int inc = link.Incarnation;
        if (link.Up)
        {
            link.Up = false;
            LinkBreaks++;
            _trace.Add(_scheduler.Now, link.A, "link-break", link.B, inc);
            for (int side = 0; side < 2; side++)
            {
                int sd = side;
                if (link.View[sd]) _scheduler.After(_scheduler.Rng.Next(6), () => NotifyDown(link, sd, inc));
            }
        }
        else
        {
            // Half-open (the other end died silently): this end learns now.
            for (int side = 0; side < 2; side++)
            {
                int sd = side;
                if (link.View[sd]) _scheduler.After(_scheduler.Rng.Next(2), () => NotifyDown(link, sd, inc));
            }
        }
        ScheduleReconnect(link, _config.ReconnectMinMs + _scheduler.Rng.Next(_config.ReconnectSpreadMs));
    }

    /// <summary>Cuts <paramref name="side"/> off from everyone else until <see cref="Heal"/>.</summary>
    public void Partition(IReadOnlyCollection<long> side)
    {
        _trace.Add(_scheduler.Now, 0, "partition", text: string.Join(",", side));
        foreach (long id in _ids) _group[id] = side.Contains(id) ? 1 : 0;
        foreach (var link in _links.Values)
        {
            if (_group[link.A] != _group[link.B] && (link.Up || link.View[0] || link.View[1])) Break(link);
        }
    }

    /// <summary>Scenario: the link between two servers breaks and stays down until <see cref="Unblock"/>.</summary>
    public void Block(long a, long b)
    {
        var link = Link(a, b);
        _blocked.Add((link.A, link.B));
        _trace.Add(_scheduler.Now, a, "block", b);
        Break(link);
    }

    public void Unblock(long a, long b)
    {
        var link = Link(a, b);
        if (_blocked.Remove((link.A, link.B))) ScheduleReconnect(link, 1);
    }

    public void Heal()
    {
        if (!Partitioned) return;
        _trace.Add(_scheduler.Now, 0, "heal");
        foreach (long id in _ids) _group[id] = 0;
        foreach (var link in _links.Values) if (!link.Up) ScheduleReconnect(link, 1 + _scheduler.Rng.Next(_config.ReconnectSpreadMs));
    }

    /// <summary>Packets from or to <paramref name="node"/> take <paramref name="extraMs"/> longer until <paramref name="until"/>.</summary>
    public void Slow(long node, long until, int extraMs)
    {
        _trace.Add(_scheduler.Now, node, "slow", until, extraMs);
        _slow[node] = (until, extraMs);
    }

    public void ClearSlow() => _slow.Clear();

    // ------------------------------------------------------------------ internals

    private int Extra(long node) => _slow.TryGetValue(node, out var s) && s.Until > _scheduler.Now ? _scheduler.Rng.Next(s.Extra + 1) : 0;

    private void ScheduleReconnect(SimLink link, long delay)
    {
        if (link.ReconnectPending) return;
        link.ReconnectPending = true;
        _scheduler.After(delay, () => TryEstablish(link));
    }

    private void TryEstablish(SimLink link)
    {
        link.ReconnectPending = false;
        if (link.Up) return;
        var ea = _endpoints[link.A];
        var eb = _endpoints[link.B];
        if (ea is null || eb is null || _group[link.A] != _group[link.B] || _blocked.Contains((link.A, link.B))) return; // NodeUp, Heal or Unblock tries again
        // An end still holding the previous incarnation (its peer died silently and came back) learns it is gone first.
        for (int side = 0; side < 2; side++) NotifyDown(link, side, link.Incarnation);
        link.Incarnation++;
        link.Up = true;
        int inc = link.Incarnation;
        link.LastDelivery[0] = link.LastDelivery[1] = _scheduler.Now;
        _trace.Add(_scheduler.Now, link.A, "link-up", link.B, inc);
        for (int side = 0; side < 2; side++)
        {
            int sd = side;
            long t = _scheduler.Now + 1 + _scheduler.Rng.Next(4);
            link.ViewUpAt[sd] = t;
            _scheduler.At(t, () =>
            {
                if (link.Incarnation != inc || !link.Up) return;
                var e = _endpoints[link.NodeAt(sd)];
                if (e is null) return;
                link.View[sd] = true;
                e.Listener?.OnLinkUp(link.NodeAt(1 - sd));
            });
        }
    }

    private void NotifyDown(SimLink link, int side, int inc)
    {
        if (link.Incarnation != inc || !link.View[side]) return;
        link.View[side] = false;
        _endpoints[link.NodeAt(side)]?.Listener?.OnLinkDown(link.NodeAt(1 - side));
    }
}
