using System.Text.Json;
using System.Text.Json.Serialization;

namespace HotZk.PerfGate;

/// <summary>
/// The parts of BenchmarkDotNet's full JSON export (<c>JsonExporter.Full</c>, files named
/// <c>*-report-full.json</c> or <c>*-report-full-compressed.json</c>) that the gate reads.
/// Unknown members are ignored, so newer BenchmarkDotNet versions keep working.
/// </summary>
public sealed class BdnReport
{
    public string? Title { get; set; }

    public BdnHostInfo? HostEnvironmentInfo { get; set; }

    public List<BdnBenchmark> Benchmarks { get; set; } = [];

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static BdnReport Parse(string json) =>
        JsonSerializer.Deserialize<BdnReport>(json, Options) ?? throw new InvalidDataException("empty BenchmarkDotNet report");

    public static BdnReport Load(string path)
    {
        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path} is not a BenchmarkDotNet JSON report: {e.Message}", e);
        }
    }

    /// <summary>The report files in <paramref name="pathOrDir"/> (a file, or a results directory).</summary>
    public static IReadOnlyList<string> Find(string pathOrDir)
    {
        if (File.Exists(pathOrDir)) return [pathOrDir];
        if (!Directory.Exists(pathOrDir)) throw new FileNotFoundException($"no BenchmarkDotNet report or results directory at {pathOrDir}");
        var files = Directory.GetFiles(pathOrDir, "*-report-full*.json", SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }
}

public sealed class BdnHostInfo
{
    public string? BenchmarkDotNetVersion { get; set; }

    public string? OsVersion { get; set; }

    public string? ProcessorName { get; set; }

    public int? LogicalCoreCount { get; set; }

    public string? RuntimeVersion { get; set; }
}

public sealed class BdnBenchmark
{
    public string? DisplayInfo { get; set; }

    public string? Namespace { get; set; }

    public string? Type { get; set; }

    public string? Method { get; set; }

    public string? Parameters { get; set; }

    /// <summary>Namespace.Type.Method(Param: value, …): the key of the allocation baseline.</summary>
    public string FullName { get; set; } = "";

    public BdnStatistics? Statistics { get; set; }

    public BdnMemory? Memory { get; set; }
}

public sealed class BdnStatistics
{
    public int N { get; set; }

    /// <summary>Mean time per operation, nanoseconds.</summary>
    public double Mean { get; set; }

    public double Median { get; set; }

    public double StandardDeviation { get; set; }
}

public sealed class BdnMemory
{
    public int Gen0Collections { get; set; }

    public int Gen1Collections { get; set; }

    public int Gen2Collections { get; set; }

    public long TotalOperations { get; set; }

    /// <summary>Null when MemoryDiagnoser did not run.</summary>
    public long? BytesAllocatedPerOperation { get; set; }
}
