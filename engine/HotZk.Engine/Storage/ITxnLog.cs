namespace HotZk.Engine.Storage;

/// <summary>
/// The write-ahead transaction log. One writer thread (the engine's, or a ZAB follower's) appends
/// serialized txns in strictly increasing zxid order; a background flusher group-commits them
/// (one write + one fdatasync per batch) and reports durability through <see cref="ITxnLogListener"/>.
/// </summary>
/// <remarks>
/// <see cref="Append"/> copies the bytes and returns at once; it never blocks on I/O.
/// Listener callbacks arrive on the flusher thread, in zxid order, one call per batch.
/// </remarks>
public interface ITxnLog : IDisposable
{
    /// <summary>The highest zxid handed to <see cref="Append"/> (or recovered from disk).</summary>
    long LastAppendedZxid { get; }

    /// <summary>The highest zxid known to be on stable storage.</summary>
    long DurableZxid { get; }

    /// <summary>Receives durability and failure reports. Set once, before the first append.</summary>
    ITxnLogListener? Listener { get; set; }

    /// <summary>
    /// Queues one txn for the next group commit. <paramref name="txn"/> is the jute-serialized
    /// TxnHeader + txn record (+ optional digest) exactly as ZooKeeper logs it.
    /// </summary>
    void Append(long zxid, ReadOnlySpan<byte> txn);

    /// <summary>Blocks until everything appended so far is durable (or has failed). For shutdown and tests.</summary>
    void Flush();

    /// <summary>Reads every valid txn with zxid &gt; <paramref name="afterZxid"/>, in order.</summary>
    IEnumerable<LoggedTxn> ReadAfter(long afterZxid);

    /// <summary>Removes every txn with zxid &gt; <paramref name="zxid"/> (ZAB TRUNC). Nothing may be in flight.</summary>
    void TruncateAfter(long zxid);

    /// <summary>Starts a new segment file at the next append (called after a snapshot).</summary>
    void Roll();

    /// <summary>
    /// Bytes of txn records appended since the last <see cref="Roll"/> (or since opening): the log
    /// size that ZooKeeper's <c>snapSizeLimitInKb</c> compares. A log that does not track it reports 0.
    /// </summary>
    long BytesSinceRoll => 0;

    /// <summary>Deletes whole segments whose txns all have zxid &lt;= <paramref name="zxid"/> and which are not needed to replay after it.</summary>
    void PurgeBefore(long zxid);
}

/// <summary>Callbacks from the log's flusher.</summary>
public interface ITxnLogListener
{
    /// <summary>Every txn with zxid &lt;= <paramref name="zxid"/> is now durable.</summary>
    void OnDurable(long zxid);

    /// <summary>
    /// The batch holding txns <paramref name="fromZxid"/>..<paramref name="toZxid"/> could not be made
    /// durable (disk full, I/O error). Those txns are not in the log; later appends may succeed.
    /// </summary>
    void OnFailed(long fromZxid, long toZxid, Exception error);
}

/// <summary>One txn read back from the log.</summary>
/// <param name="Zxid">Its zxid.</param>
/// <param name="Txn">The serialized txn (TxnHeader + record).</param>
public readonly record struct LoggedTxn(long Zxid, ReadOnlyMemory<byte> Txn);
