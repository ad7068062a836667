using HotZk.Replication.Zab;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// One server's disk: txn log, epochs and snapshots, surviving crashes of the server process.
/// Appends are volatile until a simulated fsync (1–5 ms later, longer while the disk stalls) makes
/// them durable and reports it; a crash keeps the durable prefix plus some random part of what was
/// written but never reported durable (it may or may not have reached the platter). Epochs and
/// snapshots are durable when written, as the real files are fsync'd before the call returns.
/// Mirrors <c>ReplicatedTxnLog</c> over <c>FileTxnLog</c>: zxids must be contiguous within an
/// epoch, reads see durable txns only, and an empty log reports 0 as its last zxid.
/// </summary>
internal sealed class SimLog(long nodeId, SimScheduler scheduler, SimTrace trace, bool lyingDisk = false) : IReplicatedLog
{
    private readonly List<(long Zxid, byte[] Txn)> _txns = [];
    // Ascending by zxid.
    private readonly List<(long Zxid, byte[] Image)> _snapshots = [];
    private int _durable;
    private bool _fsyncPending;
    private object _owner = new();
    private int _fsyncToken;
    private Action<long>? _onDurable;
    private Action<long, Exception>? _onFailed;
    private bool _failNextSync;
    // != 0: the sync of txns from this zxid on failed; appends above it are doomed until the writer rewinds (FileTxnLog's rule).
    private long _failedFrom;
    private long _acceptedEpoch;
    private long _currentEpoch;

    /// <summary>Disk stall fault: no fsync completes before this time.</summary>
    public long StalledUntil { get; set; }

    public long DurableZxid => Math.Max(_durable == 0 ? 0 : _txns[_durable - 1].Zxid, _snapshotFloor);

    // As ReplicatedTxnLog: a member synced by SNAP holds the image's zxid even while its log is empty.
    private long _snapshotFloor;

    public int Count => _txns.Count;

    /// <summary>Leader images installed (SNAP syncs).</summary>
    public int SnapInstalls { get; private set; }

    /// <summary>Truncations that dropped txns (TRUNC syncs, mostly).</summary>
    public int Truncations { get; private set; }

    public IReadOnlyList<(long Zxid, byte[] Image)> Snapshots => _snapshots;

    /// <summary>A new server process owns the disk: durability reports go to it (and no longer to a dead one).</summary>
    public void Attach(Action<long> onDurable, Action<long, Exception> onFailed)
    {
        _owner = new object();
        _onDurable = onDurable;
        _onFailed = onFailed;
        _fsyncPending = false;
        if (_durable < _txns.Count) ScheduleFsync();
    }

    /// <summary>The process died: the page cache is gone, except a random prefix of it that made it to disk anyway.</summary>
    public void Crash(Random rng, bool? keepUnsynced = null)
    {
        _owner = new object();
        _onDurable = null;
        _onFailed = null;
        _fsyncPending = false;
        _failNextSync = false;
        _failedFrom = 0;
        if (lyingDisk && _durable > 0)
        {
            // Not a crash model: a disk that acknowledged writes it then lost (only to prove the checkers notice).
            int lost = 1 + rng.Next(Math.Min(_durable, 5));
            _durable -= lost;
            trace.Add(scheduler.Now, nodeId, "disk-lie", lost);
        }
        int volatileCount = _txns.Count - _durable;
        if (volatileCount == 0) return;
        int survive = keepUnsynced switch
        {
            true => volatileCount,
            false => 0,
            null => rng.Next(3) == 0 ? rng.Next(volatileCount + 1) : 0,
        };
        _txns.RemoveRange(_durable + survive, volatileCount - survive);
        _durable = _txns.Count;
        trace.Add(scheduler.Now, nodeId, "disk-crash", LastLoggedZxid, volatileCount - survive, $"lost {volatileCount - survive} of {volatileCount} unsynced txns");
    }

    public long LastLoggedZxid => Math.Max(_txns.Count == 0 ? 0 : _txns[^1].Zxid, _snapshotFloor);

    public long FirstLoggedZxid => _txns.Count == 0 ? 0 : _txns[0].Zxid;

