using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Serialization;
using HdrHistogram;

namespace HotZk.LoadGen;

/// <summary>
/// Latency histogram (microseconds) and outcome counters of one op type, owned by one thread
/// (a session's receive loop); merged after the run. Recording does not allocate.
/// </summary>
internal sealed class OpStats
{
    /// <summary>Largest recordable latency: 10 minutes; larger values are clamped (and still counted).</summary>
    public const long MaxTrackableUs = 600_000_000;

    public OpStats(string name)
    {
        Name = name;
        Histogram = new IntHistogram(MaxTrackableUs, 3);
    }

    public string Name { get; }

    public IntHistogram Histogram { get; }

    /// <summary>Successful replies.</summary>
    public long Ok;

    /// <summary>Failed replies by ZooKeeper error code (client-side codes too: -4 connection loss, -7 timeout).</summary>
    public Dictionary<int, long> Errors { get; } = [];

    /// <summary>Records one success.</summary>
    public void Record(long us)
    {
        Histogram.RecordValue(us < 0 ? 0 : us > MaxTrackableUs ? MaxTrackableUs : us);
        Ok++;
    }

    /// <summary>Counts one failure.</summary>
    public void Error(int code) => CollectionsMarshal.GetValueRefOrAddDefault(Errors, code, out _)++;

    /// <summary>Adds counts of failures.</summary>
    public void Error(int code, long count) => CollectionsMarshal.GetValueRefOrAddDefault(Errors, code, out _) += count;

    public long ErrorCount
    {
        get
        {
            long n = 0;
            foreach (var v in Errors.Values) n += v;
            return n;
        }
    }

    /// <summary>Adds another thread's stats into this one.</summary>
    public void Merge(OpStats other)
    {
        Histogram.Add(other.Histogram);
        Ok += other.Ok;
        foreach (var (k, v) in other.Errors) Error(k, v);
    }

    /// <summary>Resets counters (end of warmup).</summary>
    public void Reset()
    {
        Histogram.Reset();
        Ok = 0;
        Errors.Clear();
    }

    public OpResult ToResult(double elapsedSec) => new()
    {
        Op = Name,
        Count = Ok,
        Errors = ErrorCount,
        ErrorsByCode = Errors.OrderBy(e => e.Key).ToDictionary(e => Wire.ErrorName(e.Key), e => e.Value),
        OpsPerSec = elapsedSec > 0 ? Ok / elapsedSec : 0,
        MeanUs = Ok > 0 ? Math.Round(Histogram.GetMean(), 1) : 0,
        P50Us = Ok > 0 ? Histogram.GetValueAtPercentile(50) : 0,
        P90Us = Ok > 0 ? Histogram.GetValueAtPercentile(90) : 0,
        P99Us = Ok > 0 ? Histogram.GetValueAtPercentile(99) : 0,
        P999Us = Ok > 0 ? Histogram.GetValueAtPercentile(99.9) : 0,
        P9999Us = Ok > 0 ? Histogram.GetValueAtPercentile(99.99) : 0,
        MaxUs = Ok > 0 ? Histogram.GetMaxValue() : 0,
        Histogram = Histogram,
    };
}

/// <summary>Latency and outcome summary of one op type (JSON).</summary>
public sealed class OpResult
{
    public string Op { get; set; } = "";
    public long Count { get; set; }
    public long Errors { get; set; }
    public Dictionary<string, long> ErrorsByCode { get; set; } = [];
    public double OpsPerSec { get; set; }
    public double MeanUs { get; set; }
    public long P50Us { get; set; }
    public long P90Us { get; set; }
    public long P99Us { get; set; }
    public long P999Us { get; set; }
    public long P9999Us { get; set; }
    public long MaxUs { get; set; }

    /// <summary>
    /// The merged histogram behind these figures, for <c>--html</c> charts; in memory only (a compare keeps
    /// every run, and the percentile summary above is what its JSON records).
    /// </summary>
    [JsonIgnore]
    public HistogramBase? Histogram { get; set; }
}

