using System.Globalization;

namespace HotZk.PerfGate;

/// <summary>
/// The CI perf gate. Exit code: 0 pass, 1 regression, 2 bad usage or unreadable input.
/// </summary>
public static class Program
{
    private const string Usage = """
        usage:
          hotzk-perfgate alloc --results <dir|report.json>... --baseline <allocations.json> [--allow-missing] [--write-baseline] [--source <text>] [--noise-bytes N]
              Compares BenchmarkDotNet allocated bytes/op (JSON full export, *-report-full*.json) with the baseline.
              An increase beyond N / TotalOperations bytes/op (N = 65536: background allocation in a measurement
              window; 0 B/op for any benchmark measured over more than N operations) fails; a decrease passes with
              a note to lower the baseline. --write-baseline rewrites the baseline from the smallest figure of each
              benchmark over all the given runs (keeps its $comment) and exits 0.
          hotzk-perfgate throughput --result <loadgen.json>... --baseline <throughput.json> [--calibration <loadgen.json>] [--calibration-workload <name>]
              Divides each workload's ops/s by the calibration workload's (same CI run; from --calibration if given,
              else the workload named by the baseline's "calibration" in --result) and fails when a ratio drops
              more than its tolerance below the baseline. --result may repeat (one file per run).
          hotzk-perfgate spread --calibration-workload <name> <loadgen.json>...
              Prints min/median/max and (max-min)/median of each workload's ratio over repeated runs.
        """;

