using System.Text.RegularExpressions;
using System.Xml.Linq;
using HdrHistogram;
using HotZk.LoadGen;
using Xunit;

namespace HotZk.PerfGate.Tests;

public class HtmlLatencyReportTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static LongHistogram Histogram(params long[] values)
    {
        var h = new LongHistogram(600_000_000, 3);
        foreach (var v in values) h.RecordValue(v);
        return h;
    }

    private static LongHistogram Uniform(long from, long to)
    {
        var h = new LongHistogram(600_000_000, 3);
        for (long v = from; v <= to; v++) h.RecordValue(v);
        return h;
    }

    private static OpResult Op(string name, HistogramBase h, double opsPerSec = 1000) => new()
    {
        Op = name,
        Count = h.TotalCount,
        OpsPerSec = opsPerSec,
        P50Us = h.GetValueAtPercentile(50),
        P90Us = h.GetValueAtPercentile(90),
        P99Us = h.GetValueAtPercentile(99),
        P999Us = h.GetValueAtPercentile(99.9),
        P9999Us = h.GetValueAtPercentile(99.99),
        MaxUs = h.GetMaxValue(),
        Histogram = h,
    };

    /// <summary>Every &lt;svg&gt; element of the page, parsed as XML (throws if one is not well-formed).</summary>
    private static List<XElement> SvgParts(string html)
    {
        var parts = Regex.Matches(html, "<svg[\\s\\S]*?</svg>").Select(m => XElement.Parse(m.Value)).ToList();
        Assert.NotEmpty(parts);
        return parts;
    }

    [Fact]
    public void TheSvgIsWellFormedXmlWithOnePolylinePerSeries()
    {
        var series = new[]
        {
            new LatencySeries("getData", LatencyCurve.From(Uniform(100, 2000))),
            new LatencySeries("setData", LatencyCurve.From(Uniform(500, 9000))),
            new LatencySeries("lock", LatencyCurve.From(Histogram(3000, 4000, 70_000))),
        };
        string html = HtmlLatencyReport.Page("t", [new LatencyChart("chart", null, series, [])]);

        var svg = Assert.Single(SvgParts(html));
        var lines = svg.Descendants(Svg + "polyline").ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal(["getData", "setData", "lock"], lines.Select(l => l.Element(Svg + "title")!.Value));
        Assert.All(lines, l => Assert.True(l.Attribute("points")!.Value.Split(' ').Length >= 2));
    }

    [Fact]
    public void TheAxesCarryTheLogPercentileLabelsAndMilliseconds()
    {
        var series = new[] { new LatencySeries("getData", LatencyCurve.From(Uniform(1000, 9000))) };
        var svg = Assert.Single(SvgParts(HtmlLatencyReport.Page("t", [new LatencyChart("c", null, series, [])])));
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();

        foreach (var label in new[] { "0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "percentile", "latency (ms)" }) Assert.Contains(label, texts);
        // y ticks in ms, 1-2-5 steps up to the first one at or above the maximum (9 ms): 0, 2, 4, 6, 8, 10.
        foreach (var tick in new[] { "0", "2", "4", "6", "8", "10" }) Assert.Contains(tick, texts);
        Assert.DoesNotContain("12", texts);
        Assert.DoesNotContain("9000", texts);
    }

    [Fact]
    public void PercentilesMapToDecadesOnTheLogScale()
    {
        Assert.Equal(0, SvgLatencyPlot.X(0));
        Assert.Equal(1, SvgLatencyPlot.X(90), 9);
        Assert.Equal(2, SvgLatencyPlot.X(99), 9);
        Assert.Equal(3, SvgLatencyPlot.X(99.9), 9);
        Assert.Equal(5, SvgLatencyPlot.X(99.999), 6);
        // The maximum (100 %) and anything past 99.999 % end the line at the right edge.
        Assert.Equal(5, SvgLatencyPlot.X(100));
        Assert.Equal(5, SvgLatencyPlot.X(99.99999));
        Assert.Equal("99.999%", SvgLatencyPlot.PercentLabel(5));
        Assert.Equal(2, SvgLatencyPlot.NiceStep(11));
        Assert.Equal(0.5, SvgLatencyPlot.NiceStep(2.2));
    }

    [Fact]
    public void APointIsPlottedWhereItsPercentileAndLatencySay()
    {
        // Two points: (0 %, 0 ms) at the bottom-left corner, (99 %, 10 ms) at 2/5 of the width and the top.
        var series = new[] { new LatencySeries("x", [new LatencyPoint(0, 0), new LatencyPoint(99, 10_000)]) };
        var svg = Assert.Single(SvgParts(HtmlLatencyReport.Page("t", [new LatencyChart("c", null, series, [])])));
        var plot = svg.Element(Svg + "rect")!;
        double left = double.Parse(plot.Attribute("x")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        double top = double.Parse(plot.Attribute("y")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        double width = double.Parse(plot.Attribute("width")!.Value, System.Globalization.CultureInfo.InvariantCulture);
        double height = double.Parse(plot.Attribute("height")!.Value, System.Globalization.CultureInfo.InvariantCulture);

        var pts = svg.Descendants(Svg + "polyline").Single().Attribute("points")!.Value.Split(' ')
            .Select(p => p.Split(',').Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal(left, pts[0][0], 1);
        Assert.Equal(top + height, pts[0][1], 1);
        Assert.Equal(left + width * 2 / 5, pts[1][0], 1);
        Assert.Equal(top, pts[1][1], 1); // 10 ms is a whole number of 2 ms steps: the axis ends there
    }

    [Fact]
    public void TextIsEscapedInTheSvgAndTheTable()
    {
        const string name = "a<b&c\"d";
        var h = Uniform(10, 100);
        var chart = new LatencyChart("title <&>", "note & <x>", [new LatencySeries(name, LatencyCurve.From(h))], [Op(name, h)]);
        string html = HtmlLatencyReport.Page("page <&>", [chart]);

        Assert.DoesNotContain(name, html);
        Assert.DoesNotContain("<&>", html);
        Assert.DoesNotContain("<x>", html);
        Assert.Contains("a&lt;b&amp;c&quot;d", html);
        Assert.Contains("<td>a&lt;b&amp;c&quot;d</td>", html);
        Assert.Contains("note &amp; &lt;x&gt;", html);
        var svg = Assert.Single(SvgParts(html));
        Assert.Equal(name, svg.Descendants(Svg + "polyline").Single().Element(Svg + "title")!.Value);
    }

    [Fact]
    public void ThePageIsSelfContained()
    {
        var h = Uniform(10, 100);
        string html = HtmlLatencyReport.Page("t", [new LatencyChart("c", null, [new LatencySeries("x", LatencyCurve.From(h))], [Op("x", h)])]);

        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("src=", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("href", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("@import", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TheCurveComesFromTheHistogramUpToItsMaximum()
    {
        var points = LatencyCurve.From(Uniform(1, 10_000));

        Assert.True(points.Count > 20, $"{points.Count} points");
        Assert.Equal(0, points[0].Percentile, 1);
        Assert.Equal(100, points[^1].Percentile);
        Assert.InRange(points[^1].Us, 10_000, 10_010); // the highest equivalent value of the maximum's bucket
        for (int i = 1; i < points.Count; i++)
        {
            Assert.True(points[i].Percentile >= points[i - 1].Percentile);
            Assert.True(points[i].Us >= points[i - 1].Us);
        }
        var p50 = points.First(p => p.Percentile >= 50);
        Assert.InRange(p50.Us, 4_900, 5_100);
        Assert.Empty(LatencyCurve.From(new LongHistogram(1000, 3)));
    }

    [Fact]
    public void ARunChartsOneLinePerOpTypeAndTablesTheMergedRow()
    {
        var get = Uniform(100, 1000);
        var set = Uniform(1000, 5000);
        var all = get.Copy();
        all.Add(set);
        var run = new RunResult
        {
            Workload = "mixed90",
            Connect = "127.0.0.1:2181",
            ByOp = [Op("getData", get), Op("setData", set)],
            All = Op("all", all),
        };

        string html = HtmlLatencyReport.ForRun(run);

        var svg = Assert.Single(SvgParts(html));
        Assert.Equal(["getData", "setData"], svg.Descendants(Svg + "polyline").Select(l => l.Element(Svg + "title")!.Value));
        Assert.Contains("<td>getData</td>", html);
        Assert.Contains("<td>all</td>", html);
        Assert.Contains("<th>p99.99</th>", html);
        Assert.Contains("<th>ops/s</th>", html);
        Assert.Contains("<th>errors</th>", html);
    }

    [Fact]
    public void ACompareChartsEachCaseWithBothTargetsOverRoundsMerged()
    {
        RunResult Round(long from, long to) { var h = Uniform(from, to); return new RunResult { All = Op("all", h), ByOp = [Op("setData", h)] }; }
        var report = new CompareReport
        {
            Settings = new CompareSettings { Targets = ["hotzk", "zk"], Rounds = 2 },
            Cases =
            [
                new CompareCase
                {
                    Label = "write", Workload = "setdata", Sessions = 32, Outstanding = 16,
                    Runs =
                    [
                        new CompareRun { Round = 1, Target = "hotzk", Result = Round(100, 200) },
                        new CompareRun { Round = 1, Target = "zk", Result = Round(1000, 3000) },
                        new CompareRun { Round = 2, Target = "zk", Result = Round(1000, 3000) },
                        new CompareRun { Round = 2, Target = "hotzk", Result = Round(100, 300) },
                    ],
                    Summary = { ["hotzk"] = new TargetSummary { OpsPerSec = 30_000, Errors = 0 }, ["zk"] = new TargetSummary { OpsPerSec = 9000, Errors = 2 } },
                },
                new CompareCase { Label = "read", Workload = "getdata", Runs = [new CompareRun { Round = 1, Target = "zk", Error = "server not running" }] },
            ],
        };

        string html = HtmlLatencyReport.ForCompare(report);

        var svgs = SvgParts(html);
        Assert.Equal(2, svgs.Count);
        Assert.Equal(["HotZk", "ZooKeeper"], svgs[0].Descendants(Svg + "polyline").Select(l => l.Element(Svg + "title")!.Value));
        Assert.Empty(svgs[1].Descendants(Svg + "polyline")); // a case without a result still gets its (empty) chart
        // Rows: both rounds' counts merged (101 + 201 for HotZk), the summary's median ops/s and summed errors.
        Assert.Matches("<td>HotZk</td><td>302</td><td>30000.0</td>", html);
        Assert.Matches("<td>ZooKeeper</td><td>4002</td><td>9000.0</td>.*<td>2</td></tr>", html);
    }
}
