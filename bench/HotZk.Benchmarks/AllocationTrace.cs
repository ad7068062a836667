using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace HotZk.Benchmarks;

/// <summary>
/// <c>--alloc-trace [substring]</c>: a quick allocation profile without BenchmarkDotNet. Runs each matching
/// benchmark method in a loop for a couple of seconds with the runtime's GCAllocationTick events on
/// (one sample per ~100 KB allocated, with the type that tipped it) and prints, per benchmark, the
/// exact bytes/op of the loop (all threads) and the sampled allocation by type, largest first.
/// </summary>
public static class AllocationTrace
{
    public static int Run(string? filter, TextWriter output)
    {
        var cases = Cases(filter).ToList();
        if (cases.Count == 0)
        {
            output.WriteLine($"no benchmark matches '{filter}'");
            return 1;
        }
        foreach (var c in cases) Trace(c, output);
        return 0;
    }

    private sealed record Case(Type Type, MethodInfo Method, PropertyInfo? Param, object? ParamValue, int OpsPerInvoke)
    {
        public string Name => $"{Type.Name}.{Method.Name}" + (Param is null ? "" : $"({Param.Name}: {ParamValue})");
    }

    private static IEnumerable<Case> Cases(string? filter)
    {
        foreach (var type in typeof(AllocationTrace).Assembly.GetTypes().Where(t => t.IsPublic && !t.IsAbstract).OrderBy(t => t.FullName, StringComparer.Ordinal))
        {
            // The Heavy suites build 1M-node trees and fsync: only when named.
            if (filter is null && type.GetCustomAttribute<BenchmarkCategoryAttribute>()?.Categories.Contains(Categories.Heavy) == true) continue;
            var param = type.GetProperties().FirstOrDefault(p => p.GetCustomAttribute<ParamsAttribute>() is not null);
            object?[] values = param?.GetCustomAttribute<ParamsAttribute>()!.Values ?? [null];
            foreach (var m in type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
            {
                int ops = m.GetCustomAttribute<BenchmarkAttribute>()!.OperationsPerInvoke;
                foreach (var v in values)
                {
                    var c = new Case(type, m, param, v, Math.Max(1, ops));
                    if (filter is null || $"{type.FullName}.{c.Name}".Contains(filter, StringComparison.OrdinalIgnoreCase)) yield return c;
                }
            }
        }
    }

    private static void Trace(Case c, TextWriter output)
    {
        object instance = Activator.CreateInstance(c.Type)!;
        c.Param?.SetValue(instance, c.ParamValue);
        Invoke<GlobalSetupAttribute>(instance);
        try
        {
            // Warm up so tiering and one-time growth are out of the way.
            var sw = Stopwatch.StartNew();
            while (sw.ElapsedMilliseconds < 500) c.Method.Invoke(instance, null);

            using var listener = new AllocationListener();
            long invokes = 0;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            sw.Restart();
            while (sw.ElapsedMilliseconds < 2000)
            {
                c.Method.Invoke(instance, null);
                invokes++;
            }
            long bytes = GC.GetTotalAllocatedBytes(precise: true) - before;
            long ops = invokes * c.OpsPerInvoke;
            // Reflection boxes the return value of value-returning benchmarks; say so rather than hide it.
            int boxing = c.Method.ReturnType.IsValueType && c.Method.ReturnType != typeof(void) ? 24 : 0;
            output.WriteLine();
            output.WriteLine($"== {c.Name}: {ops:N0} ops, {(double)bytes / ops:0.#} B/op (all threads{(boxing > 0 ? $"; includes ~{boxing / c.OpsPerInvoke} B/op boxing of the return value by this probe" : "")})");
            foreach (var (type, sampled) in listener.Snapshot().OrderByDescending(kv => kv.Value).Take(12))
            {
                output.WriteLine($"   {sampled / (double)ops,10:0.#} B/op  {type}");
            }
        }
        finally
        {
            Invoke<GlobalCleanupAttribute>(instance);
        }
    }

    private static void Invoke<TAttribute>(object instance) where TAttribute : Attribute
    {
        foreach (var m in instance.GetType().GetMethods().Where(m => m.GetCustomAttribute<TAttribute>() is not null)) m.Invoke(instance, null);
    }

    /// <summary>Collects GCAllocationTick samples: bytes by type name.</summary>
    private sealed class AllocationListener : EventListener
    {
        private readonly Dictionary<string, long> _byType = new(StringComparer.Ordinal);

        public Dictionary<string, long> Snapshot()
        {
            lock (_byType) return new Dictionary<string, long>(_byType, StringComparer.Ordinal);
        }

        protected override void OnEventSourceCreated(EventSource source)
        {
            if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.PayloadNames is null) return;
            int t = e.PayloadNames.IndexOf("TypeName");
            int a = e.PayloadNames.IndexOf("AllocationAmount64");
            if (t < 0 || a < 0) return;
            string type = e.Payload![t] as string ?? "?";
            long amount = Convert.ToInt64(e.Payload[a], System.Globalization.CultureInfo.InvariantCulture);
            lock (_byType) _byType[type] = _byType.GetValueOrDefault(type) + amount;
        }
    }
}
