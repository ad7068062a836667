using System.Globalization;
using System.Text;
using HdrHistogram;

namespace HotZk.LoadGen;

/// <summary>
/// <c>--html FILE</c>: a self-contained HTML page (inline SVG and CSS, no scripts, nothing fetched) with one
/// latency-by-percentile chart per run or compare case and its summary table beside it.
/// </summary>
public static class HtmlLatencyReport
{
    /// <summary>The page for one <c>hotzk bench</c> run: one line per op type.</summary>
    public static string ForRun(RunResult r)
    {
        var series = r.ByOp.Where(o => o.Count > 0).Select(o => new LatencySeries(o.Op, Curve(o))).ToList();
        var rows = new List<OpResult>(r.ByOp);
        if (r.ByOp.Count > 1 && r.All.Op == "all") rows.Add(r.All);
        string title = $"{r.Workload} @ {r.Connect}";
        string note = string.Create(CultureInfo.InvariantCulture,
            $"{r.Sessions} sessions x {r.Outstanding} outstanding, {r.Loop} loop, value {r.ValueSize} B, keys {r.Keys}; measured {r.ElapsedSec:0.00} s from {r.StartedUtc}");
        return Page($"hotzk bench: {title}", [new LatencyChart(title, note, series, rows)]);
    }

    /// <summary>
    /// The page for <c>hotzk bench compare</c>: per case one line per target, from the histograms of all its
    /// rounds merged (the summary's points where a run kept none); the table shows the merged percentiles,
    /// the median ops/s over the rounds and the errors summed, as the ratio table does.
    /// </summary>
    public static string ForCompare(CompareReport report)
    {
        var charts = new List<LatencyChart>();
        foreach (var c in report.Cases)
        {
            var series = new List<LatencySeries>();
            var rows = new List<OpResult>();
            foreach (var target in report.Settings.Targets)
            {
                var runs = c.Runs.Where(x => x.Target == target && x.Result is not null).Select(x => x.Result!).ToList();
                if (runs.Count == 0) continue;
                string name = target == "zk" ? "ZooKeeper" : target == "hotzk" ? "HotZk" : target;
                var merged = Merge(runs.Select(x => x.All.Histogram));
                OpResult row;
                if (merged is not null)
                {
                    row = Summary(name, merged);
                    series.Add(new LatencySeries(name, LatencyCurve.From(merged)));
                }
                else
                {
                    row = Copy(runs[0].All);
                    series.Add(new LatencySeries(name, LatencyCurve.FromSummary(row)));
                }
                row.Op = name;
                c.Summary.TryGetValue(target, out var s);
                row.OpsPerSec = s?.OpsPerSec ?? runs[0].OpsPerSec;
                row.Errors = s?.Errors ?? runs.Sum(x => x.Errors);
                rows.Add(row);
            }
            string note = string.Create(CultureInfo.InvariantCulture,
                $"{c.Workload} {c.Sessions}x{c.Outstanding}, value {c.ValueSize} B, keys {c.Keys}; {report.Mode}; all op types, rounds merged ({report.Settings.Rounds} x {report.Settings.DurationSec:0.#} s); ops/s: median of the rounds");
            charts.Add(new LatencyChart($"{c.Label}: HotZk vs ZooKeeper", note, series, rows));
        }
        return Page($"hotzk bench compare ({report.StartedUtc})", charts);
    }

    /// <summary>The whole page.</summary>
    public static string Page(string title, IReadOnlyList<LatencyChart> charts)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(Escape(title)).Append("</title>\n");
        sb.Append("""
            <style>
            body { font-family: sans-serif; margin: 1.5em; color: #222; }
            section { margin-bottom: 2.5em; }
            .chart { display: flex; flex-wrap: wrap; gap: 1.5em; align-items: flex-start; }
            table { border-collapse: collapse; font-size: 13px; }
            th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            .note { color: #555; font-size: 13px; }
            </style>

            """);
        sb.Append("</head>\n<body>\n<h1>").Append(Escape(title)).Append("</h1>\n");
        foreach (var chart in charts)
        {
            sb.Append("<section>\n<h2>").Append(Escape(chart.Title)).Append("</h2>\n");
            if (chart.Note is { } note) sb.Append("<p class=\"note\">").Append(Escape(note)).Append("</p>\n");
            sb.Append("<div class=\"chart\">\n");
            SvgLatencyPlot.Write(sb, chart.Series, chart.Title);
            Table(sb, chart.Rows);
            sb.Append("</div>\n</section>\n");
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    /// <summary>Escapes text for HTML and XML content and attribute values.</summary>
    public static string Escape(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (char ch in s)
        {
            sb.Append(ch switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                '\'' => "&#39;",
                _ => ch.ToString(),
            });
        }
        return sb.ToString();
    }

    private static void Table(StringBuilder sb, IReadOnlyList<OpResult> rows)
    {
        sb.Append("<table>\n<tr><th>op</th><th>count</th><th>ops/s</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>p99.99</th><th>max</th><th>errors</th></tr>\n");
        foreach (var o in rows)
        {
            sb.Append("<tr><td>").Append(Escape(o.Op)).Append("</td>");
            foreach (string cell in new[]
            {
                o.Count.ToString(CultureInfo.InvariantCulture), Report.F(o.OpsPerSec), Report.Us(o.P50Us), Report.Us(o.P90Us),
                Report.Us(o.P99Us), Report.Us(o.P999Us), Report.Us(o.P9999Us), Report.Us(o.MaxUs), o.Errors.ToString(CultureInfo.InvariantCulture),
            })
            {
                sb.Append("<td>").Append(Escape(cell)).Append("</td>");
            }
            sb.Append("</tr>\n");
            foreach (var (code, n) in o.ErrorsByCode)
            {
                sb.Append("<tr><td colspan=\"10\">error ").Append(Escape(code)).Append(": ").Append(n.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>\n");
            }
        }
        sb.Append("</table>\n");
    }

    private static IReadOnlyList<LatencyPoint> Curve(OpResult o) =>
        o.Histogram is { } h ? LatencyCurve.From(h) : LatencyCurve.FromSummary(o);

    private static HistogramBase? Merge(IEnumerable<HistogramBase?> histograms)
    {
        HistogramBase? merged = null;
        foreach (var h in histograms)
        {
            if (h is null) return null; // one round without a histogram: chart the summary instead of a partial merge
            if (merged is null) merged = h.Copy();
            else merged.Add(h);
        }
        return merged;
    }

    private static OpResult Copy(OpResult o) => new()
    {
        Op = o.Op, Count = o.Count, MeanUs = o.MeanUs, P50Us = o.P50Us, P90Us = o.P90Us, P99Us = o.P99Us,
        P999Us = o.P999Us, P9999Us = o.P9999Us, MaxUs = o.MaxUs,
    };

    private static OpResult Summary(string name, HistogramBase h) => new()
    {
        Op = name,
        Count = h.TotalCount,
        MeanUs = h.TotalCount > 0 ? Math.Round(h.GetMean(), 1) : 0,
        P50Us = h.TotalCount > 0 ? h.GetValueAtPercentile(50) : 0,
        P90Us = h.TotalCount > 0 ? h.GetValueAtPercentile(90) : 0,
        P99Us = h.TotalCount > 0 ? h.GetValueAtPercentile(99) : 0,
        P999Us = h.TotalCount > 0 ? h.GetValueAtPercentile(99.9) : 0,
        P9999Us = h.TotalCount > 0 ? h.GetValueAtPercentile(99.99) : 0,
        MaxUs = h.TotalCount > 0 ? h.GetMaxValue() : 0,
    };
}