    /// <summary>Disk error fault: the next sync fails (the unsynced txns are cut off and reported failed).</summary>
    public void FailNextSync()
    {
        _failNextSync = true;
        trace.Add(scheduler.Now, nodeId, "disk-error-armed");
    }

    public void Append(long zxid, ReadOnlyMemory<byte> txn)
    {
        if (_failedFrom != 0)
        {
            if (zxid > _failedFrom)
            {
                // Built on txns that never became durable: never written, reported failed.
                trace.Add(scheduler.Now, nodeId, "append-doomed", zxid, _failedFrom);
                ReportFailed(zxid);
                return;
            }
            _failedFrom = 0;
        }
        long last = _txns.Count == 0 ? 0 : _txns[^1].Zxid;
        bool valid = last != 0 ? IsValidSuccessor(last, zxid) : zxid > 0;
        if (!valid) throw new ArgumentOutOfRangeException(nameof(zxid), $"zxid 0x{zxid:x} does not follow 0x{last:x} (node {nodeId})");
        if (txn.IsEmpty) throw new ArgumentException("empty txn", nameof(txn));
        _txns.Add((zxid, txn.ToArray()));
        ScheduleFsync();
    }

    /// <summary>FileTxnLog's rule (RequireContiguousZxids): larger, and the next counter within an epoch.</summary>
    public static bool IsValidSuccessor(long previous, long next) =>
        next > previous && ((next >>> 32) != (previous >>> 32) || next == previous + 1);

    public void Flush()
    {
        if (_durable == _txns.Count) return;
        // FileTxnLog.Flush waits for the flusher and returns normally even when the batch failed (the failure goes to the listener).
        if (_failNextSync)
        {
            FailUnsynced();
            return;
        }
        _durable = _txns.Count;
        // The real flusher still reports the batch to the peer loop afterwards, possibly after the caller moved on (e.g. truncated).
        long zxid = LastLoggedZxid;
        var owner = _owner;
        scheduler.After(scheduler.Rng.Next(2), () =>
        {
            if (ReferenceEquals(owner, _owner)) _onDurable?.Invoke(zxid);
        });
    }

    public bool Contains(long zxid) => IndexOf(zxid) >= 0;

    public long LastBefore(long zxid)
    {
        int i = LowerBound(zxid);
        return i == 0 ? 0 : _txns[i - 1].Zxid;
    }

    public IEnumerable<(long Zxid, ReadOnlyMemory<byte> Txn)> ReadAfter(long afterZxid)
    {
        var result = new List<(long, ReadOnlyMemory<byte>)>();
        for (int i = LowerBound(afterZxid + 1); i < _durable; i++) result.Add((_txns[i].Zxid, _txns[i].Txn));
        return result;
    }

    public void TruncateAfter(long zxid)
    {
        Flush();
        int keep = LowerBound(zxid + 1);
        if (keep < _txns.Count)
        {
            trace.Add(scheduler.Now, nodeId, "log-trunc", zxid, _txns.Count - keep);
            Truncations++;
            _txns.RemoveRange(keep, _txns.Count - keep);
        }
        _durable = _txns.Count;
        _failedFrom = 0;
        _snapshots.RemoveAll(s => s.Zxid > zxid);
        _snapshotFloor = Math.Min(_snapshotFloor, zxid);
    }

    public long AcceptedEpoch
    {
        get => _acceptedEpoch;
        set
        {
            trace.Add(scheduler.Now, nodeId, "accepted-epoch", value);
            _acceptedEpoch = value;
        }
    }

    public long CurrentEpoch
    {
        get => _currentEpoch;
        set
        {
            trace.Add(scheduler.Now, nodeId, "current-epoch", value);
            _currentEpoch = value;
        }
    }

    public long NewestSnapshotZxid => _snapshots.Count == 0 ? -1 : _snapshots[^1].Zxid;

    public Stream OpenNewestSnapshot() => new MemoryStream(_snapshots[^1].Image, writable: false);

