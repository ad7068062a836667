using System.Diagnostics;
using Xunit.Sdk;

namespace HotZk.Ensemble.Tests;

/// <summary>Bounded polling: a condition checked every <c>interval</c> until it holds or time runs out.</summary>
public static class Eventually
{
    /// <summary>Returns how long it took; throws (with <paramref name="what"/> and the last error) when the time runs out.</summary>
    public static async Task<TimeSpan> HoldsAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, int intervalMs = 100)
    {
        var sw = Stopwatch.StartNew();
        Exception? last = null;
        for (int round = 0; round < 100_000; round++)
        {
            try
            {
                if (await condition()) return sw.Elapsed;
                last = null;
            }
            catch (Exception e) when (e is not XunitException)
            {
                last = e;
            }
            if (sw.Elapsed >= timeout) break;
            await Task.Delay(intervalMs);
        }
        throw new XunitException($"{what}: not true within {timeout.TotalSeconds:0.#} s{(last is null ? "" : $" (last error: {last.GetType().Name}: {last.Message})")}");
    }
}
