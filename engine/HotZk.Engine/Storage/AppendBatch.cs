namespace HotZk.Engine.Storage;

/// <summary>
/// One group-commit buffer: encoded records back to back, the points where a new segment must
/// start, and a run of "doomed" zxids (appended on top of a failed batch, never written).
/// Two instances swap between the appender and the flusher; both keep their storage.
/// </summary>
internal sealed class AppendBatch
{
    private byte[] _buffer;
    private readonly List<(int Offset, int Index, long Zxid)> _breaks = new(4);
    private readonly List<long> _recordZxids;

    public AppendBatch(int initialSize)
    {
        _buffer = new byte[Math.Max(4096, initialSize)];
        _recordZxids = new List<long>(1024);
    }

    public int Length { get; private set; }

    /// <summary>Number of records (not counting doomed ones).</summary>
    public int Count => _recordZxids.Count;

    public long FirstZxid => _recordZxids[0];

    public long LastZxid => _recordZxids[^1];

    public long DoomedFrom { get; private set; }

    public long DoomedTo { get; private set; }

    public int DoomedCount { get; private set; }

    /// <summary>Appends plus doomed appends: what the flusher must account for.</summary>
    public int TotalCount => Count + DoomedCount;

    public bool IsEmpty => TotalCount == 0;

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, Length);

    public List<(int Offset, int Index, long Zxid)> Breaks => _breaks;

    public long ZxidAt(int index) => _recordZxids[index];

    public void Add(long zxid, ReadOnlySpan<byte> txn, bool startsSegment)
    {
        int size = txn.Length + TxnLogFormat.RecordOverhead;
        if (Length + size > _buffer.Length)
        {
            Grow(Length + size);
        }

        if (startsSegment)
        {
            _breaks.Add((Length, _recordZxids.Count, zxid));
        }

        TxnLogFormat.WriteRecord(_buffer.AsSpan(Length, size), zxid, txn);
        Length += size;
        _recordZxids.Add(zxid);
    }

    public void AddDoomed(long zxid)
    {
        if (DoomedCount == 0)
        {
            DoomedFrom = zxid;
        }

        DoomedTo = zxid;
        DoomedCount++;
    }

    public void Clear()
    {
        Length = 0;
        _breaks.Clear();
        _recordZxids.Clear();
        DoomedCount = 0;
        DoomedFrom = 0;
        DoomedTo = 0;
    }

    private void Grow(int needed)
    {
        long size = Math.Max((long)_buffer.Length * 2, needed);
        var bigger = new byte[(int)Math.Min(size, Array.MaxLength)];
        _buffer.AsSpan(0, Length).CopyTo(bigger);
        _buffer = bigger;
    }
}
