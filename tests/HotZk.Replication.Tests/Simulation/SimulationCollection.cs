namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// The simulations keep every core busy: they run alone, so timing-sensitive tests elsewhere in
/// the project (real sockets) are not starved.
/// </summary>
[CollectionDefinition("Simulation", DisableParallelization = true)]
public sealed class SimulationCollection
{
}
