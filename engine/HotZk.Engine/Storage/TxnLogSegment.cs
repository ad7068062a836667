using Microsoft.Win32.SafeHandles;

namespace HotZk.Engine.Storage;

/// <summary>
/// One segment file. <see cref="End"/> and <see cref="LastZxid"/> describe durable content and are
/// read under the log's gate; the handle and allocation fields belong to whoever holds the I/O lock.
/// </summary>
internal sealed class TxnLogSegment
{
    public TxnLogSegment(string path, long startZxid)
    {
        Path = path;
        StartZxid = startZxid;
        End = TxnLogFormat.FileHeaderSize;
    }

    public string Path { get; }

    /// <summary>The zxid in the file name, equal to its first record's zxid.</summary>
    public long StartZxid { get; }

    /// <summary>Zxid of the last durable record; 0 while the segment holds none.</summary>
    public long LastZxid { get; set; }

    /// <summary>Offset just past the last durable record.</summary>
    public long End { get; set; }

    public bool HasRecords => LastZxid != 0;

    /// <summary>Open for writing while this is the current segment.</summary>
    public SafeFileHandle? Handle { get; private set; }

    /// <summary>File size: bytes from <see cref="End"/> up to here are reserved zeros.</summary>
    public long AllocatedEnd { get; set; }

    /// <summary>A failed cleanup may have left bytes past <see cref="End"/>; cut them before writing.</summary>
    public bool DirtyTail { get; set; }

    public SafeFileHandle OpenForWrite()
    {
        Handle ??= File.OpenHandle(Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        AllocatedEnd = RandomAccess.GetLength(Handle);
        return Handle;
    }

    public SafeFileHandle Create()
    {
        Handle = File.OpenHandle(Path, FileMode.Create, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        AllocatedEnd = 0;
        return Handle;
    }

    public void CloseHandle()
    {
        Handle?.Dispose();
        Handle = null;
    }

    public override string ToString() => System.IO.Path.GetFileName(Path);
}
