using HotZk.PerfGate;
using Xunit;

namespace HotZk.PerfGate.Tests;

public class ThroughputGateTests
{
    private static LoadGenResult Run(params (string Name, double OpsPerSec)[] workloads) =>
        new() { Workloads = [.. workloads.Select(w => new LoadGenWorkload { Name = w.Name, OpsPerSec = w.OpsPerSec })] };

    private static ThroughputBaseline Baseline(double tolerance, params (string Name, double Ratio)[] entries)
    {
        var b = new ThroughputBaseline { Calibration = "cal", Tolerance = tolerance };
        foreach (var (name, ratio) in entries) b.Workloads[name] = new ThroughputBaselineEntry { Ratio = ratio };
        return b;
    }

    [Fact]
    public void ARatioWithinTheToleranceBelowTheBaselinePasses()
    {
        // 0.5 baseline, 30% tolerance: the floor is 0.35; 36k / 100k = 0.36.
        var result = ThroughputGate.Compare(Run(("cal", 100_000), ("setData", 36_000)), 100_000, Baseline(0.3, ("setData", 0.5)));
        Assert.True(result.Passed);
        Assert.Equal(ThroughputVerdict.Ok, Assert.Single(result.Rows).Verdict);
    }

    [Fact]
    public void ARatioBelowTheFloorFails()
    {
        var result = ThroughputGate.Compare(Run(("cal", 100_000), ("setData", 34_000)), 100_000, Baseline(0.3, ("setData", 0.5)));
        Assert.False(result.Passed);
        var row = Assert.Single(result.Rows);
        Assert.Equal(ThroughputVerdict.Slower, row.Verdict);
        Assert.Equal(0.35, row.Floor!.Value, 9);
    }

    [Fact]
    public void TheRatioNotTheAbsoluteRateIsGated()
    {
        // The whole machine is half as fast: absolute ops/s halve, the ratio holds, the gate passes.
        var result = ThroughputGate.Compare(Run(("cal", 50_000), ("setData", 25_000)), 50_000, Baseline(0.1, ("setData", 0.5)));
        Assert.True(result.Passed);
    }

    [Fact]
    public void APerWorkloadToleranceOverridesTheDefault()
    {
        var baseline = Baseline(0.1, ("getData", 1.0));
        baseline.Workloads["getData"].Tolerance = 0.5;
        Assert.True(ThroughputGate.Compare(Run(("getData", 60)), 100, baseline).Passed);
        baseline.Workloads["getData"].Tolerance = null;
        Assert.False(ThroughputGate.Compare(Run(("getData", 60)), 100, baseline).Passed);
    }

    [Fact]
    public void MuchFasterPassesAndAsksToRaiseTheBaseline()
    {
        var result = ThroughputGate.Compare(Run(("setData", 90)), 100, Baseline(0.2, ("setData", 0.5)));
        Assert.True(result.Passed);
        Assert.Equal(ThroughputVerdict.Faster, Assert.Single(result.Rows).Verdict);
    }

    [Fact]
    public void ABaselineWorkloadMissingFromTheRunFails()
    {
        var result = ThroughputGate.Compare(Run(("other", 10)), 100, Baseline(0.2, ("setData", 0.5)));
        Assert.False(result.Passed);
        Assert.Contains(result.Rows, r => r.Name == "setData" && r.Verdict == ThroughputVerdict.NotMeasured);
        Assert.Contains(result.Rows, r => r.Name == "other" && r.Verdict == ThroughputVerdict.NotInBaseline && !r.Fails);
    }

    [Fact]
    public void NoCalibrationIsAnError()
    {
        Assert.Throws<InvalidDataException>(() => ThroughputGate.Compare(Run(("setData", 10)), 0, Baseline(0.2)));
    }

    [Fact]
    public void LooseSchemaAcceptsAliasesAndIgnoresUnknownMembers()
    {
        var r = LoadGenResult.Parse("""
            { "tool": "x", "extra": { "a": 1 },
              "results": [ { "name": "cal", "throughput": "1000", "p99": 3 }, { "name": "w", "opsPerSec": 250, "errors": {} } ] }
            """);
        Assert.Equal(1000, r.RateOf("cal"));
        Assert.Equal(250, r.RateOf("w"));
        Assert.Null(r.RateOf("nope"));
    }

    [Fact]
    public void ReadsASingleLoadGenRunAndMergesRuns()
    {
        // The shape `hotzk bench run --json` writes (PascalCase, one workload per file).
        var set = LoadGenResult.Parse("""{ "Workload": "setData", "Connect": "127.0.0.1:2181", "OpsPerSec": 41000.5, "All": { "P99Us": 900 }, "ByOp": [] }""");
        var get = LoadGenResult.Parse("""{ "Workload": "getData", "OpsPerSec": 90000 }""");
        var merged = LoadGenResult.Merge([set, get]);
        Assert.Equal(41000.5, merged.RateOf("setData"));
        Assert.Equal(90000, merged.RateOf("getData"));
    }

    [Fact]
    public void CommandLineTakesTheCalibrationFromASeparateRun()
    {
        string dir = Directory.CreateTempSubdirectory("perfgate-tp-").FullName;
        try
        {
            string run = Path.Combine(dir, "run.json");
            string cal = Path.Combine(dir, "null.json");
            string baseline = Path.Combine(dir, "throughput.json");
            File.WriteAllText(run, """{ "Workload": "setData", "OpsPerSec": 30000 }""");
            File.WriteAllText(cal, """{ "Workload": "setData", "OpsPerSec": 100000 }""");
            File.WriteAllText(baseline, """{ "tolerance": 0.2, "workloads": { "setData": { "ratio": 0.4 } } }""");
            // 0.3 < 0.4 * 0.8 = 0.32: fails; 0.35 passes.
            Assert.Equal(1, Program.Run(["throughput", "--result", run, "--calibration", cal, "--baseline", baseline], TextWriter.Null, TextWriter.Null));
            File.WriteAllText(run, """{ "Workload": "setData", "OpsPerSec": 35000 }""");
            Assert.Equal(0, Program.Run(["throughput", "--result", run, "--calibration", cal, "--baseline", baseline], TextWriter.Null, TextWriter.Null));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SampleFilesPassTheGate()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "samples");
        int code = Program.Run(
            ["throughput", "--result", Path.Combine(dir, "loadgen-result.sample.json"), "--baseline", Path.Combine(dir, "throughput-baseline.sample.json")],
            TextWriter.Null, TextWriter.Null);
        Assert.Equal(0, code);
    }

    [Fact]
    public void SpreadIsRangeOverMedian()
    {
        var rows = ThroughputGate.Spread([Run(("cal", 100), ("w", 40)), Run(("cal", 100), ("w", 50)), Run(("cal", 200), ("w", 90))], "cal");
        var row = Assert.Single(rows);
        Assert.Equal(3, row.Runs);
        Assert.Equal(0.4, row.Min, 9);
        Assert.Equal(0.45, row.Median, 9);
        Assert.Equal(0.5, row.Max, 9);
        Assert.Equal(0.1 / 0.45, row.Spread, 9);
    }
}
