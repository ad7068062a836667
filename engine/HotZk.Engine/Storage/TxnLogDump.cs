using Microsoft.Win32.SafeHandles;

namespace HotZk.Engine.Storage;

/// <summary>
/// Read-only access to a HotZk log directory for maintenance tools: it never truncates, repairs
/// or preallocates anything (unlike opening a <see cref="FileTxnLog"/>).
/// </summary>
public static class TxnLogDump
{
    /// <summary>Every valid record of every segment in zxid order; <paramref name="problem"/> hears where a segment stops early.</summary>
    public static IEnumerable<LoggedTxn> ReadAll(string dataLogDir, Action<string>? problem = null)
    {
        string dir = Path.Combine(dataLogDir, TxnLogFormat.DirectoryName);
        if (!System.IO.Directory.Exists(dir)) yield break;
        var segments = new List<(long First, string Path)>();
        foreach (var f in System.IO.Directory.EnumerateFiles(dir, TxnLogFormat.FilePrefix + "*"))
        {
            if (TxnLogFormat.TryParseSegmentFileName(Path.GetFileName(f), out long first)) segments.Add((first, f));
        }
        segments.Sort((a, b) => a.First.CompareTo(b.First));
        foreach (var (_, path) in segments)
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            var scanner = new SegmentScanner(handle, TxnLogFormat.FileHeaderSize, length, 64 << 20);
            while (true)
            {
                var result = scanner.Next(out long zxid, out var payload);
                if (result == ScanResult.Record)
                {
                    yield return new LoggedTxn(zxid, payload.ToArray());
                    continue;
                }
                if (result != ScanResult.End) problem?.Invoke($"{Path.GetFileName(path)}: stops at offset {scanner.Position}: {scanner.Problem}");
                break;
            }
        }
    }
}
