using FASTER.core;

namespace HotZk.Engine.Faster;

/// <summary>
/// Settings of a <see cref="FasterNodeStore"/>. The defaults hold about one million znodes of
/// ~100 bytes entirely in memory; a larger tree spills its oldest log pages to
/// <c>{Directory}/log</c> and reads of those nodes cost one disk read.
/// </summary>
public sealed class FasterNodeStoreOptions
{
    /// <summary>Root folder: <c>log/</c> holds the hybrid log, <c>checkpoints/</c> the checkpoints.</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// log2 of the in-memory part of the hybrid log in bytes (default 29 = 512 MiB). Pages are
    /// allocated as the log grows, so a small tree does not pay for the whole budget.
    /// </summary>
    public int MemorySizeBits { get; init; } = 29;

    /// <summary>
    /// log2 of a log page in bytes (default 22 = 4 MiB). A record must fit in one page, so this is
    /// at least 21 (2 MiB) to take 1 MiB values (jute.maxbuffer) with their path and header.
    /// </summary>
    public int PageSizeBits { get; init; } = 22;

    /// <summary>log2 of a log segment file in bytes (default 30 = 1 GiB).</summary>
    public int SegmentSizeBits { get; init; } = 30;

    /// <summary>
    /// log2 of the hash index in bytes (default 25 = 32 MiB = 512k buckets of 7 entries, room for
    /// ~3.5M keys before overflow buckets). The index always lives in memory.
    /// </summary>
    public int IndexSizeBits { get; init; } = 25;

    /// <summary>Fraction of the in-memory log that is mutable (updated in place). Default 0.9.</summary>
    public double MutableFraction { get; init; } = 0.9;

    /// <summary>
    /// How a checkpoint persists the log. <see cref="CheckpointType.FoldOver"/> (default) flushes
    /// the log up to its tail and writes only what was not yet on disk, so successive checkpoints
    /// are incremental; <see cref="CheckpointType.Snapshot"/> copies the whole in-memory part into
    /// a file of its own each time. See engine/FASTER-NODESTORE.md for the measurements.
    /// </summary>
    public CheckpointType CheckpointType { get; init; } = CheckpointType.FoldOver;

    /// <summary>
    /// Whether each checkpoint also writes the hash index (a "full" checkpoint, default true).
    /// Without it recovery rebuilds the index by scanning the whole log.
    /// </summary>
    public bool IncludeIndex { get; init; } = true;

    /// <summary>Number of newest valid checkpoints kept; older ones are deleted (default 3, minimum 1).</summary>
    public int RetainCheckpoints { get; init; } = 3;

    /// <summary>
    /// Enable FASTER's read cache for records read back from disk (default false): useful only
    /// when the tree is larger than <see cref="MemorySizeBits"/>.
    /// </summary>
    public bool ReadCache { get; init; }

    /// <summary>log2 of the read cache in bytes when <see cref="ReadCache"/> is on (default 26 = 64 MiB).</summary>
    public int ReadCacheSizeBits { get; init; } = 26;

    /// <summary>
    /// FASTER's <c>ThrottleCheckpointFlushDelayMs</c>: -1 (default) issues checkpoint writes
    /// directly; 0 or more issues them one at a time from a separate task, waiting that many ms
    /// between writes.
    /// </summary>
    public int ThrottleCheckpointFlushDelayMs { get; init; } = -1;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Directory)) throw new ArgumentException("Directory is required.");
        if (PageSizeBits is < 21 or > 30) throw new ArgumentOutOfRangeException(nameof(PageSizeBits), PageSizeBits, "21..30");
        if (MemorySizeBits < PageSizeBits + 1 || MemorySizeBits > 40)
            throw new ArgumentOutOfRangeException(nameof(MemorySizeBits), MemorySizeBits, "at least two pages, at most 40");
        if (SegmentSizeBits < PageSizeBits || SegmentSizeBits > 40)
            throw new ArgumentOutOfRangeException(nameof(SegmentSizeBits), SegmentSizeBits, "at least one page");
        if (IndexSizeBits is < 12 or > 36) throw new ArgumentOutOfRangeException(nameof(IndexSizeBits), IndexSizeBits, "12..36");
        if (MutableFraction is <= 0 or > 1) throw new ArgumentOutOfRangeException(nameof(MutableFraction));
        if (RetainCheckpoints < 1) throw new ArgumentOutOfRangeException(nameof(RetainCheckpoints), RetainCheckpoints, "at least 1");
        if (ReadCache && (ReadCacheSizeBits < PageSizeBits + 1 || ReadCacheSizeBits > 36))
            throw new ArgumentOutOfRangeException(nameof(ReadCacheSizeBits));
    }
}
