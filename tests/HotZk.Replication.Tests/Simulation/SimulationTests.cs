using System.Diagnostics;
using Xunit.Abstractions;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// Whole-ensemble simulations. HOTZK_SIM_SEEDS=n runs seeds 1..n (long mode); HOTZK_SIM_SEED=s
/// replays one seed with its full trace printed.
/// </summary>
[Collection("Simulation")]
public class SimulationTests(ITestOutputHelper output)
{
    // 1000 seeds take 14–25 s on the 2-core CI machine (about 15 ms a seed per core).
    private const int DefaultSeeds = 1000;

    /// <summary>Every fourth seed runs 5 voters + 1 observer; the rest 3 voters (+ an observer now and then).</summary>
    internal static SimConfig ConfigFor(int seed) => SimConfig.ForSeed(seed, big: seed % 4 == 3) with
    {
        // HOTZK_SIM_DISK_ERRORS=1 adds txn-log sync failures to the faults (they lose acknowledged writes today).
        DiskErrors = Environment.GetEnvironmentVariable("HOTZK_SIM_DISK_ERRORS") == "1",
    };

    [Fact]
    public void RandomFaultSchedulesKeepTheEnsembleSafeAndLive()
    {
        if (Environment.GetEnvironmentVariable("HOTZK_SIM_SEED") is { Length: > 0 } one)
        {
            int seed = int.Parse(one, System.Globalization.CultureInfo.InvariantCulture);
            var single = new EnsembleSimulation(ConfigFor(seed), verbose: true, output.WriteLine).Run();
            output.WriteLine(single.Summary);
            Assert.True(single.Ok, single.Describe());
            return;
        }
        int seeds = Environment.GetEnvironmentVariable("HOTZK_SIM_SEEDS") is { Length: > 0 } n
            ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture)
            : DefaultSeeds;

        var clock = Stopwatch.StartNew();
        var results = new SimRunResult[seeds];
        Parallel.For(1, seeds + 1, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, seed =>
        {
            results[seed - 1] = new EnsembleSimulation(ConfigFor(seed)).Run();
        });
        var failed = results.Where(r => !r.Ok).ToList();
        output.WriteLine($"{seeds} seeds in {clock.ElapsedMilliseconds} ms: {failed.Count} failed; " +
            $"{results.Sum(r => r.Events)} events, {results.Sum(r => r.Commits)} commits, {results.Sum(r => r.WritesAcked)} writes acked, " +
            $"{results.Sum(r => r.WritesUnknown)} unknown, {results.Sum(r => r.ReadsOk)} reads, {results.Sum(r => r.Crashes)} crashes, {results.Sum(r => r.Elections)} leaderships, " +
            $"{results.Sum(r => r.SnapSyncs)} SNAP installs, {results.Sum(r => r.Truncations)} log truncations, {results.Count(r => r.Config.Voters == 5)} five-voter runs");
        foreach (var f in failed) output.WriteLine($"seed {f.Config.Seed}: {Shorten(f.Failures[0])}");
        Assert.True(failed.Count == 0, $"{failed.Count} of {seeds} seeds failed (seeds {string.Join(", ", failed.Select(f => f.Config.Seed).Take(40))}); first:\n{failed.FirstOrDefault()?.Describe()}");
    }

    private static string Shorten(string s) => s.Length <= 300 ? s : s[..300] + "…";

    [Fact]
    public void TheSameSeedReplaysTheSameRun()
    {
        foreach (int seed in new[] { 11, 19 })
        {
            var a = new EnsembleSimulation(ConfigFor(seed)).Run();
            var b = new EnsembleSimulation(ConfigFor(seed)).Run();
            Assert.Equal(a.Events, b.Events);
            Assert.Equal(a.TraceHash, b.TraceHash);
            Assert.True(a.Commits > 0, $"seed {seed} committed nothing");
            var other = new EnsembleSimulation(ConfigFor(seed + 1)).Run();
            Assert.NotEqual(a.TraceHash, other.TraceHash);
        }
    }
}
