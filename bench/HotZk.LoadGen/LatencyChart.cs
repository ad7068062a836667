namespace HotZk.LoadGen;

/// <summary>One point of a latency-by-percentile curve.</summary>
/// <param name="Percentile">0..100.</param>
/// <param name="Us">Latency at that percentile, microseconds.</param>
public readonly record struct LatencyPoint(double Percentile, long Us);

/// <summary>One line of a chart: an op type of a run, or a target of a compare case.</summary>
/// <param name="Name">Legend label.</param>
/// <param name="Points">Points in increasing percentile order.</param>
public sealed record LatencySeries(string Name, IReadOnlyList<LatencyPoint> Points);

/// <summary>
/// One chart of an HTML report: a percentile plot with one line per series and the summary table beside it
/// (rows are <see cref="OpResult"/>s, labelled by <see cref="OpResult.Op"/>).
/// </summary>
/// <param name="Title">Heading.</param>
/// <param name="Note">A line under the heading (what was run, how the figures were merged), or null.</param>
/// <param name="Series">The lines.</param>
/// <param name="Rows">The table rows.</param>
public sealed record LatencyChart(string Title, string? Note, IReadOnlyList<LatencySeries> Series, IReadOnlyList<OpResult> Rows);
