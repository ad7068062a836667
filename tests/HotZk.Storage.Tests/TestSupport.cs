using System.Collections.Concurrent;
using System.Diagnostics;
using HotZk.Engine.Storage;
using Xunit;

namespace HotZk.Storage.Tests;

/// <summary>A fresh directory per test, deleted afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hotzk-storage-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Records listener callbacks in arrival order.</summary>
public sealed class RecordingListener : ITxnLogListener
{
    private readonly object _lock = new();

    public List<long> Durable { get; } = new();

    public List<(long From, long To, Exception Error)> Failed { get; } = new();

    public void OnDurable(long zxid)
    {
        lock (_lock)
        {
            Durable.Add(zxid);
        }
    }

    public void OnFailed(long fromZxid, long toZxid, Exception error)
    {
        lock (_lock)
        {
            Failed.Add((fromZxid, toZxid, error));
        }
    }
}

public static class Txns
{
    /// <summary>Deterministic payload for a zxid; <paramref name="salt"/> distinguishes rewritten txns.</summary>
    public static byte[] Payload(long zxid, int size = 0, int salt = 0)
    {
        if (size <= 0)
        {
            size = 20 + (int)(zxid * 7 % 300);
        }

        var bytes = new byte[size];
        var rng = new Random(unchecked((int)zxid * 31 + salt));
        rng.NextBytes(bytes);
        return bytes;
    }

    public static FileTxnLogOptions Options(string dir, ConcurrentQueue<string>? log = null) => new(dir)
    {
        PreallocationSize = 64 << 10,
        Log = log is null ? null : log.Enqueue,
    };

    public static void AssertLog(ITxnLog log, IEnumerable<(long Zxid, byte[] Txn)> expected, long after = 0)
    {
        var actual = log.ReadAfter(after).Select(t => (t.Zxid, t.Txn.ToArray())).ToList();
        var want = expected.ToList();
        Assert.Equal(want.Select(w => w.Zxid), actual.Select(a => a.Zxid));
        for (int i = 0; i < want.Count; i++)
        {
            Assert.True(want[i].Txn.AsSpan().SequenceEqual(actual[i].Item2), $"payload of zxid {want[i].Zxid} differs");
        }
    }

    public static IEnumerable<(long, byte[])> Range(long from, long to, int salt = 0)
    {
        for (long z = from; z <= to; z++)
        {
            yield return (z, Payload(z, salt: salt));
        }
    }

    public static void AppendRange(ITxnLog log, long from, long to, int salt = 0)
    {
        for (long z = from; z <= to; z++)
        {
            log.Append(z, Payload(z, salt: salt));
        }
    }

    public static string[] Segments(string dataLogDir) =>
        Directory.GetFiles(System.IO.Path.Combine(dataLogDir, "hotzk-log"), "log.*").OrderBy(f => f, StringComparer.Ordinal).ToArray();
}

/// <summary>
/// A fact that needs root and a working <c>mount -t tmpfs</c>; reported as skipped (with the
/// reason) where that is unavailable, never as passed.
/// </summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (Tmpfs.UnavailableReason is { } reason)
        {
            Skip = reason;
        }
    }
}

public static class Tmpfs
{
    private static readonly Lazy<string?> Probe = new(() =>
    {
        if (!OperatingSystem.IsLinux())
        {
            return "tmpfs disk-full test needs Linux";
        }

        if (Environment.UserName != "root")
        {
            return "tmpfs disk-full test needs root to mount (running as " + Environment.UserName + ")";
        }

        string dir = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "hotzk-tmpfs-probe-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var (code, output) = Run("mount", $"-t tmpfs -o size=1m tmpfs {dir}");
            if (code != 0)
            {
                return $"mount -t tmpfs refused (exit {code}): {output.Trim()}";
            }

            Run("umount", dir);
            return null;
        }
        finally
        {
            Directory.Delete(dir);
        }
    });

    public static string? UnavailableReason => Probe.Value;

    public static void Mount(string dir, string size) => Check(Run("mount", $"-t tmpfs -o size={size} tmpfs {dir}"), "mount");

    public static void Unmount(string dir) => Check(Run("umount", dir), "umount");

    private static void Check((int Code, string Output) r, string what)
    {
        if (r.Code != 0)
        {
            throw new InvalidOperationException($"{what} failed ({r.Code}): {r.Output}");
        }
    }

    private static (int Code, string Output) Run(string file, string args)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000))
        {
            p.Kill();
            return (-1, "timed out");
        }

        return (p.ExitCode, output);
    }
}
