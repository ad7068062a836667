namespace HotZk.Replication.Tests.Simulation;

/// <summary>What a client operation does.</summary>
internal enum SimOpKind { Write, Read }
