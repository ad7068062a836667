using HotZk.Replication.Election;

namespace HotZk.Replication.Tests.Election;

/// <summary>
/// A tiny deterministic network for <see cref="FastLeaderElection"/>: messages wait in one pool and
/// are delivered in an order picked by a seeded <see cref="Random"/>, may be lost or duplicated, and
/// simulated time advances (ticking every running member) when the pool is empty or, now and then,
/// while messages are still in flight (so they arrive late).
/// </summary>
internal sealed class ElectionSimulation
{
    private readonly Random _rng;
    private readonly double _lossRate;
    private readonly double _duplicateRate;
    private readonly List<(long From, long To, byte[] Bytes)> _inFlight = [];
    private readonly Dictionary<long, FastLeaderElection> _members = [];
    private readonly List<long> _running = [];
    private readonly Dictionary<long, List<ElectionResult>> _decisions = [];

    public ElectionSimulation(int seed, double lossRate = 0, double duplicateRate = 0)
    {
        _rng = new Random(seed);
        _lossRate = lossRate;
        _duplicateRate = duplicateRate;
    }

    public long NowMs { get; private set; }

    public int TickMs { get; init; } = 10;

    public int MessagesDelivered { get; private set; }

    public FastLeaderElection this[long id] => _members[id];

    /// <summary>Adds a member; voters and observers together are the ensemble.</summary>
    public void AddEnsemble(IReadOnlyCollection<long> voters, IReadOnlyCollection<long> observers, int finalizeWaitMs = 200,
        int maxNotificationIntervalMs = 60_000)
    {
        var all = voters.Concat(observers).ToArray();
        foreach (long id in all)
        {
            long self = id;
            var peers = all.Where(p => p != self).ToArray();
            _members[id] = new FastLeaderElection(id, voters, peers, (to, n) => Send(self, to, n), finalizeWaitMs, maxNotificationIntervalMs);
        }
    }

    public void Start(long id, long lastZxid, long currentEpoch)
    {
        if (!_running.Contains(id))
            _running.Add(id);
        _members[id].Start(lastZxid, currentEpoch, NowMs);
    }

    public IReadOnlyList<ElectionResult> DecisionsOf(long id) =>
        _decisions.TryGetValue(id, out var list) ? list : [];

    /// <summary>Runs until every member in <paramref name="ids"/> has decided, or the time limit passes.</summary>
    public bool RunUntilDecided(IEnumerable<long> ids, long maxSimulatedMs)
    {
        var waitingFor = ids.ToArray();
        return RunUntil(() => waitingFor.All(id => _decisions.ContainsKey(id)), maxSimulatedMs);
    }

    public bool RunUntil(Func<bool> done, long maxSimulatedMs)
    {
        long limit = NowMs + maxSimulatedMs;
        while (!done())
        {
            if (_inFlight.Count > 0 && _rng.NextDouble() >= 0.1)
            {
                DeliverOne();
                continue;
            }
            if (NowMs >= limit)
                return false;
            NowMs += TickMs;
            foreach (long id in _running.OrderBy(_ => _rng.Next()).ToArray())
                Record(id, _members[id].OnTick(NowMs));
        }
        return true;
    }

    private void DeliverOne()
    {
        int index = _rng.Next(_inFlight.Count);
        var (from, to, bytes) = _inFlight[index];
        _inFlight[index] = _inFlight[^1];
        _inFlight.RemoveAt(_inFlight.Count - 1);
        if (!_running.Contains(to))
            return; // a member that is down loses what is sent to it
        MessagesDelivered++;
        Record(to, _members[to].OnNotification(from, Notification.Decode(bytes), NowMs));
    }

    private void Send(long from, long to, Notification n)
    {
        if (_rng.NextDouble() < _lossRate)
            return;
        // Through the codec, so the wire form is exercised too.
        var bytes = n.Encode();
        _inFlight.Add((from, to, bytes));
        if (_rng.NextDouble() < _duplicateRate)
            _inFlight.Add((from, to, bytes));
    }

    private void Record(long id, ElectionResult? result)
    {
        if (result is null)
            return;
        if (!_decisions.TryGetValue(id, out var list))
            _decisions[id] = list = [];
        list.Add(result.Value);
    }
}
