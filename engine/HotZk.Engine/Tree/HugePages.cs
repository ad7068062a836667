using System.Runtime.InteropServices;

namespace HotZk.Engine.Tree;

/// <summary>
/// Asks Linux to back large, long-lived regions of the tree with transparent huge pages
/// (<c>madvise(MADV_HUGEPAGE)</c>): one page fault per 2 MiB instead of 512, which is most of the cost of
/// loading a big image into fresh memory on a VM, and fewer TLB misses on random lookups afterwards.
/// A no-op where THP is off, on other systems, or if the call is unavailable.
/// </summary>
internal static partial class HugePages
{
    /// <summary>The huge page size the regions are aligned to.</summary>
    public const int Size = 2 << 20;

    private const int MadvHugepage = 14;
    private static bool _disabled = !OperatingSystem.IsLinux();

    /// <summary>Advises the kernel; the region must be <see cref="Size"/>-aligned.</summary>
    public static void Advise(nint region, nuint length)
    {
        if (_disabled) return;
        try
        {
            _ = Madvise(region, length, MadvHugepage);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            _disabled = true;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(nint addr, nuint length, int advice);
}
