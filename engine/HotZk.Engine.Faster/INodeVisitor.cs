namespace HotZk.Engine.Faster;

/// <summary>Receives every live record of a <see cref="FasterNodeStore"/> during <see cref="FasterNodeStore.Iterate{TVisitor}"/>.</summary>
public interface INodeVisitor
{
    /// <summary>
    /// One live node. <paramref name="path"/> (UTF-8) is valid only during the call. Return false
    /// to stop the iteration.
    /// </summary>
    bool Visit(ReadOnlySpan<byte> path, in NodeMeta meta);
}

/// <summary>Delegate form of <see cref="INodeVisitor"/>.</summary>
public delegate void NodeVisitor(ReadOnlySpan<byte> path, in NodeMeta meta);

/// <summary>Result of <see cref="FasterNodeStore.ReadData(ReadOnlySpan{byte}, Span{byte}, out NodeMeta)"/>.</summary>
public enum NodeReadStatus
{
    /// <summary>No such node.</summary>
    NotFound = 0,
    /// <summary>Found; the data (if any) was copied into the destination.</summary>
    Ok = 1,
    /// <summary>Found, but the destination is shorter than <see cref="NodeMeta.DataLength"/>; nothing was copied.</summary>
    DestinationTooSmall = 2,
}

/// <summary>A completed checkpoint.</summary>
/// <param name="Token">FASTER's checkpoint token (folder name under checkpoints/).</param>
/// <param name="Zxid">Last zxid whose effects the checkpoint holds (the session's CPR serial number).</param>
/// <param name="NodeCount">Number of live nodes at the consistency point.</param>
/// <param name="Sequence">Monotonic checkpoint sequence number in this directory.</param>
/// <param name="BeginPause">Time the calling (engine) thread spent inside BeginCheckpoint.</param>
/// <param name="Duration">From BeginCheckpoint until FASTER reported the checkpoint persisted.</param>
/// <param name="ManifestDuration">Checksumming and fsync of the checkpoint files afterwards (off the engine thread).</param>
/// <param name="Bytes">Bytes of the checkpoint's own files (the shared hybrid log is not counted).</param>
public sealed record CheckpointInfo(Guid Token, long Zxid, long NodeCount, long Sequence, TimeSpan BeginPause,
    TimeSpan Duration, TimeSpan ManifestDuration, long Bytes);

/// <summary>What <see cref="FasterNodeStore.Recover"/> restored.</summary>
/// <param name="Zxid">The checkpoint's zxid (0 when nothing was recovered): replay the txn log after it.</param>
/// <param name="Token">Token of the checkpoint used, or null.</param>
/// <param name="NodeCount">Nodes restored.</param>
/// <param name="Skipped">Newer checkpoints that failed validation or recovery, with the reason.</param>
/// <param name="Elapsed">Time spent in recovery.</param>
public sealed record RecoveryInfo(long Zxid, Guid? Token, long NodeCount, IReadOnlyList<string> Skipped, TimeSpan Elapsed)
{
    /// <summary>The attachment given to BeginCheckpoint (empty when none, or nothing recovered).</summary>
    public byte[] Attachment { get; init; } = [];
}