    public void InstallSnapshot(long zxid, Stream image)
    {
        var ms = new MemoryStream();
        image.CopyTo(ms);
        trace.Add(scheduler.Now, nodeId, "snap-install", zxid, ms.Length);
        SnapInstalls++;
        _snapshots.Clear();
        _snapshots.Add((zxid, ms.ToArray()));
        Flush();
        _txns.Clear();
        _durable = 0;
        _failedFrom = 0;
        _snapshotFloor = zxid;
    }

    /// <summary>The state machine wrote a snapshot (the engine's snapCount rule, or a leader with none).</summary>
    public void SaveSnapshot(long zxid, byte[] image)
    {
        trace.Add(scheduler.Now, nodeId, "snap-save", zxid, image.Length);
        _snapshots.RemoveAll(s => s.Zxid == zxid);
        int i = _snapshots.FindIndex(s => s.Zxid > zxid);
        if (i < 0) _snapshots.Add((zxid, image));
        else _snapshots.Insert(i, (zxid, image));
    }

    /// <summary>Autopurge: keep the newest <paramref name="retain"/> images and the durable log needed to replay after the oldest of them.</summary>
    public void Purge(int retain)
    {
        if (_snapshots.Count > retain) _snapshots.RemoveRange(0, _snapshots.Count - retain);
        if (_snapshots.Count == 0) return;
        long oldest = _snapshots[0].Zxid;
        // Whole segments go in the real log; dropping single durable txns below the image is the same as far as ZAB can tell.
        int n = Math.Min(LowerBound(oldest), _durable);
        if (n == 0) return;
        trace.Add(scheduler.Now, nodeId, "log-purge", oldest, n);
        _txns.RemoveRange(0, n);
        _durable -= n;
    }

    /// <summary>All txns, durable or not (for checks and diagnostics).</summary>
    public IReadOnlyList<(long Zxid, byte[] Txn)> Txns => _txns;

    /// <summary>The disk is healthy again: a sync waiting out the stall completes soon.</summary>
    public void EndStall()
    {
        StalledUntil = 0;
        if (!_fsyncPending) return;
        _fsyncPending = false;
        _fsyncToken++;
        ScheduleFsync();
    }

    private void ScheduleFsync()
    {
        if (_fsyncPending || _onDurable is null) return;
        _fsyncPending = true;
        var owner = _owner;
        int token = _fsyncToken;
        var rng = scheduler.Rng;
        long at = Math.Max(scheduler.Now + 1 + rng.Next(5), StalledUntil);
        scheduler.At(at, () =>
        {
            if (!ReferenceEquals(owner, _owner) || token != _fsyncToken) return;
            _fsyncPending = false;
            if (scheduler.Now < StalledUntil)
            {
                ScheduleFsync();
                return;
            }
            if (_durable == _txns.Count) return;
            if (_failNextSync)
            {
                FailUnsynced();
                return;
            }
            _durable = _txns.Count;
            _onDurable?.Invoke(LastLoggedZxid);
        });
    }

    /// <summary>The sync failed: the unsynced txns are cut off (LastLoggedZxid falls back) and reported failed.</summary>
    private void FailUnsynced()
    {
        _failNextSync = false;
        long from = _txns[_durable].Zxid;
        trace.Add(scheduler.Now, nodeId, "disk-error", from, _txns.Count - _durable);
        _txns.RemoveRange(_durable, _txns.Count - _durable);
        _failedFrom = from;
        ReportFailed(from);
    }

    private void ReportFailed(long from)
    {
        var owner = _owner;
        scheduler.After(0, () =>
        {
            if (ReferenceEquals(owner, _owner)) _onFailed?.Invoke(from, new IOException("simulated disk error"));
        });
    }

    private int IndexOf(long zxid)
    {
        int i = LowerBound(zxid);
        return i < _txns.Count && _txns[i].Zxid == zxid ? i : -1;
    }

    /// <summary>Index of the first txn with zxid ≥ <paramref name="zxid"/>.</summary>
    private int LowerBound(long zxid)
    {
        int lo = 0, hi = _txns.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_txns[mid].Zxid < zxid) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }
}
