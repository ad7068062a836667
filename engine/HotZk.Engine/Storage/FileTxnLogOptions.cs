namespace HotZk.Engine.Storage;

/// <summary>How <see cref="FileTxnLog"/> reserves space ahead of the write position.</summary>
public enum TxnLogPreallocation
{
    /// <summary>Grow the file size only (a sparse hole). Cheapest to create; each fdatasync must also commit block allocation.</summary>
    Sparse,

    /// <summary>posix_fallocate real blocks (unwritten extents). Falls back to <see cref="Sparse"/> where unsupported.</summary>
    Allocate,

    /// <summary>Write zeros. Costs a write of the whole step up front; later fdatasyncs touch no metadata at all.</summary>
    ZeroFill,
}

/// <summary>Settings of a <see cref="FileTxnLog"/>.</summary>
/// <param name="DataLogDir">The data log directory; segments live in its <c>hotzk-log</c> subdirectory.</param>
public sealed record FileTxnLogOptions(string DataLogDir)
{
    /// <summary>Segments are extended in steps of this many bytes (default 64 MiB).</summary>
    public long PreallocationSize { get; init; } = 64L << 20;

    /// <summary>How space is reserved; see <see cref="TxnLogPreallocation"/>.</summary>
    public TxnLogPreallocation Preallocation { get; init; } = TxnLogPreallocation.Allocate;

    /// <summary>
    /// When false the flusher writes but never fsyncs. UNSAFE: a power loss or kernel crash loses
    /// txns that were already reported durable. For tests and throw-away benchmarks only.
    /// </summary>
    public bool ForceSync { get; init; } = true;

    /// <summary>Use fdatasync (Linux) rather than a full fsync for batches. Default true.</summary>
    public bool UseFdatasync { get; init; } = true;

    /// <summary>Largest accepted txn in bytes; larger length fields on disk are treated as damage.</summary>
    public int MaxRecordSize { get; init; } = 64 << 20;

    /// <summary>
    /// Require zxids to be consecutive inside an epoch (a new epoch may start anywhere). Appends that
    /// would leave a gap throw, and a log with such a gap refuses to open. Default true.
    /// </summary>
    public bool RequireContiguousZxids { get; init; } = true;

    /// <summary>Initial capacity of each of the two group-commit buffers (they grow on demand and stay grown).</summary>
    public int InitialBufferSize { get; init; } = 1 << 20;

    /// <summary>Receives notable events (torn tail truncated, cleanup failures). Called from any thread.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>
    /// Test hook, called on the flusher thread with (firstZxid, lastZxid) before each batch is
    /// written. Throwing fails the batch exactly as an I/O error would; blocking holds the flusher.
    /// </summary>
    public Action<long, long>? BeforeBatchWrite { get; init; }
}

/// <summary>The txn log on disk is damaged in a way that recovery must not paper over.</summary>
public sealed class TxnLogCorruptException : IOException
{
    /// <summary>Creates the exception.</summary>
    public TxnLogCorruptException(string message)
        : base(message)
    {
    }
}
