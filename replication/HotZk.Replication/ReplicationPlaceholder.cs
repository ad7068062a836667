namespace HotZk.Replication;

/// <summary>
/// ZAB replication lives here (issue 4). Until then the project only fixes the dependency
/// direction: replication depends on engine and net, never the reverse.
/// </summary>
public static class ReplicationInfo
{
    /// <summary>True once ensemble mode is implemented.</summary>
    public const bool EnsembleSupported = false;
}
