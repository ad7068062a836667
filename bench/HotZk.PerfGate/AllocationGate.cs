using System.Text.Json;
using System.Text.Json.Serialization;

namespace HotZk.PerfGate;

/// <summary>
/// <c>perf-baselines/allocations.json</c>: allocated bytes per operation for each benchmark, keyed by
/// BenchmarkDotNet's full name. Exact numbers: allocations are deterministic, so there is no tolerance.
/// </summary>
public sealed class AllocationBaseline
{
    [JsonPropertyName("$comment")]
    public string? Comment { get; set; }

    /// <summary>What the figures came from (job, machine); informational.</summary>
    public string? Source { get; set; }

    public SortedDictionary<string, long> Benchmarks { get; set; } = new(StringComparer.Ordinal);

    internal static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static AllocationBaseline Parse(string json) =>
        JsonSerializer.Deserialize<AllocationBaseline>(json, Options) ?? throw new InvalidDataException("empty allocation baseline");

    public static AllocationBaseline Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not an allocation baseline: {e.Message}", e);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Options) + "\n";
}

public enum AllocationVerdict
{
    /// <summary>Same bytes/op as the baseline.</summary>
    Ok,

    /// <summary>Fewer bytes/op than the baseline: passes, and the baseline should be lowered.</summary>
    Improved,

    /// <summary>More bytes/op than the baseline: fails.</summary>
    Regressed,

    /// <summary>Measured but absent from the baseline: fails until the baseline records it.</summary>
    NotInBaseline,

    /// <summary>In the baseline but not measured: fails unless missing benchmarks are allowed (a filtered run).</summary>
    NotMeasured,

    /// <summary>Measured without allocation data (no MemoryDiagnoser, or the benchmark failed): fails.</summary>
    NoData,
}

public sealed record AllocationRow(string Name, long? Baseline, long? Actual, AllocationVerdict Verdict, bool Fails)
{
    public long? Delta => Baseline is { } b && Actual is { } a ? a - b : null;
}

public sealed record AllocationGateResult(IReadOnlyList<AllocationRow> Rows)
{
    public bool Passed => Rows.All(r => !r.Fails);

    public int Count(AllocationVerdict v) => Rows.Count(r => r.Verdict == v);
}

/// <summary>Gate 1: allocated bytes per operation may never grow.</summary>
public static class AllocationGate
{
    /// <summary>Bytes/op per benchmark full name from BenchmarkDotNet reports; null where there is no memory data.</summary>
    public static Dictionary<string, long?> Measured(IEnumerable<BdnReport> reports)
    {
        var measured = new Dictionary<string, long?>(StringComparer.Ordinal);
        foreach (var report in reports)
        {
            foreach (var b in report.Benchmarks)
            {
                if (string.IsNullOrEmpty(b.FullName)) continue;
                long? bytes = b.Memory?.BytesAllocatedPerOperation;
                // The same benchmark in two reports: keep the larger figure (the gate must see the worst).
                if (measured.TryGetValue(b.FullName, out var seen) && seen is { } s && (bytes is null || bytes < s)) continue;
                measured[b.FullName] = bytes;
            }
        }
        return measured;
    }

    public static AllocationGateResult Compare(IReadOnlyDictionary<string, long?> measured, AllocationBaseline baseline, bool allowNotMeasured = false)
    {
        var rows = new List<AllocationRow>();
        foreach (var (name, actual) in measured.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            bool known = baseline.Benchmarks.TryGetValue(name, out long expected);
            if (actual is not { } a)
            {
                rows.Add(new AllocationRow(name, known ? expected : null, null, AllocationVerdict.NoData, Fails: true));
            }
            else if (!known)
            {
                rows.Add(new AllocationRow(name, null, a, AllocationVerdict.NotInBaseline, Fails: true));
            }
            else if (a > expected)
            {
                rows.Add(new AllocationRow(name, expected, a, AllocationVerdict.Regressed, Fails: true));
            }
            else if (a < expected)
            {
                rows.Add(new AllocationRow(name, expected, a, AllocationVerdict.Improved, Fails: false));
            }
            else
            {
                rows.Add(new AllocationRow(name, expected, a, AllocationVerdict.Ok, Fails: false));
            }
        }
        foreach (var (name, expected) in baseline.Benchmarks)
        {
            if (measured.ContainsKey(name)) continue;
            rows.Add(new AllocationRow(name, expected, null, AllocationVerdict.NotMeasured, Fails: !allowNotMeasured));
        }
        return new AllocationGateResult(rows);
    }

    /// <summary>A baseline holding exactly the measured figures (for <c>--write-baseline</c>).</summary>
    public static AllocationBaseline ToBaseline(IReadOnlyDictionary<string, long?> measured, string? comment, string? source)
    {
        var b = new AllocationBaseline { Comment = comment, Source = source };
        foreach (var (name, bytes) in measured)
        {
            if (bytes is { } v) b.Benchmarks[name] = v;
        }
        return b;
    }

    public static void Print(AllocationGateResult result, TextWriter output)
    {
        var table = new TextTable("Benchmark", "Baseline B/op", "Actual B/op", "Delta", "Verdict");
        foreach (var r in result.Rows)
        {
            string verdict = r.Verdict switch
            {
                AllocationVerdict.Ok => "ok",
                AllocationVerdict.Improved => "IMPROVED (lower the baseline)",
                AllocationVerdict.Regressed => "REGRESSED",
                AllocationVerdict.NotInBaseline => "NEW (add to baseline)",
                AllocationVerdict.NotMeasured => r.Fails ? "NOT MEASURED" : "not measured (allowed)",
                AllocationVerdict.NoData => "NO DATA",
                _ => r.Verdict.ToString(),
            };
            string delta = r.Delta is { } d ? (d > 0 ? "+" : "") + d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
            table.Add(r.Name, Format(r.Baseline), Format(r.Actual), delta, verdict);
        }
        table.Write(output);
        output.WriteLine();
        foreach (var r in result.Rows.Where(r => r.Verdict == AllocationVerdict.Improved))
        {
            output.WriteLine($"note: {r.Name} now allocates {r.Actual} B/op, below its baseline {r.Baseline}: lower the baseline in the same commit and say why.");
        }
        output.WriteLine(result.Passed
            ? $"allocation gate: PASS ({result.Rows.Count} benchmarks, {result.Count(AllocationVerdict.Improved)} improved)"
            : $"allocation gate: FAIL ({result.Rows.Count(r => r.Fails)} of {result.Rows.Count} failing)");
    }

    private static string Format(long? v) => v?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-";
}