    public static int Main(string[] args) => Run(args, Console.Out, Console.Error);

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            if (args.Length == 0) return Fail(error, "no command");
            var opts = Args.Parse(args.AsSpan(1));
            return args[0] switch
            {
                "alloc" => Alloc(opts, output),
                "throughput" => Throughput(opts, output),
                "spread" => Spread(opts, output),
                "help" or "--help" or "-h" => Help(output),
                _ => Fail(error, $"unknown command '{args[0]}'"),
            };
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException)
        {
            error.WriteLine($"perfgate: {e.Message}");
            return 2;
        }
    }

    private static int Help(TextWriter output)
    {
        output.WriteLine(Usage);
        return 0;
    }

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"perfgate: {message}");
        error.WriteLine(Usage);
        return 2;
    }

    private static int Alloc(Args opts, TextWriter output)
    {
        var inputs = opts.All("--results");
        if (inputs.Count == 0) throw new ArgumentException("--results is required");
        string baselinePath = opts.Required("--baseline");
        var files = inputs.SelectMany(BdnReport.Find).Distinct().ToList();
        if (files.Count == 0) throw new InvalidDataException($"no *-report-full*.json in {string.Join(", ", inputs)}: was JsonExporter.Full enabled?");
        var reports = files.Select(BdnReport.Load).ToList();
        bool write = opts.Flag("--write-baseline");
        // Several runs: every benchmark is judged by its smallest figure. Background allocation (JIT, timers,
        // the host) only ever adds bytes to one window, while a real regression shows up in every run.
        var measured = AllocationGate.Measured(reports, smallest: true);
        if (measured.Count == 0) throw new InvalidDataException("the reports hold no benchmarks");
        output.WriteLine($"read {measured.Count} benchmarks from {files.Count} report(s)");

        var baseline = File.Exists(baselinePath) ? AllocationBaseline.Load(baselinePath) : new AllocationBaseline();
        long noise = opts.Optional("--noise-bytes") is { } n ? long.Parse(n, CultureInfo.InvariantCulture) : AllocationGate.DefaultNoiseBytes;
        var result = AllocationGate.Compare(measured, baseline, opts.Flag("--allow-missing"), noise);
        AllocationGate.Print(result, output);

        if (write)
        {
            string source = opts.Optional("--source") ?? baseline.Source ?? DescribeHost(reports);
            var updated = AllocationGate.ToBaseline(measured, baseline.Comment, source, baseline.NoiseBytes);
            File.WriteAllText(baselinePath, updated.ToJson());
            output.WriteLine($"wrote {updated.Benchmarks.Count} figures to {baselinePath}");
            return 0;
        }
        return result.Passed ? 0 : 1;
    }

    private static int Throughput(Args opts, TextWriter output)
    {
        var inputs = opts.All("--result");
        if (inputs.Count == 0) throw new ArgumentException("--result is required");
        var result = LoadGenResult.Merge(inputs.Select(LoadGenResult.Load));
        var baseline = ThroughputBaseline.Load(opts.Required("--baseline"));
        string? calName = opts.Optional("--calibration-workload");
        if (calName is not null) baseline.Calibration = calName;
        double cal;
        if (opts.Optional("--calibration") is { } calPath)
        {
            // A separate calibration run (e.g. the same workload against the null server): its named
            // workload, or its only one.
            var calRun = LoadGenResult.Load(calPath);
            cal = (calName is not null ? calRun.RateOf(calName) : null)
                ?? (calRun.All.Count == 1 ? calRun.All[0].Rate : null)
                ?? throw new InvalidDataException($"{calPath}: name the calibration workload with --calibration-workload");
        }
        else
        {
            cal = result.RateOf(baseline.Calibration)
                ?? throw new InvalidDataException($"no calibration workload '{baseline.Calibration}' in the result");
        }
        var gate = ThroughputGate.Compare(result, cal, baseline);
        ThroughputGate.Print(gate, output);
        return gate.Passed ? 0 : 1;
    }

    private static int Spread(Args opts, TextWriter output)
    {
        string calibration = opts.Required("--calibration-workload");
        if (opts.Positional.Count < 2) throw new ArgumentException("spread needs at least two results");
        var rows = ThroughputGate.Spread(opts.Positional.Select(LoadGenResult.Load), calibration);
        var table = new TextTable("Workload", "Runs", "Min", "Median", "Max", "Spread");
        foreach (var r in rows)
        {
            table.Add(r.Name, r.Runs.ToString(CultureInfo.InvariantCulture), F(r.Min), F(r.Median), F(r.Max), r.Spread.ToString("P1", CultureInfo.InvariantCulture));
        }
        table.Write(output);
        return 0;

        static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
    }

    private static string DescribeHost(IEnumerable<BdnReport> reports)
    {
        var host = reports.Select(r => r.HostEnvironmentInfo).FirstOrDefault(h => h is not null);
        return host is null
            ? "BenchmarkDotNet"
            : $"BenchmarkDotNet {host.BenchmarkDotNetVersion}, {host.RuntimeVersion}, {host.ProcessorName} ({host.LogicalCoreCount} logical cores), {host.OsVersion}";
    }
}

/// <summary>--name value pairs (repeatable), --flags, and positional arguments.</summary>
internal sealed class Args
{
    private static readonly HashSet<string> Flags = ["--allow-missing", "--write-baseline"];
    private readonly List<(string Name, string? Value)> _options = [];

    public List<string> Positional { get; } = [];

    public static Args Parse(ReadOnlySpan<string> args)
    {
        var a = new Args();
        for (int i = 0; i < args.Length; i++)
        {
            string s = args[i];
            if (!s.StartsWith("--", StringComparison.Ordinal)) { a.Positional.Add(s); continue; }
            if (Flags.Contains(s)) { a._options.Add((s, null)); continue; }
            if (i + 1 >= args.Length) throw new ArgumentException($"{s} needs a value");
            a._options.Add((s, args[++i]));
        }
        return a;
    }

    public bool Flag(string name) => _options.Any(o => o.Name == name);

    public List<string> All(string name) => [.. _options.Where(o => o.Name == name && o.Value is not null).Select(o => o.Value!)];

    public string? Optional(string name) => All(name) is [.., var last] ? last : null;

    public string Required(string name) => Optional(name) ?? throw new ArgumentException($"{name} is required");
}
