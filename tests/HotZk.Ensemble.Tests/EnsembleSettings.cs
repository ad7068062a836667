namespace HotZk.Ensemble.Tests;

/// <summary>zoo.cfg values every member of a test ensemble shares (small ticks keep the tests fast).</summary>
public sealed record EnsembleSettings
{
    public int TickTime { get; init; } = 200;
    public int InitLimit { get; init; } = 10;
    public int SyncLimit { get; init; } = 5;

    /// <summary>snapCount, or null for the server's default.</summary>
    public int? SnapCount { get; init; }

    /// <summary>Lets failover tests keep a session across an election (the default cap is 20 ticks).</summary>
    public int MaxSessionTimeout { get; init; } = 20_000;

    /// <summary>Extra zoo.cfg lines.</summary>
    public string Extra { get; init; } = "";
}
