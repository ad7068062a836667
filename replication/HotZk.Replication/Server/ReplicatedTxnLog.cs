using System.Globalization;
using HotZk.Engine.Storage;
using HotZk.Replication.Zab;

namespace HotZk.Replication.Server;

/// <summary>
/// The server's txn log seen from both sides: to the engine it is an <see cref="ITxnLog"/> whose
/// appends become ZAB proposals and whose "durable" means committed by a quorum; to the ZAB peer it
/// is the <see cref="IReplicatedLog"/> it appends proposals to, with the epochs and snapshots.
/// </summary>
public sealed class ReplicatedTxnLog : ITxnLog, IReplicatedLog
{
    private readonly FileTxnLog _log;
    private readonly ISnapshotStore _snapshots;
    private readonly string _epochDir;
    // Zxids in the log, ascending (8 B per txn): answers Contains / LastBefore for a learner's sync without reading segments.
    private readonly List<long> _zxids = [];
    private readonly object _indexLock = new();
    private ITxnLogListener? _engine;
    private long _acceptedEpoch;
    // A member synced by SNAP holds the image's zxid even while its log is empty.
    private long _snapshotFloor;
    private long _currentEpoch;

    /// <summary>Wraps <paramref name="log"/> and <paramref name="snapshots"/>; epochs live in <paramref name="epochDir"/>.</summary>
    public ReplicatedTxnLog(FileTxnLog log, ISnapshotStore snapshots, string epochDir)
    {
        _log = log;
        _snapshots = snapshots;
        _epochDir = epochDir;
        foreach (var logged in log.ReadAfter(0)) _zxids.Add(logged.Zxid);
        _snapshotFloor = Math.Max(0, NewestSnapshotZxid);
        long fallback = Math.Max(log.LastAppendedZxid, _snapshots.ListCandidates() is { Count: > 0 } s ? s[0].Zxid : 0) >>> 32;
        _currentEpoch = ReadEpoch("currentEpoch", fallback);
        _acceptedEpoch = Math.Max(ReadEpoch("acceptedEpoch", _currentEpoch), _currentEpoch);
    }

    /// <summary>Where the peer hears about durability (the log's own listener is this object's).</summary>
    public IZabEvents? Peer { get; set; }

    /// <summary>The engine's view: committed txns are reported to it as durable.</summary>
    public ITxnLogListener? EngineListener => _engine;

    // ---------------------------------------------------------------- ITxnLog (engine side)

    /// <summary>Set by the peer's driver: where the engine's appends (a leader's prepped txns) go.</summary>
    public Action<long, ReadOnlyMemory<byte>>? Proposer { get; set; }

    long ITxnLog.LastAppendedZxid => _log.LastAppendedZxid;

    long ITxnLog.DurableZxid => _log.DurableZxid;

    ITxnLogListener? ITxnLog.Listener
    {
        get => _engine;
        set => _engine = value;
    }

    long ITxnLog.BytesSinceRoll => _log.BytesSinceRoll;

    void ITxnLog.Append(long zxid, ReadOnlySpan<byte> txn) => Proposer?.Invoke(zxid, txn.ToArray());

    void ITxnLog.Flush() => _log.Flush();

    IEnumerable<LoggedTxn> ITxnLog.ReadAfter(long afterZxid) => _log.ReadAfter(afterZxid);

    void ITxnLog.TruncateAfter(long zxid) => TruncateAfter(zxid);

    void ITxnLog.Roll() => _log.Roll();

    void ITxnLog.PurgeBefore(long zxid) => _log.PurgeBefore(zxid);

    /// <inheritdoc/>
    public void Dispose()
    {
        // The host owns the file log.
    }

    // ---------------------------------------------------------------- IReplicatedLog (peer side)

    /// <inheritdoc/>
    public long LastLoggedZxid => Math.Max(_log.LastAppendedZxid, _snapshotFloor);

    /// <inheritdoc/>
    public long DurableZxid => Math.Max(_log.DurableZxid, _snapshotFloor);

    /// <inheritdoc/>
    public long FirstLoggedZxid
    {
        get
        {
            lock (_indexLock)
            {
                TrimPurged();
                return _zxids.Count == 0 ? 0 : _zxids[0];
            }
        }
    }

    /// <inheritdoc/>
    public void Append(long zxid, ReadOnlyMemory<byte> txn)
    {
        _log.Append(zxid, txn.Span);
        lock (_indexLock) _zxids.Add(zxid);
    }

