namespace HotZk.Engine.Storage;

/// <summary>
/// Stores point-in-time images of the data tree. The store owns files, checksums, atomic
/// publication (write to a temp file, fsync, rename) and fallback to an older image when the
/// newest is damaged; the engine owns what goes inside.
/// </summary>
public interface ISnapshotStore
{
    /// <summary>
    /// Writes a snapshot that covers every txn up to <paramref name="zxid"/>. <paramref name="write"/>
    /// streams the image; the store checksums it and publishes it only when complete and fsync'd.
    /// </summary>
    void Save(long zxid, Action<Stream> write);

    /// <summary>
    /// Snapshot files, newest first, without reading them: <see cref="Open"/> verifies the checksum
    /// as the content is read, so recovery pays for one pass over the image it loads.
    /// </summary>
    IReadOnlyList<SnapshotInfo> ListCandidates();

    /// <summary>Snapshots that pass their checksum, newest first.</summary>
    IReadOnlyList<SnapshotInfo> ListValid();

    /// <summary>Opens the content of a snapshot (checksum trailer excluded) for reading.</summary>
    Stream Open(SnapshotInfo snapshot);

    /// <summary>Keeps the newest <paramref name="retainCount"/> snapshots and deletes the rest.</summary>
    void Purge(int retainCount);
}

/// <summary>A snapshot on disk.</summary>
/// <param name="Zxid">Last zxid it covers.</param>
/// <param name="Path">File path.</param>
/// <param name="Length">File size in bytes.</param>
public readonly record struct SnapshotInfo(long Zxid, string Path, long Length);
