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

    /// <summary>
    /// Optional per-benchmark noise budgets (bytes per measurement), keyed by full-name prefix; the longest
    /// matching prefix wins, otherwise the gate's default. For benchmarks with threads of their own.
    /// </summary>
    public SortedDictionary<string, long>? NoiseBytes { get; set; }

    /// <summary>The noise budget for <paramref name="name"/>.</summary>
    public long NoiseBudget(string name, long defaultBytes)
    {
        if (NoiseBytes is null) return defaultBytes;
        string? best = null;
        foreach (var prefix in NoiseBytes.Keys)
        {
            if (name.StartsWith(prefix, StringComparison.Ordinal) && (best is null || prefix.Length > best.Length)) best = prefix;
        }
        return best is null ? defaultBytes : NoiseBytes[best];
    }

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

/// <summary>One benchmark's figure: bytes/op (null without memory data) over how many operations it was measured.</summary>
public readonly record struct Measurement(long? BytesPerOp, long TotalOperations);

public sealed record AllocationRow(string Name, long? Baseline, long? Actual, AllocationVerdict Verdict, bool Fails, long Allowance = 0)
{
    public long? Delta => Baseline is { } b && Actual is { } a ? a - b : null;
}

public sealed record AllocationGateResult(IReadOnlyList<AllocationRow> Rows)
{
    public bool Passed => Rows.All(r => !r.Fails);

    public int Count(AllocationVerdict v) => Rows.Count(r => r.Verdict == v);
}

/// <summary>
/// Gate 1: allocated bytes per operation may never grow.
/// </summary>
/// <remarks>
/// MemoryDiagnoser counts every thread's allocations during its measurement iteration, and the runtime
/// and the in-process host allocate a few KB of their own in that window (about 5.4 KB measured here,
/// whatever the benchmark; up to ~16 KB more around the engine's own thread and timers). Divided by
/// millions of operations that is 0 B/op and the figure is exact; divided by the 6 operations of a 10 ms
/// benchmark it is ~900 B/op. So a figure may exceed its baseline by at most
/// <c>noiseBytes / TotalOperations</c> (integer division): 0 for every benchmark measured over more
/// operations than that, a fraction of a percent for the slow ones. Never a percentage.
/// </remarks>
public static class AllocationGate
{
    /// <summary>Background allocation per measurement iteration that is not the benchmark's (4x the worst spread measured).</summary>
    public const long DefaultNoiseBytes = 64 * 1024;

    /// <summary>
    /// Bytes/op per benchmark full name from BenchmarkDotNet reports (null where there is no memory data).
    /// A benchmark in several reports keeps its largest figure (the gate must see the worst), or with
    /// <paramref name="smallest"/> its smallest (the truth: background noise only ever adds).
    /// </summary>
    public static Dictionary<string, Measurement> Measured(IEnumerable<BdnReport> reports, bool smallest = false)
    {
        var measured = new Dictionary<string, Measurement>(StringComparer.Ordinal);
        foreach (var report in reports)
        {
            foreach (var b in report.Benchmarks)
            {
                if (string.IsNullOrEmpty(b.FullName)) continue;
                var m = new Measurement(b.Memory?.BytesAllocatedPerOperation, b.Memory?.TotalOperations ?? 0);
                if (measured.TryGetValue(b.FullName, out var seen) && seen.BytesPerOp is { } s)
                {
                    if (m.BytesPerOp is not { } v) continue;
                    if (smallest ? v >= s : v <= s) continue;
                }
                measured[b.FullName] = m;
            }
        }
        return measured;
    }

    /// <summary>How many bytes/op above its baseline a figure may be, given the operations it was measured over.</summary>
    public static long Allowance(long totalOperations, long noiseBytes) =>
        totalOperations <= 0 ? 0 : noiseBytes / totalOperations;

    public static AllocationGateResult Compare(IReadOnlyDictionary<string, Measurement> measured, AllocationBaseline baseline,
        bool allowNotMeasured = false, long noiseBytes = DefaultNoiseBytes)
    {
        var rows = new List<AllocationRow>();
        foreach (var (name, m) in measured.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            bool known = baseline.Benchmarks.TryGetValue(name, out long expected);
            long allowance = Allowance(m.TotalOperations, baseline.NoiseBudget(name, noiseBytes));
            if (m.BytesPerOp is not { } a)
            {
                rows.Add(new AllocationRow(name, known ? expected : null, null, AllocationVerdict.NoData, Fails: true));
            }
            else if (!known)
            {
                rows.Add(new AllocationRow(name, null, a, AllocationVerdict.NotInBaseline, Fails: true, allowance));
            }
            else if (a > expected + allowance)
            {
                rows.Add(new AllocationRow(name, expected, a, AllocationVerdict.Regressed, Fails: true, allowance));
            }
            else if (a < expected - allowance)
            {
                rows.Add(new AllocationRow(name, expected, a, AllocationVerdict.Improved, Fails: false, allowance));
            }
            else
            {
                rows.Add(new AllocationRow(name, expected, a, AllocationVerdict.Ok, Fails: false, allowance));
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
    public static AllocationBaseline ToBaseline(IReadOnlyDictionary<string, Measurement> measured, string? comment, string? source,
        SortedDictionary<string, long>? noiseBytes = null)
    {
        var b = new AllocationBaseline { Comment = comment, Source = source, NoiseBytes = noiseBytes };
        foreach (var (name, m) in measured)
        {
            if (m.BytesPerOp is { } v) b.Benchmarks[name] = v;
        }
        return b;
    }

    public static void Print(AllocationGateResult result, TextWriter output)
    {
        var table = new TextTable("Benchmark", "Baseline B/op", "Actual B/op", "Delta", "Noise allowance", "Verdict");
        foreach (var r in result.Rows)
        {
            string verdict = r.Verdict switch
            {
                AllocationVerdict.Ok => r.Actual != r.Baseline ? "ok (within noise)" : "ok",
                AllocationVerdict.Improved => "IMPROVED (lower the baseline)",
                AllocationVerdict.Regressed => "REGRESSED",
                AllocationVerdict.NotInBaseline => "NEW (add to baseline)",
                AllocationVerdict.NotMeasured => r.Fails ? "NOT MEASURED" : "not measured (allowed)",
                AllocationVerdict.NoData => "NO DATA",
                _ => r.Verdict.ToString(),
            };
            string delta = r.Delta is { } d ? (d > 0 ? "+" : "") + d.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
            table.Add(r.Name, Format(r.Baseline), Format(r.Actual), delta, r.Allowance > 0 ? $"+{r.Allowance}" : "0", verdict);
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
