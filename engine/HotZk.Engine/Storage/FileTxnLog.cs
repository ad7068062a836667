namespace HotZk.Engine.Storage;

/// <summary>
/// The txn log as preallocated, checksummed segment files under <c>dataLogDir/hotzk-log</c>,
/// written by a group-commit flusher thread (one write + one fdatasync per batch).
/// </summary>
/// <remarks>
/// <para>Concurrency: <see cref="Append"/>, <see cref="Roll"/>, <see cref="Flush"/>, <see cref="TruncateAfter"/>,
/// <see cref="PurgeBefore"/> and <see cref="Dispose"/> are called by one writer thread. <see cref="ReadAfter"/>
/// may run on any thread and sees only durable txns. Listener callbacks run on the flusher thread
/// and must not call <see cref="Flush"/>, <see cref="TruncateAfter"/> or <see cref="Dispose"/>.</para>
/// <para>Failures: when a batch cannot be written or synced, it is reported through
/// <see cref="ITxnLogListener.OnFailed"/>, the segment is cut back to its last durable byte and
/// <see cref="LastAppendedZxid"/> falls back to <see cref="DurableZxid"/>. Txns appended on top of
/// the failed ones (zxid greater than the first failed zxid) are never written and are reported
/// failed as well, until the writer rewinds and appends a zxid no greater than the first failed
/// one (normally <c>DurableZxid + 1</c>); from then on appends are written normally again.</para>
/// </remarks>
public sealed partial class FileTxnLog : ITxnLog
{
    private readonly FileTxnLogOptions _options;
    private readonly string _directory;
    private readonly object _gate = new();   // pending buffer, counters, segment list
    private readonly object _ioLock = new(); // file mutations: flusher batches, truncate
    private readonly List<TxnLogSegment> _segments = new();
    private readonly Thread _flusher;

    private AppendBatch _pending;
    private AppendBatch _flushing;
    private TxnLogSegment? _current;
    private long _lastAppendedZxid;
    private long _durableZxid;
    private long _failedFrom;          // != 0: appends with zxid > this are doomed
    private bool _rollRequested;
    private long _appendedCount;
    private long _processedCount;
    private bool _flusherWaiting;
    private int _flushWaiters;
    private bool _stopping;
    private bool _disposed;
    private ITxnLogListener? _listener;
    private long _bytesSinceRoll;

    /// <inheritdoc/>
    public long BytesSinceRoll => _bytesSinceRoll;

    /// <summary>Opens (recovering) or creates the log in <see cref="FileTxnLogOptions.DataLogDir"/>.</summary>
    /// <exception cref="TxnLogCorruptException">The log has a hole or damage outside its torn tail.</exception>
    public FileTxnLog(FileTxnLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.PreallocationSize < 4096)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "PreallocationSize must be at least 4096 bytes.");
        }

        _options = options;
        _directory = Path.Combine(options.DataLogDir, TxnLogFormat.DirectoryName);
        _pending = new AppendBatch(options.InitialBufferSize);
        _flushing = new AppendBatch(options.InitialBufferSize);
        Recover();
        StartPreparer();
        _flusher = new Thread(FlusherLoop) { IsBackground = true, Name = "hotzk-txnlog-flusher" };
        _flusher.Start();
    }

    /// <summary>The segment directory (<c>dataLogDir/hotzk-log</c>).</summary>
    public string Directory => _directory;

    /// <inheritdoc/>
    public long LastAppendedZxid
    {
        get
        {
            lock (_gate)
            {
                return _lastAppendedZxid;
            }
        }
    }

    /// <inheritdoc/>
    public long DurableZxid => Volatile.Read(ref _durableZxid);

    /// <summary>The first zxid of the oldest segment still on disk (0 when there is none): older txns were purged.</summary>
    public long FirstZxid
    {
        get
        {
            lock (_gate)
            {
                return _segments.Count == 0 ? 0 : _segments[0].StartZxid;
            }
        }
    }

    /// <inheritdoc/>
    public ITxnLogListener? Listener
    {
        get => Volatile.Read(ref _listener);
        set => Volatile.Write(ref _listener, value);
    }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The txn is empty or larger than <see cref="FileTxnLogOptions.MaxRecordSize"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The zxid does not follow <see cref="LastAppendedZxid"/>.</exception>
    public void Append(long zxid, ReadOnlySpan<byte> txn)
    {
        if (txn.IsEmpty || txn.Length > _options.MaxRecordSize)
        {
            ThrowBadTxnLength(txn.Length);
        }

        _bytesSinceRoll += txn.Length;

        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_failedFrom != 0)
            {
                if (zxid > _failedFrom)
                {
                    // Built on txns that never became durable: must not reach the disk.
                    _pending.AddDoomed(zxid);
                    Enqueued();
                    return;
                }

                _failedFrom = 0; // the writer rewound
            }

            if (_lastAppendedZxid != 0
                ? !TxnLogFormat.IsValidSuccessor(_lastAppendedZxid, zxid, _options.RequireContiguousZxids)
                : zxid <= 0)
            {
                ThrowBadZxid(zxid, _lastAppendedZxid);
            }

            _pending.Add(zxid, txn, _rollRequested);
            _rollRequested = false;
            _lastAppendedZxid = zxid;
            Enqueued();
        }
    }

    /// <inheritdoc/>
    public void Flush()
    {
        lock (_gate)
        {
            long target = _appendedCount;
            _flushWaiters++;
            try
            {
                while (_processedCount < target)
                {
                    Monitor.Wait(_gate);
                }
            }
            finally
            {
                _flushWaiters--;
            }
        }
    }

    /// <inheritdoc/>
    public void Roll()
    {
        _bytesSinceRoll = 0;
        lock (_gate)
        {
            _rollRequested = true;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        _flusher.Join();
        StopPreparer();
        lock (_ioLock)
        {
            _current?.CloseHandle();
        }
    }

    // Called under _gate.
    private void Enqueued()
    {
        _appendedCount++;
        if (_flusherWaiting)
        {
            Monitor.PulseAll(_gate); // Flush waiters share the monitor; they re-check and sleep again
        }
    }

    private void Log(string message) => _options.Log?.Invoke(message);

    private static void ThrowBadTxnLength(int length) =>
        throw new ArgumentException($"A txn must hold 1..MaxRecordSize bytes (got {length}).", "txn");

    private static void ThrowBadZxid(long zxid, long last) =>
        throw new ArgumentOutOfRangeException(nameof(zxid), zxid,
            $"zxid 0x{zxid:x} does not follow the last appended zxid 0x{last:x} (must be larger, and consecutive within an epoch).");
}
