namespace HotZk.Engine.Sessions;

/// <summary>
/// Live sessions and their tick-bucketed expiry (deadline rounded up to the next tick).
/// Engine-thread only.
/// </summary>
public sealed class SessionTracker
{
    private readonly Dictionary<long, Session> _sessions = [];
    private readonly SortedDictionary<long, HashSet<Session>> _buckets = [];
    private readonly int _tickTime;
    private long _nextId;

    /// <summary>Creates a tracker for server <paramref name="serverId"/>.</summary>
    public SessionTracker(int tickTime, long serverId, long nowMs)
    {
        _tickTime = tickTime;
        // Same layout as Apache ZooKeeper: server id in the top byte, a clock in the middle, a counter below.
        long next = ((nowMs << 24) >>> 8) | (serverId << 56);
        if (next == long.MinValue) next++;
        _nextId = next;
    }

    /// <summary>All sessions.</summary>
    public IReadOnlyDictionary<long, Session> Sessions => _sessions;

    /// <summary>Number of sessions.</summary>
    public int Count => _sessions.Count;

    /// <summary>Expiry buckets (for the dump 4lw).</summary>
    public IEnumerable<KeyValuePair<long, HashSet<Session>>> Buckets => _buckets;

    /// <summary>Allocates a fresh session id.</summary>
    public long NextSessionId()
    {
        long id;
        do id = _nextId++; while (_sessions.ContainsKey(id) || id == 0 || id == long.MinValue);
        return id;
    }

    /// <summary>Finds a session.</summary>
    public Session? Get(long id) => _sessions.TryGetValue(id, out var s) ? s : null;

    /// <summary>Adds a session and arms its expiry.</summary>
    public Session Add(long id, int timeout, long nowMs)
    {
        if (_sessions.TryGetValue(id, out var existing))
        {
            existing.Timeout = timeout;
            Touch(existing, nowMs);
            return existing;
        }
        var s = new Session(id, timeout);
        _sessions[id] = s;
        Touch(s, nowMs);
        return s;
    }

    /// <summary>Pushes a session's deadline out by its timeout.</summary>
    public void Touch(Session s, long nowMs)
    {
        long deadline = RoundUp(nowMs + s.Timeout);
        if (deadline == s.ExpireAt) return;
        if (s.ExpireAt != 0 && _buckets.TryGetValue(s.ExpireAt, out var old))
        {
            old.Remove(s);
            if (old.Count == 0) _buckets.Remove(s.ExpireAt);
        }
        s.ExpireAt = deadline;
        if (!_buckets.TryGetValue(deadline, out var set))
        {
            set = [];
            _buckets[deadline] = set;
        }
        set.Add(s);
    }

    /// <summary>Forgets a session.</summary>
    public void Remove(long id)
    {
        if (!_sessions.Remove(id, out var s)) return;
        if (_buckets.TryGetValue(s.ExpireAt, out var set))
        {
            set.Remove(s);
            if (set.Count == 0) _buckets.Remove(s.ExpireAt);
        }
    }

    /// <summary>Sessions whose deadline is at or before <paramref name="nowMs"/>.</summary>
    public List<Session> CollectExpired(long nowMs)
    {
        var expired = new List<Session>();
        while (_buckets.Count > 0)
        {
            long first = FirstKey();
            if (first > nowMs) break;
            var set = _buckets[first];
            _buckets.Remove(first);
            foreach (var s in set)
            {
                s.ExpireAt = 0;
                expired.Add(s);
            }
        }
        return expired;
    }

    private long FirstKey()
    {
        foreach (var k in _buckets.Keys) return k;
        return long.MaxValue;
    }

    private long RoundUp(long t) => ((t / _tickTime) + 1) * _tickTime;
}
