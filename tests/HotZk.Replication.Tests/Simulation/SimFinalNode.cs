namespace HotZk.Replication.Tests.Simulation;

/// <summary>A server's final state, as the checkers see it.</summary>
internal sealed record SimFinalNode(long Id, IReadOnlyList<long> AppliedZxids, ulong Digest, IReadOnlyDictionary<int, long> Values);
