using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Filters;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace HotZk.Benchmarks;

/// <summary>
/// Entry point. Every BenchmarkDotNet switch works (<c>--filter '*Jute*'</c>, <c>--list flat</c>, …);
/// <c>--quick</c> swaps the default job for a short one used by the CI perf gate and leaves out the
/// <see cref="Categories.Heavy"/> suites; <c>--alloc-trace [name]</c>
/// prints where the allocations of the matching benchmarks come from (see <see cref="AllocationTrace"/>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        int trace = Array.IndexOf(args, "--alloc-trace");
        if (trace >= 0) return AllocationTrace.Run(trace + 1 < args.Length ? args[trace + 1] : null, Console.Out);

        bool quick = args.Contains("--quick");
        args = [.. args.Where(a => a != "--quick")];

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, CreateConfig(quick));
        // BenchmarkDotNet reports failures inside the summary; surface them as the exit code.
        foreach (var s in summaries)
        {
            if (s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) return 1;
        }
        return 0;
    }

    public static IConfig CreateConfig(bool quick)
    {
        var job = quick ? QuickJob : FullJob;
        var config = DefaultConfig.Instance
            .AddJob(job.AsDefault())
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddExporter(JsonExporter.Full)
            .WithOptions(ConfigOptions.JoinSummary)
            // Building the generated boilerplate takes minutes on a busy 2-core machine (default limit: 2 min).
            .WithBuildTimeout(TimeSpan.FromMinutes(15));
        // --quick is the CI perf gate's mode: it never selects the Heavy suites (minutes each, own jobs,
        // no allocation baseline), whatever --filter says. Run those without --quick.
        if (quick) config = config.AddFilter(NotHeavy);
        return config;
    }

    /// <summary>Excludes every benchmark in <see cref="Categories.Heavy"/>.</summary>
    public static IFilter NotHeavy { get; } = new SimpleFilter(b => !b.Descriptor.Categories.Contains(Categories.Heavy));

    /// <summary>
    /// A ShortRun-like job for CI: in-process (no generated project to build, no process per benchmark:
    /// building BenchmarkDotNet's boilerplate alone takes minutes on a busy 2-core machine), one launch,
    /// 2 warmups, 3 measured iterations of 100 ms, no overhead evaluation. Allocation figures come from
    /// MemoryDiagnoser's extra iteration and stay exact; timings are indicative only.
    /// </summary>
    public static Job QuickJob { get; } = Job.ShortRun
        .WithWarmupCount(2)
        .WithIterationCount(3)
        .WithIterationTime(TimeInterval.FromMilliseconds(100))
        .WithEvaluateOverhead(false)
        .WithToolchain(InProcessEmitToolchain.Instance)
        .WithId("Quick");

    /// <summary>The default job: out of process, BenchmarkDotNet's own iteration counts.</summary>
    public static Job FullJob { get; } = Job.Default.WithId("Full");
}
