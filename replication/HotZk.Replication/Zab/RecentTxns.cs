namespace HotZk.Replication.Zab;

/// <summary>
/// The last txns this member logged, in zxid order, kept across role changes: a new leader (or a
/// learner filling a gap) applies its uncommitted tail from here instead of scanning a log segment
/// from its start, so taking over costs the same whatever the size of the log.
/// </summary>
internal sealed class RecentTxns(int capacity, long maxBytes)
{
    private readonly Queue<(long Zxid, ReadOnlyMemory<byte> Txn)> _txns = new();
    private long _bytes;

    public void Add(long zxid, ReadOnlyMemory<byte> txn)
    {
        _txns.Enqueue((zxid, txn));
        _bytes += txn.Length;
        // Bounded in count and in bytes (1 MiB values must not pin gigabytes).
        while (_txns.Count > capacity || (_bytes > maxBytes && _txns.Count > 1)) _bytes -= _txns.Dequeue().Txn.Length;
    }

    /// <summary>Forgets txns after <paramref name="zxid"/> (TRUNC) — all of them for 0 (SNAP).</summary>
    public void TruncateAfter(long zxid)
    {
        if (_txns.Count == 0 || _txns.Last().Zxid <= zxid) return;
        var keep = _txns.Where(t => t.Zxid <= zxid).ToList();
        _txns.Clear();
        _bytes = 0;
        foreach (var t in keep)
        {
            _txns.Enqueue(t);
            _bytes += t.Txn.Length;
        }
    }

    /// <summary>
    /// The txns in (<paramref name="after"/>, <paramref name="upTo"/>] when every one of them is here
    /// (<paramref name="previousLogged"/> tells what the log holds just before the oldest kept one); otherwise null.
    /// </summary>
    public List<(long Zxid, ReadOnlyMemory<byte> Txn)>? Range(long after, long upTo, Func<long, long> previousLogged)
    {
        if (_txns.Count == 0) return null;
        long first = _txns.Peek().Zxid;
        if (first > after && previousLogged(first) > after) return null;
        var list = new List<(long, ReadOnlyMemory<byte>)>();
        foreach (var t in _txns)
        {
            if (t.Zxid > after && t.Zxid <= upTo) list.Add(t);
        }
        return list;
    }
}
