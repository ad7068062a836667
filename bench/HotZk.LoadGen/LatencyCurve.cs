using HdrHistogram;

namespace HotZk.LoadGen;

/// <summary>Latency-by-percentile points from an HdrHistogram, the way HdrHistogram's own plots sample them.</summary>
public static class LatencyCurve
{
    /// <summary>
    /// Points at HdrHistogram's percentile ticks: <paramref name="ticksPerHalfDistance"/> steps per halving of
    /// the distance to 100 %, so the tail gets as many points as the body; the last point is the maximum (100 %).
    /// </summary>
    public static IReadOnlyList<LatencyPoint> From(HistogramBase histogram, int ticksPerHalfDistance = 5)
    {
        var points = new List<LatencyPoint>();
        if (histogram.TotalCount == 0) return points;
        foreach (var v in histogram.Percentiles(ticksPerHalfDistance))
        {
            var p = new LatencyPoint(v.PercentileLevelIteratedTo, histogram.HighestEquivalentValue(v.ValueIteratedTo));
            // The iterator repeats the final value; one point per (percentile, value) is enough.
            if (points.Count > 0 && points[^1] == p) continue;
            points.Add(p);
        }
        return points;
    }

    /// <summary>The points a summary holds (p50 ... max; no minimum), for results that kept no histogram.</summary>
    public static IReadOnlyList<LatencyPoint> FromSummary(OpResult r) =>
        r.Count == 0 ? [] :
        [
            new(50, r.P50Us), new(90, r.P90Us), new(99, r.P99Us), new(99.9, r.P999Us), new(99.99, r.P9999Us), new(100, r.MaxUs),
        ];
}