/// <summary>Result of one load-generator run (JSON).</summary>
public sealed class RunResult
{
    public string Workload { get; set; } = "";
    public string Connect { get; set; } = "";
    public int Sessions { get; set; }
    public int Outstanding { get; set; }
    public string Loop { get; set; } = "closed";
    public double? TargetRate { get; set; }
    public int ValueSize { get; set; }
    public int Keys { get; set; }
    public double WarmupSec { get; set; }
    public double DurationLimitSec { get; set; }
    public long OpsLimit { get; set; }
    public double ElapsedSec { get; set; }
    /// <summary>Successful measured ops of every type.</summary>
    public long Ops { get; set; }
    public long Errors { get; set; }
    public double OpsPerSec { get; set; }
    /// <summary>Load generator CPU seconds over the measured window (its own cost).</summary>
    public double ClientCpuSec { get; set; }
    /// <summary>Bytes the load generator allocated per measured op (the hot path should keep this near 0).</summary>
    public double ClientAllocBytesPerOp { get; set; }
    public long Notifications { get; set; }
    public int SessionsLost { get; set; }
    public List<string> Failures { get; set; } = [];
    public string StartedUtc { get; set; } = "";
    /// <summary>All op types merged (the figure the compare table uses).</summary>
    public OpResult All { get; set; } = new();
    public List<OpResult> ByOp { get; set; } = [];
}

/// <summary>Readable output.</summary>
internal static class Report
{
    public static string Us(long us) => us switch
    {
        < 10_000 => us.ToString(CultureInfo.InvariantCulture) + "us",
        < 10_000_000 => (us / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + "ms",
        _ => (us / 1_000_000.0).ToString("0.00", CultureInfo.InvariantCulture) + "s",
    };

    public static string F(double v, string fmt = "0.0") => v.ToString(fmt, CultureInfo.InvariantCulture);

    public static string Table(RunResult r)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture,
            $"workload {r.Workload} @ {r.Connect}: {r.Sessions} sessions x {r.Outstanding} outstanding, {r.Loop} loop");
        if (r.Workload == "largevalue" && r.ValueSize < 0) sb.Append(", values 100..1000 KiB");
        if (r.TargetRate is { } rate) sb.Append(CultureInfo.InvariantCulture, $" at {rate:0} ops/s");
        if (r.ValueSize >= 0) sb.Append(CultureInfo.InvariantCulture, $", value {r.ValueSize} B");
        sb.Append(CultureInfo.InvariantCulture, $", keys {r.Keys}\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"measured {F(r.ElapsedSec, "0.00")} s: {r.Ops} ok, {r.Errors} errors, {F(r.OpsPerSec)} ops/s, client CPU {F(r.ClientCpuSec, "0.00")} s ({F(r.ElapsedSec > 0 ? 100 * r.ClientCpuSec / r.ElapsedSec : 0, "0")}%), client alloc {F(r.ClientAllocBytesPerOp, "0.0")} B/op");
        if (r.Notifications > 0) sb.Append(CultureInfo.InvariantCulture, $", {r.Notifications} notifications");
        sb.Append('\n');
        sb.Append(CultureInfo.InvariantCulture,
            $"{"op",-12} {"count",10} {"ops/s",10} {"p50",8} {"p90",8} {"p99",8} {"p99.9",8} {"p99.99",8} {"max",8} {"errors",8}\n");
        var rows = new List<OpResult>(r.ByOp);
        if (r.ByOp.Count > 1 && r.All.Op == "all") rows.Add(r.All);
        foreach (var o in rows)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{o.Op,-12} {o.Count,10} {F(o.OpsPerSec),10} {Us(o.P50Us),8} {Us(o.P90Us),8} {Us(o.P99Us),8} {Us(o.P999Us),8} {Us(o.P9999Us),8} {Us(o.MaxUs),8} {o.Errors,8}\n");
            foreach (var (code, n) in o.ErrorsByCode) sb.Append(CultureInfo.InvariantCulture, $"{"",14}error {code}: {n}\n");
        }
        if (r.SessionsLost > 0) sb.Append(CultureInfo.InvariantCulture, $"SESSIONS LOST: {r.SessionsLost}\n");
        foreach (var f in r.Failures.Take(10)) sb.Append("failure: ").Append(f).Append('\n');
        return sb.ToString();
    }
}
