using HotZk.PerfGate;
using Xunit;

namespace HotZk.PerfGate.Tests;

public class AllocationGateTests
{
    private static AllocationBaseline Baseline(params (string Name, long Bytes)[] entries)
    {
        var b = new AllocationBaseline();
        foreach (var (name, bytes) in entries) b.Benchmarks[name] = bytes;
        return b;
    }

    // Measured over a billion operations: the noise allowance is 0, the comparison exact.
    private static Dictionary<string, Measurement> Measured(params (string Name, long? Bytes)[] entries) =>
        entries.ToDictionary(e => e.Name, e => new Measurement(e.Bytes, 1_000_000_000), StringComparer.Ordinal);

    [Fact]
    public void EqualAllocationsPass()
    {
        var result = AllocationGate.Compare(Measured(("A.B.C", 0), ("A.B.D", 120)), Baseline(("A.B.C", 0), ("A.B.D", 120)));
        Assert.True(result.Passed);
        Assert.All(result.Rows, r => Assert.Equal(AllocationVerdict.Ok, r.Verdict));
    }

    [Fact]
    public void OneByteMoreThanTheBaselineFails()
    {
        var result = AllocationGate.Compare(Measured(("A.B.C", 1)), Baseline(("A.B.C", 0)));
        Assert.False(result.Passed);
        var row = Assert.Single(result.Rows);
        Assert.Equal(AllocationVerdict.Regressed, row.Verdict);
        Assert.Equal(1, row.Delta);
    }

    [Fact]
    public void FewerBytesPassWithANoteToLowerTheBaseline()
    {
        var result = AllocationGate.Compare(Measured(("A.B.C", 64)), Baseline(("A.B.C", 96)));
        Assert.True(result.Passed);
        Assert.Equal(AllocationVerdict.Improved, Assert.Single(result.Rows).Verdict);
        var text = new StringWriter();
        AllocationGate.Print(result, text);
        Assert.Contains("lower the baseline", text.ToString());
        Assert.Contains("PASS", text.ToString());
    }

    [Fact]
    public void ABenchmarkWithoutABaselineFails()
    {
        var result = AllocationGate.Compare(Measured(("A.B.New", 0)), Baseline());
        Assert.False(result.Passed);
        Assert.Equal(AllocationVerdict.NotInBaseline, Assert.Single(result.Rows).Verdict);
    }

    [Fact]
    public void ABaselineEntryThatWasNotMeasuredFailsUnlessAllowed()
    {
        var measured = Measured(("A.B.C", 0));
        var baseline = Baseline(("A.B.C", 0), ("A.B.Gone", 40));
        Assert.False(AllocationGate.Compare(measured, baseline).Passed);
        var allowed = AllocationGate.Compare(measured, baseline, allowNotMeasured: true);
        Assert.True(allowed.Passed);
        Assert.Contains(allowed.Rows, r => r.Name == "A.B.Gone" && r.Verdict == AllocationVerdict.NotMeasured);
    }

    [Fact]
    public void MissingMemoryDataFails()
    {
        var result = AllocationGate.Compare(Measured(("A.B.C", null)), Baseline(("A.B.C", 0)));
        Assert.False(result.Passed);
        Assert.Equal(AllocationVerdict.NoData, Assert.Single(result.Rows).Verdict);
    }

    [Fact]
    public void TheWorstFigureWinsWhenTwoReportsHoldTheSameBenchmark()
    {
        var a = new BdnReport { Benchmarks = [Bench("A.B.C", 16)] };
        var b = new BdnReport { Benchmarks = [Bench("A.B.C", 48)] };
        Assert.Equal(48, AllocationGate.Measured([a, b])["A.B.C"].BytesPerOp);
        Assert.Equal(48, AllocationGate.Measured([b, a])["A.B.C"].BytesPerOp);
        Assert.Equal(16, AllocationGate.Measured([b, a], smallest: true)["A.B.C"].BytesPerOp);
    }

