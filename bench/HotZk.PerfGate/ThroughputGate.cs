using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace HotZk.PerfGate;

/// <summary>
/// A load-generator result, read loosely (member names case-insensitive, unknown members ignored). Two shapes:
/// a list, <c>{"workloads": [{"name": "setData", "opsPerSec": 41000}, …]}</c> (<c>results</c> is accepted
/// for <c>workloads</c>, <c>throughput</c> for <c>opsPerSec</c>); or one run as <c>hotzk bench run --json</c>
/// writes it, <c>{"workload": "setData", "opsPerSec": 41000, …}</c>. See perf-baselines/README.md.
/// </summary>
public sealed class LoadGenResult
{
    public string? Tool { get; set; }

    public List<LoadGenWorkload>? Workloads { get; set; }

    public List<LoadGenWorkload>? Results { get; set; }

    /// <summary>Single-run shape: the workload's name.</summary>
    public string? Workload { get; set; }

    /// <summary>Single-run shape: its ops/s.</summary>
    public double? OpsPerSec { get; set; }

    [JsonIgnore]
    public IReadOnlyList<LoadGenWorkload> All =>
    [
        .. Workloads ?? [],
        .. Results ?? [],
        .. Workload is { } name ? [new LoadGenWorkload { Name = name, OpsPerSec = OpsPerSec }] : Array.Empty<LoadGenWorkload>(),
    ];

    /// <summary>Several results (one file per run) as one.</summary>
    public static LoadGenResult Merge(IEnumerable<LoadGenResult> results) => new() { Workloads = [.. results.SelectMany(r => r.All)] };

    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static LoadGenResult Parse(string json) =>
        JsonSerializer.Deserialize<LoadGenResult>(json, Options) ?? throw new InvalidDataException("empty load-generator result");

    public static LoadGenResult Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a load-generator result: {e.Message}", e);
        }
    }

    /// <summary>Ops/s of the named workload, or null.</summary>
    public double? RateOf(string name)
    {
        foreach (var w in All)
        {
            if (string.Equals(w.Name, name, StringComparison.Ordinal)) return w.Rate;
        }
        return null;
    }
}

public sealed class LoadGenWorkload
{
    public string Name { get; set; } = "";

    public double? OpsPerSec { get; set; }

    public double? Throughput { get; set; }

    [JsonIgnore]
    public double? Rate => OpsPerSec ?? Throughput;
}

/// <summary>
/// <c>perf-baselines/throughput.json</c>: per workload, its throughput as a ratio to the calibration
/// workload of the same run, and how far below that ratio a run may fall.
/// </summary>
public sealed class ThroughputBaseline
{
    [JsonPropertyName("$comment")]
    public string? Comment { get; set; }

    /// <summary>Name of the calibration workload the ratios are taken against.</summary>
    public string Calibration { get; set; } = "calibration";

    /// <summary>Default allowed relative drop (0.3 = a ratio may fall 30% below its baseline).</summary>
    public double Tolerance { get; set; } = 0.3;

    /// <summary>Free text: the spread measured over repeated runs that the tolerances were picked from.</summary>
    public string? Spread { get; set; }

    public SortedDictionary<string, ThroughputBaselineEntry> Workloads { get; set; } = new(StringComparer.Ordinal);

    public static ThroughputBaseline Parse(string json) =>
        JsonSerializer.Deserialize<ThroughputBaseline>(json, LoadGenResult.Options) ?? throw new InvalidDataException("empty throughput baseline");

    public static ThroughputBaseline Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a throughput baseline: {e.Message}", e);
        }
    }
}

public sealed class ThroughputBaselineEntry
{
    /// <summary>Workload ops/s divided by calibration ops/s, as recorded.</summary>
    public double Ratio { get; set; }

    /// <summary>Overrides the file's default tolerance for this workload.</summary>
    public double? Tolerance { get; set; }
}

public enum ThroughputVerdict
{
    Ok,

    /// <summary>More than the tolerance above the baseline: passes; raise the baseline.</summary>
    Faster,

    /// <summary>More than the tolerance below the baseline: fails.</summary>
    Slower,

    /// <summary>In the baseline but absent from the result: fails.</summary>
    NotMeasured,

    /// <summary>Measured, not in the baseline: reported only.</summary>
    NotInBaseline,
}

public sealed record ThroughputRow(string Name, double? OpsPerSec, double? Ratio, double? BaselineRatio, double? Tolerance, ThroughputVerdict Verdict, bool Fails)
{
    /// <summary>The lowest ratio that still passes.</summary>
    public double? Floor => BaselineRatio is { } b && Tolerance is { } t ? b * (1 - t) : null;
}

public sealed record ThroughputGateResult(string Calibration, double CalibrationOpsPerSec, IReadOnlyList<ThroughputRow> Rows)
{
    public bool Passed => Rows.All(r => !r.Fails);
}

