namespace HotZk.Replication.Tests.Simulation;

/// <summary>Everything the checkers judge: the client history, the txns leaders created, and the servers' final states.</summary>
internal sealed record SimCheckInput(IReadOnlyList<SimOp> Ops, IReadOnlyDictionary<long, byte[]> Txns, long LeaderId, IReadOnlyList<SimFinalNode> Nodes);