    [Fact]
    public void ASlowBenchmarkMayExceedItsBaselineByTheNoiseSpreadOverItsOperations()
    {
        var baseline = Baseline(("A.B.Slow", 800_056), ("A.B.Fast", 0));
        // 6 operations, 16 KiB of noise: 16384 / 6 = 2730 B/op allowance; 888 over passes, 2731 over fails.
        Assert.True(AllocationGate.Compare(new Dictionary<string, Measurement> { ["A.B.Slow"] = new(800_944, 6), ["A.B.Fast"] = new(0, 5_000_000) }, baseline, noiseBytes: 16_384).Passed);
        Assert.False(AllocationGate.Compare(new Dictionary<string, Measurement> { ["A.B.Slow"] = new(802_787, 6), ["A.B.Fast"] = new(0, 5_000_000) }, baseline, noiseBytes: 16_384).Passed);
        // Over more operations than the noise bytes the allowance is 0: one byte fails.
        Assert.False(AllocationGate.Compare(new Dictionary<string, Measurement> { ["A.B.Slow"] = new(800_056, 6), ["A.B.Fast"] = new(1, 65_537) }, baseline).Passed);
        Assert.Equal(0, AllocationGate.Allowance(65_537, AllocationGate.DefaultNoiseBytes));
        // A per-prefix budget for benchmarks with threads of their own.
        baseline.NoiseBytes = new() { ["A.B.F"] = 1_000_000, ["A.B.Fa"] = 65_537 * 3 };
        Assert.True(AllocationGate.Compare(new Dictionary<string, Measurement> { ["A.B.Slow"] = new(800_056, 6), ["A.B.Fast"] = new(3, 65_537) }, baseline).Passed);
        Assert.False(AllocationGate.Compare(new Dictionary<string, Measurement> { ["A.B.Slow"] = new(800_056, 6), ["A.B.Fast"] = new(4, 65_537) }, baseline).Passed);
        baseline.NoiseBytes = null;
        // Below the baseline but within the noise is not reported as an improvement.
        var within = AllocationGate.Compare(new Dictionary<string, Measurement> { ["A.B.Slow"] = new(800_000, 6), ["A.B.Fast"] = new(0, 5_000_000) }, baseline);
        Assert.All(within.Rows, r => Assert.Equal(AllocationVerdict.Ok, r.Verdict));
    }

    [Fact]
    public void BaselineRoundTripsThroughJson()
    {
        var b = Baseline(("N.T.M(P: 1)", 1024), ("N.T.Z", 0));
        b.Comment = "why";
        var back = AllocationBaseline.Parse(b.ToJson());
        Assert.Equal(b.Benchmarks, back.Benchmarks);
        Assert.Equal("why", back.Comment);
    }

    [Fact]
    public void ReadsBenchmarkDotNetFullJson()
    {
        const string json = """
            {
              "Title": "BenchmarkRun-joined",
              "HostEnvironmentInfo": { "BenchmarkDotNetVersion": "0.15.8", "LogicalCoreCount": 2 },
              "Benchmarks": [
                {
                  "DisplayInfo": "WatchTriggerBenchmarks.TriggerPersistent: Quick(Watchers=1)",
                  "Namespace": "HotZk.Benchmarks.Watches", "Type": "WatchTriggerBenchmarks", "Method": "TriggerPersistent",
                  "Parameters": "Watchers=1",
                  "FullName": "HotZk.Benchmarks.Watches.WatchTriggerBenchmarks.TriggerPersistent(Watchers: 1)",
                  "Statistics": { "N": 3, "Mean": 41.5, "Median": 41.0, "StandardDeviation": 0.4, "Percentiles": { "P95": 42 } },
                  "Memory": { "Gen0Collections": 0, "Gen1Collections": 0, "Gen2Collections": 0, "TotalOperations": 4194304, "BytesAllocatedPerOperation": 0 },
                  "Measurements": [ { "IterationMode": "Workload", "Operations": 16, "Nanoseconds": 700 } ]
                },
                { "FullName": "HotZk.Benchmarks.X.Y.Failed", "Statistics": null, "Memory": { "TotalOperations": 0, "BytesAllocatedPerOperation": null } }
              ]
            }
            """;
        var measured = AllocationGate.Measured([BdnReport.Parse(json)]);
        Assert.Equal(new Measurement(0, 4194304), measured["HotZk.Benchmarks.Watches.WatchTriggerBenchmarks.TriggerPersistent(Watchers: 1)"]);
        Assert.Null(measured["HotZk.Benchmarks.X.Y.Failed"].BytesPerOp);
    }

    [Fact]
    public void CommandLineExitsOneOnRegressionAndWritesTheBaselineOnRequest()
    {
        string dir = Directory.CreateTempSubdirectory("perfgate-test-").FullName;
        try
        {
            string report = Path.Combine(dir, "run-report-full.json");
            File.WriteAllText(report, """{ "Benchmarks": [ { "FullName": "A.B.C", "Memory": { "TotalOperations": 100000, "BytesAllocatedPerOperation": 32 } } ] }""");
            string baseline = Path.Combine(dir, "allocations.json");
            File.WriteAllText(baseline, """{ "$comment": "keep me", "benchmarks": { "A.B.C": 24 } }""");

            Assert.Equal(1, Program.Run(["alloc", "--results", dir, "--baseline", baseline], TextWriter.Null, TextWriter.Null));
            Assert.Equal(0, Program.Run(["alloc", "--results", dir, "--baseline", baseline, "--write-baseline"], TextWriter.Null, TextWriter.Null));
            var written = AllocationBaseline.Load(baseline);
            Assert.Equal(32, written.Benchmarks["A.B.C"]);
            Assert.Equal("keep me", written.Comment);
            Assert.Equal(0, Program.Run(["alloc", "--results", dir, "--baseline", baseline], TextWriter.Null, TextWriter.Null));
            Assert.Equal(2, Program.Run(["alloc", "--results", Path.Combine(dir, "nope"), "--baseline", baseline], TextWriter.Null, TextWriter.Null));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static BdnBenchmark Bench(string name, long bytes) =>
        new() { FullName = name, Memory = new BdnMemory { TotalOperations = 100, BytesAllocatedPerOperation = bytes } };
}