/// <summary>Gate 2: throughput of a short load-generator run, as a ratio to a calibration workload of the same run.</summary>
public static class ThroughputGate
{
    public static ThroughputGateResult Compare(LoadGenResult result, double calibrationOpsPerSec, ThroughputBaseline baseline)
    {
        if (!(calibrationOpsPerSec > 0)) throw new InvalidDataException($"calibration workload '{baseline.Calibration}' has no positive ops/s");
        var rows = new List<ThroughputRow>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var w in result.All)
        {
            if (w.Name == baseline.Calibration || !seen.Add(w.Name)) continue;
            double? ratio = w.Rate is { } rate ? rate / calibrationOpsPerSec : null;
            if (!baseline.Workloads.TryGetValue(w.Name, out var entry))
            {
                rows.Add(new ThroughputRow(w.Name, w.Rate, ratio, null, null, ThroughputVerdict.NotInBaseline, Fails: false));
                continue;
            }
            double tol = entry.Tolerance ?? baseline.Tolerance;
            if (ratio is not { } r)
            {
                rows.Add(new ThroughputRow(w.Name, null, null, entry.Ratio, tol, ThroughputVerdict.NotMeasured, Fails: true));
            }
            else if (r < entry.Ratio * (1 - tol))
            {
                rows.Add(new ThroughputRow(w.Name, w.Rate, r, entry.Ratio, tol, ThroughputVerdict.Slower, Fails: true));
            }
            else if (r > entry.Ratio * (1 + tol))
            {
                rows.Add(new ThroughputRow(w.Name, w.Rate, r, entry.Ratio, tol, ThroughputVerdict.Faster, Fails: false));
            }
            else
            {
                rows.Add(new ThroughputRow(w.Name, w.Rate, r, entry.Ratio, tol, ThroughputVerdict.Ok, Fails: false));
            }
        }
        foreach (var (name, entry) in baseline.Workloads)
        {
            if (seen.Contains(name)) continue;
            rows.Add(new ThroughputRow(name, null, null, entry.Ratio, entry.Tolerance ?? baseline.Tolerance, ThroughputVerdict.NotMeasured, Fails: true));
        }
        return new ThroughputGateResult(baseline.Calibration, calibrationOpsPerSec, rows);
    }

    /// <summary>
    /// The spread of each workload's ratio over repeated runs: (max − min) / median. A tolerance
    /// should sit well above it (the README records the factor used).
    /// </summary>
    public static IReadOnlyList<(string Name, int Runs, double Min, double Median, double Max, double Spread)> Spread(
        IEnumerable<LoadGenResult> runs, string calibration)
    {
        var ratios = new SortedDictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var run in runs)
        {
            double? cal = run.RateOf(calibration);
            if (cal is not > 0) throw new InvalidDataException($"a run has no calibration workload '{calibration}'");
            foreach (var w in run.All)
            {
                if (w.Name == calibration || w.Rate is not { } rate) continue;
                if (!ratios.TryGetValue(w.Name, out var list)) ratios[w.Name] = list = [];
                list.Add(rate / cal.Value);
            }
        }
        var rows = new List<(string, int, double, double, double, double)>();
        foreach (var (name, list) in ratios)
        {
            list.Sort();
            double median = list.Count % 2 == 1 ? list[list.Count / 2] : (list[(list.Count / 2) - 1] + list[list.Count / 2]) / 2;
            rows.Add((name, list.Count, list[0], median, list[^1], median > 0 ? (list[^1] - list[0]) / median : double.NaN));
        }
        return rows;
    }

    public static void Print(ThroughputGateResult result, TextWriter output)
    {
        output.WriteLine($"calibration '{result.Calibration}': {F(result.CalibrationOpsPerSec, "N0")} ops/s");
        var table = new TextTable("Workload", "ops/s", "Ratio", "Baseline", "Floor", "Verdict");
        foreach (var r in result.Rows)
        {
            string verdict = r.Verdict switch
            {
                ThroughputVerdict.Ok => "ok",
                ThroughputVerdict.Faster => "FASTER (raise the baseline)",
                ThroughputVerdict.Slower => "SLOWER",
                ThroughputVerdict.NotMeasured => "NOT MEASURED",
                ThroughputVerdict.NotInBaseline => "no baseline (not gated)",
                _ => r.Verdict.ToString(),
            };
            table.Add(r.Name, F(r.OpsPerSec, "N0"), F(r.Ratio, "0.0000"), F(r.BaselineRatio, "0.0000"), F(r.Floor, "0.0000"), verdict);
        }
        table.Write(output);
        output.WriteLine();
        output.WriteLine(result.Passed ? "throughput gate: PASS" : $"throughput gate: FAIL ({result.Rows.Count(r => r.Fails)} of {result.Rows.Count} failing)");
    }

    private static string F(double? v, string format) => v?.ToString(format, CultureInfo.InvariantCulture) ?? "-";
}
