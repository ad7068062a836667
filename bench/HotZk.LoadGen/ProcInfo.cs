using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace HotZk.LoadGen;

/// <summary>A server process sample from /proc (Linux).</summary>
public readonly record struct ProcSample(long RssKb, long PeakRssKb, double CpuSec);

/// <summary>Machine fingerprint stored with every compare result (JSON).</summary>
public sealed class Fingerprint
{
    public int Nproc { get; set; }
    public string CpuModel { get; set; } = "";
    public string Kernel { get; set; } = "";
    public string DotNet { get; set; } = "";
    public string Java { get; set; } = "";
    public string ZooKeeper { get; set; } = "";
    public string HotZkCommit { get; set; } = "";
    public long MemTotalKb { get; set; }
    public string LoadAvgAtStart { get; set; } = "";
    public double FsyncPerSec { get; set; }
    public string Hostname { get; set; } = "";
}

/// <summary>/proc readers and small process helpers.</summary>
internal static partial class ProcInfo
{
    [LibraryImport("libc")]
    private static partial long sysconf(int name);

    private static readonly double ClockTicks = Math.Max(1, SysconfOr(2, 100)); // _SC_CLK_TCK

    private static long SysconfOr(int name, long fallback)
    {
        try { return sysconf(name); } catch (Exception) { return fallback; }
    }

    /// <summary>VmRSS, VmHWM (kB) and utime+stime (s) of <paramref name="pid"/>; zeros when it is gone.</summary>
    public static ProcSample Sample(int pid)
    {
        try
        {
            long rss = 0, hwm = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kb(line);
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) hwm = Kb(line);
            }
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            // After "pid (comm) ": f[0] is field 3 (state); utime is field 14, stime 15.
            long ticks = long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
            return new ProcSample(rss, hwm, ticks / ClockTicks);
        }
        catch (IOException)
        {
            return default;
        }
    }

    private static long Kb(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    /// <summary>Runs a short command and returns its combined output ("" on failure).</summary>
    public static string Run(string file, params string[] args)
    {
        try
        {
            var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            string output = p.StandardOutput.ReadToEnd();
            p.WaitForExit(30_000);
            return (output + err.Result).Trim();
        }
        catch (Exception)
        {
            return "";
        }
    }

    public static Fingerprint Fingerprint(string repoRoot)
    {
        var fp = new Fingerprint
        {
            Nproc = Environment.ProcessorCount,
            DotNet = RuntimeInformation.FrameworkDescription,
            Hostname = Environment.MachineName,
        };
        try
        {
            fp.CpuModel = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
            fp.Kernel = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
            fp.LoadAvgAtStart = File.ReadAllText("/proc/loadavg").Trim();
            fp.MemTotalKb = Kb(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)));
        }
        catch (IOException)
        {
            // not Linux
        }
        fp.Java = Run("java", "-version").Split('\n').FirstOrDefault() ?? "";
        string commit = Run("git", "-C", repoRoot, "rev-parse", "--short", "HEAD");
        string dirty = Run("git", "-C", repoRoot, "status", "--porcelain", "--untracked-files=no");
        fp.HotZkCommit = commit + (dirty.Length > 0 ? " (+uncommitted changes)" : "");
        return fp;
    }
}