    /// <inheritdoc/>
    public void Flush() => _log.Flush();

    /// <inheritdoc/>
    public bool Contains(long zxid)
    {
        lock (_indexLock)
        {
            TrimPurged();
            return _zxids.BinarySearch(zxid) >= 0;
        }
    }

    /// <inheritdoc/>
    public long LastBefore(long zxid)
    {
        lock (_indexLock)
        {
            TrimPurged();
            int i = _zxids.BinarySearch(zxid);
            if (i < 0) i = ~i;
            return i == 0 ? 0 : _zxids[i - 1];
        }
    }

    /// <inheritdoc/>
    public IEnumerable<(long Zxid, ReadOnlyMemory<byte> Txn)> ReadAfter(long afterZxid)
    {
        foreach (var t in _log.ReadAfter(afterZxid)) yield return (t.Zxid, t.Txn);
    }

    /// <inheritdoc/>
    public void TruncateAfter(long zxid)
    {
        TruncateLogAfter(zxid);
        // A snapshot past the cut holds txns the ensemble never committed: recovery must not load it.
        foreach (var snap in _snapshots.ListCandidates())
        {
            if (snap.Zxid > zxid) File.Delete(snap.Path);
        }
        _snapshotFloor = Math.Min(_snapshotFloor, zxid);
    }

    private void TruncateLogAfter(long zxid)
    {
        _log.TruncateAfter(zxid);
        lock (_indexLock)
        {
            int i = _zxids.BinarySearch(zxid);
            i = i < 0 ? ~i : i + 1;
            _zxids.RemoveRange(i, _zxids.Count - i);
        }
    }

    /// <inheritdoc/>
    public long AcceptedEpoch
    {
        get => _acceptedEpoch;
        set
        {
            WriteEpoch("acceptedEpoch", value);
            _acceptedEpoch = value;
        }
    }

    /// <inheritdoc/>
    public long CurrentEpoch
    {
        get => _currentEpoch;
        set
        {
            WriteEpoch("currentEpoch", value);
            _currentEpoch = value;
        }
    }

    /// <inheritdoc/>
    public long NewestSnapshotZxid => _snapshots.ListCandidates() is { Count: > 0 } s ? s[0].Zxid : -1;

    /// <inheritdoc/>
    public Stream OpenNewestSnapshot() => _snapshots.Open(_snapshots.ListCandidates()[0]);

    /// <inheritdoc/>
    public void InstallSnapshot(long zxid, Stream image)
    {
        _snapshots.Save(zxid, s => image.CopyTo(s));
        // The leader's history continues after the image: nothing logged here before it may be replayed over it.
        TruncateLogAfter(0);
        foreach (var snap in _snapshots.ListCandidates())
        {
            if (snap.Zxid != zxid) File.Delete(snap.Path);
        }
        _snapshotFloor = zxid;
    }

    /// <summary>Listener for the file log: durability goes to the peer.</summary>
    public ITxnLogListener FileLogListener => new Relay(this);

    private void TrimPurged()
    {
        long first = _log.FirstZxid;
        int n = 0;
        while (n < _zxids.Count && _zxids[n] < first) n++;
        if (n > 0) _zxids.RemoveRange(0, n);
    }

    private long ReadEpoch(string name, long fallback)
    {
        string path = Path.Combine(_epochDir, name);
        if (!File.Exists(path)) return fallback;
        string text = File.ReadAllText(path).Trim();
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw new InvalidDataException($"{path} does not hold an epoch number: '{text}'");
    }

    /// <summary>ZooKeeper's format (decimal text), written to a temp file, fsync'd and renamed: a crash leaves the old or the new value.</summary>
    private void WriteEpoch(string name, long value)
    {
        Directory.CreateDirectory(_epochDir);
        string path = Path.Combine(_epochDir, name);
        string tmp = path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            f.Write(System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)));
            f.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        NativeFile.SyncDirectory(_epochDir);
    }

    private sealed class Relay(ReplicatedTxnLog owner) : ITxnLogListener
    {
        public void OnDurable(long zxid) => owner.Peer?.OnDurable(zxid);

        public void OnFailed(long fromZxid, long toZxid, Exception error) => owner.Peer?.OnLogFailed(fromZxid, error);
    }
}
