using System.ComponentModel;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace HotZk.Engine.Storage;

/// <summary>
/// The few file-system calls .NET does not expose: fdatasync, posix_fallocate and fsync of a
/// directory. Each falls back to a portable equivalent off Linux.
/// </summary>
public static class NativeFile
{
    private const int ORdOnly = 0;
    private const int ODirectory = 0x10000; // Linux x64/arm64 value of O_DIRECTORY

    /// <summary>
    /// Flushes the file's data (and only the metadata needed to read it back) to stable storage:
    /// fdatasync on Linux, fsync (FlushToDisk) elsewhere or when <paramref name="dataOnly"/> is false.
    /// </summary>
    public static void Sync(SafeFileHandle handle, bool dataOnly)
    {
        if (dataOnly && OperatingSystem.IsLinux())
        {
            if (Libc.fdatasync(handle) != 0)
            {
                ThrowErrno("fdatasync", Marshal.GetLastPInvokeError());
            }

            return;
        }

        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>
    /// Reserves real blocks for [offset, offset+length) and grows the file size to cover them
    /// (posix_fallocate). Returns false where the call is unavailable so the caller can fall back.
    /// </summary>
    public static bool TryAllocate(SafeFileHandle handle, long offset, long length)
    {
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        int err = Libc.posix_fallocate(handle, offset, length);
        if (err == 0)
        {
            return true;
        }

        const int EOPNOTSUPP = 95;
        const int EINVAL = 22;
        if (err is EOPNOTSUPP or EINVAL)
        {
            return false;
        }

        ThrowErrno("posix_fallocate", err);
        return false;
    }

    /// <summary>
    /// Makes directory entries (created, renamed, deleted files) durable. A no-op off Linux, where
    /// .NET offers no portable way to open a directory handle.
    /// </summary>
    public static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        int fd = Libc.open(directory, ORdOnly | ODirectory);
        if (fd < 0)
        {
            ThrowErrno("open(" + directory + ")", Marshal.GetLastPInvokeError());
        }

        try
        {
            if (Libc.fsync(fd) != 0)
            {
                ThrowErrno("fsync(" + directory + ")", Marshal.GetLastPInvokeError());
            }
        }
        finally
        {
            _ = Libc.close(fd);
        }
    }

    private static void ThrowErrno(string call, int errno)
    {
        // ENOSPC and EIO come here; keep them IOExceptions like the managed write path throws.
        throw new IOException($"{call} failed: {new Win32Exception(errno).Message} (errno {errno})", new Win32Exception(errno));
    }

    private static class Libc
    {
        [DllImport("libc", SetLastError = true)]
        public static extern int fdatasync(SafeFileHandle fd);

        // Returns an error number rather than setting errno.
        [DllImport("libc", SetLastError = false)]
        public static extern int posix_fallocate(SafeFileHandle fd, long offset, long len);

        [DllImport("libc", SetLastError = true)]
        public static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

        [DllImport("libc", SetLastError = true)]
        public static extern int fsync(int fd);

        [DllImport("libc", SetLastError = true)]
        public static extern int close(int fd);
    }
}
