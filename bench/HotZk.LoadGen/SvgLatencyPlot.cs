using System.Globalization;
using System.Text;

namespace HotZk.LoadGen;

/// <summary>
/// An inline SVG latency-by-percentile plot: x is the percentile on HdrHistogram's log scale
/// (x = log10(1 / (1 - p)), labelled 0 %, 90 %, 99 % ... 99.999 %), y the latency in ms, one polyline per series.
/// </summary>
public static class SvgLatencyPlot
{
    /// <summary>Right end of the x axis: 99.999 %.</summary>
    public const int Decades = 5;

    private const int Width = 640, Height = 400, Left = 64, Right = 16, Top = 16, Bottom = 52;

    /// <summary>Line colours, in series order (HotZk first in a compare, ZooKeeper second).</summary>
    public static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    /// <summary>x position (in decades) of a percentile; 100 % and anything past 99.999 % sit at the right edge.</summary>
    public static double X(double percentile)
    {
        if (percentile <= 0) return 0;
        double rest = 1 - percentile / 100;
        return rest <= 0 ? Decades : Math.Min(Decades, Math.Log10(1 / rest));
    }

    /// <summary>The axis label of decade <paramref name="d"/>: 0 %, 90 %, 99 %, 99.9 % ...</summary>
    public static string PercentLabel(int d) => d == 0 ? "0%" : (100 - 100 / Math.Pow(10, d)).ToString("0.#####", CultureInfo.InvariantCulture) + "%";

    /// <summary>A 1-2-5 step giving about <paramref name="target"/> ticks up to <paramref name="max"/>.</summary>
    public static double NiceStep(double max, int target = 6)
    {
        if (max <= 0) return 1;
        double raw = max / target;
        double mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double norm = raw / mag;
        return (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10) * mag;
    }

    /// <summary>Appends the &lt;svg&gt; element (well-formed XML) for <paramref name="series"/>.</summary>
    public static void Write(StringBuilder sb, IReadOnlyList<LatencySeries> series, string title)
    {
        double maxMs = 0;
        foreach (var s in series)
        {
            foreach (var p in s.Points) maxMs = Math.Max(maxMs, p.Us / 1000.0);
        }
        double step = NiceStep(maxMs);
        double top = Math.Max(step, Math.Ceiling(maxMs / step) * step);
        const double plotW = Width - Left - Right, plotH = Height - Top - Bottom;
        double Px(double decades) => Left + decades / Decades * plotW;
        double Py(double ms) => Top + plotH - ms / top * plotH;

        sb.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">\n");
        sb.Append("<title>").Append(HtmlLatencyReport.Escape(title)).Append("</title>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{plotW}\" height=\"{plotH}\" fill=\"#fff\" stroke=\"#999\"/>\n");
        // Grid and labels: y every step, x every decade.
        for (double ms = 0; ms <= top + step / 2; ms += step)
        {
            string y = N(Py(ms));
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y}\" x2=\"{Width - Right}\" y2=\"{y}\" stroke=\"#e5e5e5\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{y}\" text-anchor=\"end\" dominant-baseline=\"middle\">{N(ms)}</text>\n");
        }
        for (int d = 0; d <= Decades; d++)
        {
            string x = N(Px(d));
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{x}\" y1=\"{Top}\" x2=\"{x}\" y2=\"{Top + plotH}\" stroke=\"#e5e5e5\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"{Top + plotH + 16}\" text-anchor=\"middle\">{PercentLabel(d)}</text>\n");
        }
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{N(Left + plotW / 2)}\" y=\"{Height - 8}\" text-anchor=\"middle\">percentile</text>\n");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"14\" y=\"{N(Top + plotH / 2)}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {N(Top + plotH / 2)})\">latency (ms)</text>\n");

        for (int i = 0; i < series.Count; i++)
        {
            var s = series[i];
            string colour = Palette[i % Palette.Length];
            var pts = new StringBuilder();
            foreach (var p in s.Points)
            {
                if (pts.Length > 0) pts.Append(' ');
                pts.Append(N(Px(X(p.Percentile)))).Append(',').Append(N(Py(p.Us / 1000.0)));
            }
            sb.Append(CultureInfo.InvariantCulture,
                $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{pts}\"><title>{HtmlLatencyReport.Escape(s.Name)}</title></polyline>\n");
            // Legend, top left inside the plot.
            double ly = Top + 14 + i * 16;
            sb.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{Left + 10}\" y1=\"{N(ly)}\" x2=\"{Left + 34}\" y2=\"{N(ly)}\" stroke=\"{colour}\" stroke-width=\"2\"/><text x=\"{Left + 40}\" y=\"{N(ly)}\" dominant-baseline=\"middle\">{HtmlLatencyReport.Escape(s.Name)}</text>\n");
        }
        sb.Append("</svg>\n");
    }

    private static string N(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
}
