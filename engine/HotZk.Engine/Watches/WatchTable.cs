namespace HotZk.Engine.Watches;

/// <summary>One of the two watch tables: path → (watcher → modes), with the reverse index.</summary>
public sealed class WatchTable
{
    private readonly Dictionary<string, Dictionary<IWatcher, WatchModes>> _byPath = new(StringComparer.Ordinal);
    private readonly Dictionary<IWatcher, HashSet<string>> _byWatcher = new(ReferenceEqualityComparer.Instance);

    // One-shot watches are set and fired over and over on the same few paths: the per-path and
    // per-watcher sets that empty out are kept for the next registration instead of being rebuilt.
    // Bounded in number and size, so a burst of watches does not stay pinned. Engine-thread only, as the table.
    private const int MaxSpareSets = 1024;
    private const int MaxSpareCapacity = 64;
    private readonly Stack<Dictionary<IWatcher, WatchModes>> _spareWatcherSets = new();
    private readonly Stack<HashSet<string>> _sparePathSets = new();

    /// <summary>Number of recursive registrations (lets triggers skip the ancestor walk).</summary>
    public int RecursiveCount { get; private set; }

    /// <summary>Number of (watcher, path) pairs.</summary>
    public int Count { get; private set; }

    /// <summary>Paths with at least one watcher.</summary>
    public int PathCount => _byPath.Count;

    /// <summary>Watchers with at least one watch.</summary>
    public int WatcherCount => _byWatcher.Count;

    /// <summary>Adds <paramref name="mode"/> for (path, watcher).</summary>
    public void Add(string path, IWatcher watcher, WatchModes mode)
    {
        if (!_byPath.TryGetValue(path, out var set))
        {
            set = _spareWatcherSets.TryPop(out var spare) ? spare : new Dictionary<IWatcher, WatchModes>(ReferenceEqualityComparer.Instance);
            _byPath[path] = set;
        }
        set.TryGetValue(watcher, out var old);
        if (old == WatchModes.None)
        {
            Count++;
            if (!_byWatcher.TryGetValue(watcher, out var paths))
            {
                paths = _sparePathSets.TryPop(out var spare) ? spare : new HashSet<string>(StringComparer.Ordinal);
                _byWatcher[watcher] = paths;
            }
            paths.Add(path);
        }
        if ((mode & WatchModes.Recursive) != 0 && (old & WatchModes.Recursive) == 0) RecursiveCount++;
        set[watcher] = old | mode;
    }

    /// <summary>The modes held by (path, watcher).</summary>
    public WatchModes Get(string path, IWatcher watcher) =>
        _byPath.TryGetValue(path, out var set) && set.TryGetValue(watcher, out var m) ? m : WatchModes.None;

    /// <summary>Clears <paramref name="mask"/> for (path, watcher); true when something was removed.</summary>
    public bool Remove(string path, IWatcher watcher, WatchModes mask)
    {
        if (!_byPath.TryGetValue(path, out var set) || !set.TryGetValue(watcher, out var old)) return false;
        var removed = old & mask;
        if (removed == WatchModes.None) return false;
        SetModes(path, set, watcher, old, old & ~mask);
        return true;
    }

    /// <summary>The watchers at <paramref name="path"/> (live view; copy before mutating).</summary>
    public Dictionary<IWatcher, WatchModes>? At(string path) => _byPath.TryGetValue(path, out var set) ? set : null;

    /// <summary>Clears one watcher's standard mode after it fired.</summary>
    public void ConsumeStandard(string path, IWatcher watcher)
    {
        if (_byPath.TryGetValue(path, out var set) && set.TryGetValue(watcher, out var old) && (old & WatchModes.Standard) != 0)
            SetModes(path, set, watcher, old, old & ~WatchModes.Standard);
    }

    /// <summary>Removes every watch of a watcher (connection closed).</summary>
    public void RemoveWatcher(IWatcher watcher)
    {
        if (!_byWatcher.Remove(watcher, out var paths)) return;
        foreach (var p in paths)
        {
            if (!_byPath.TryGetValue(p, out var set) || !set.Remove(watcher, out var m)) continue;
            Count--;
            if ((m & WatchModes.Recursive) != 0) RecursiveCount--;
            if (set.Count == 0 && _byPath.Remove(p)) Spare(set);
        }
        paths.Clear();
        Spare(paths);
    }

    /// <summary>Paths watched by a watcher.</summary>
    public IReadOnlyCollection<string> PathsOf(IWatcher watcher) =>
        _byWatcher.TryGetValue(watcher, out var p) ? p : (IReadOnlyCollection<string>)Array.Empty<string>();

    /// <summary>Every (path, watchers) pair.</summary>
    public IEnumerable<KeyValuePair<string, Dictionary<IWatcher, WatchModes>>> All => _byPath;

    /// <summary>Every watcher.</summary>
    public IEnumerable<IWatcher> Watchers => _byWatcher.Keys;

    private void SetModes(string path, Dictionary<IWatcher, WatchModes> set, IWatcher watcher, WatchModes old, WatchModes now)
    {
        if ((old & WatchModes.Recursive) != 0 && (now & WatchModes.Recursive) == 0) RecursiveCount--;
        if (now != WatchModes.None)
        {
            set[watcher] = now;
            return;
        }
        set.Remove(watcher);
        Count--;
        if (set.Count == 0 && _byPath.Remove(path)) Spare(set);
        if (_byWatcher.TryGetValue(watcher, out var paths))
        {
            paths.Remove(path);
            if (paths.Count == 0 && _byWatcher.Remove(watcher)) Spare(paths);
        }
    }

    /// <summary>Keeps an emptied set that is no longer in the table for reuse (callers of At and PathsOf read only transiently).</summary>
    private void Spare(Dictionary<IWatcher, WatchModes> set)
    {
        if (_spareWatcherSets.Count < MaxSpareSets && set.EnsureCapacity(0) <= MaxSpareCapacity) _spareWatcherSets.Push(set);
    }

    private void Spare(HashSet<string> set)
    {
        if (_sparePathSets.Count < MaxSpareSets && set.EnsureCapacity(0) <= MaxSpareCapacity) _sparePathSets.Push(set);
    }
}
