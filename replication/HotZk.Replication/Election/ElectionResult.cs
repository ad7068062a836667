namespace HotZk.Replication.Election;

/// <summary>The outcome of a leader election for one member.</summary>
/// <param name="State"><see cref="ServerState.Leading"/>, <see cref="ServerState.Following"/> or <see cref="ServerState.Observing"/>.</param>
/// <param name="Vote">The decided vote; <see cref="Vote.Leader"/> is the elected leader.</param>
public readonly record struct ElectionResult(ServerState State, Vote Vote);
