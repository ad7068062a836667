namespace HotZk.Replication.Tests.Simulation;

/// <summary>One client operation in the history the checkers judge.</summary>
internal sealed class SimOp
{
    public required long ClientId { get; init; }

    public required long OpId { get; init; }

    public required SimOpKind Kind { get; init; }

    public required int Key { get; init; }

    /// <summary>A write's (unique) value; a read's result (0 = absent).</summary>
    public long Value { get; set; }

    public required long Node { get; init; }

    public required long InvokedAt { get; init; }

    public long CompletedAt { get; set; } = -1;

    public SimOutcome Outcome { get; set; }

    /// <summary>A write's zxid; the zxid of the state a read saw.</summary>
    public long Zxid { get; set; }

    /// <summary>A read: the server's history digest at <see cref="Zxid"/>.</summary>
    public ulong Digest { get; set; }

    /// <summary>Who issued it (not part of the judged history).</summary>
    public SimClient? Client { get; init; }

    /// <summary>The client's newest seen zxid when it invoked this op (session order).</summary>
    public long SessionZxid { get; init; }

    public override string ToString() =>
        $"{Kind} c{ClientId}#{OpId} k{Key}={Value} at n{Node} [{InvokedAt}..{(CompletedAt < 0 ? "" : CompletedAt.ToString(System.Globalization.CultureInfo.InvariantCulture))}] {Outcome} zxid 0x{Zxid:x}";
}
