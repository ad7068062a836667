namespace HotZk.Replication.Tests.Simulation;

/// <summary>How one seed went.</summary>
internal sealed record SimRunResult(
    SimConfig Config,
    IReadOnlyList<string> Failures,
    ulong TraceHash,
    long Events,
    long VirtualMs,
    int Commits,
    int WritesAcked,
    int WritesUnknown,
    int ReadsOk,
    int Crashes,
    int Elections,
    int SnapSyncs,
    int Truncations,
    string TraceTail,
    string Summary)
{
    public bool Ok => Failures.Count == 0;

    /// <summary>A failure report that is enough to replay: seed, ensemble, what broke, the last events.</summary>
    public string Describe() =>
        $"seed {Config.Seed} ({Config.Voters} voters + {Config.Observers} observers; replay with HOTZK_SIM_SEED={Config.Seed}):\n  " +
        string.Join("\n  ", Failures) + "\n" + Summary + "\nlast events:\n" + TraceTail;
}
