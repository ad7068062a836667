using HotZk.Common;

namespace HotZk.Engine.Watches;

/// <summary>
/// The server's watch tables and trigger rules (zk-protocol.md §6). Engine-thread only.
/// </summary>
public sealed class WatchManager
{
    private readonly HashSet<IWatcher> _notified = new(ReferenceEqualityComparer.Instance);
    private readonly List<IWatcher> _scratch = [];

    /// <summary>getData/exists/persistent/recursive watches.</summary>
    public WatchTable Data { get; } = new();

    /// <summary>getChildren/persistent watches.</summary>
    public WatchTable Child { get; } = new();

    /// <summary>
    /// Decides whether a watcher may see an event on a node with the given ACL
    /// (3.9.2+: no READ, no event). Null delivers everything.
    /// </summary>
    public Func<IWatcher, Acl[], bool>? CanRead { get; set; }

    /// <summary>Registers a one-shot data/exists watch.</summary>
    public void AddDataWatch(string path, IWatcher w) => Data.Add(path, w, WatchModes.Standard);

    /// <summary>Registers a one-shot child watch.</summary>
    public void AddChildWatch(string path, IWatcher w) => Child.Add(path, w, WatchModes.Standard);

    /// <summary>addWatch.</summary>
    public void AddPersistent(string path, IWatcher w, AddWatchMode mode)
    {
        if (mode == AddWatchMode.PersistentRecursive)
        {
            Data.Add(path, w, WatchModes.Recursive);
        }
        else
        {
            Data.Add(path, w, WatchModes.Persistent);
            Child.Add(path, w, WatchModes.Persistent);
        }
    }

    /// <summary>Drops every watch of a closed connection.</summary>
    public void RemoveWatcher(IWatcher w)
    {
        Data.RemoveWatcher(w);
        Child.RemoveWatcher(w);
    }

    /// <summary>Fires data-table watches for a create, delete or data change of <paramref name="path"/>.</summary>
    /// <remarks>For a delete, also fires the child table at <paramref name="path"/> (deduplicated).</remarks>
    public void TriggerNode(string path, EventType type, long zxid, Acl[] acl)
    {
        _notified.Clear();
        FireAt(Data, path, type, zxid, acl, includeRecursive: true);
        if (Data.RecursiveCount > 0)
        {
            // Recursive watches on every ancestor see creates, deletes and data changes below them.
            string p = path;
            while (p.Length > 1)
            {
                int i = p.LastIndexOf('/');
                p = i <= 0 ? "/" : p[..i];
                FireRecursiveAt(p, path, type, zxid, acl);
            }
        }
        if (type == EventType.NodeDeleted) FireAt(Child, path, type, zxid, acl, includeRecursive: false);
        _notified.Clear();
    }

    /// <summary>Fires child-table watches of <paramref name="parent"/> with NodeChildrenChanged.</summary>
    public void TriggerChildren(string parent, long zxid, Acl[] acl)
    {
        _notified.Clear();
        FireAt(Child, parent, EventType.NodeChildrenChanged, zxid, acl, includeRecursive: false);
        _notified.Clear();
    }

    private void FireAt(WatchTable table, string path, EventType type, long zxid, Acl[] acl, bool includeRecursive)
    {
        var set = table.At(path);
        if (set is null) return;
        _scratch.Clear();
        foreach (var kv in set)
        {
            var m = kv.Value;
            bool fires = (m & (WatchModes.Standard | WatchModes.Persistent)) != 0 || (includeRecursive && (m & WatchModes.Recursive) != 0);
            if (fires) _scratch.Add(kv.Key);
        }
        foreach (var w in _scratch)
        {
            table.ConsumeStandard(path, w);
            Deliver(w, type, path, zxid, acl);
        }
        _scratch.Clear();
    }

    private void FireRecursiveAt(string ancestor, string changedPath, EventType type, long zxid, Acl[] acl)
    {
        var set = Data.At(ancestor);
        if (set is null) return;
        foreach (var kv in set)
        {
            if ((kv.Value & WatchModes.Recursive) != 0) Deliver(kv.Key, type, changedPath, zxid, acl);
        }
    }

    private void Deliver(IWatcher w, EventType type, string path, long zxid, Acl[] acl)
    {
        if (!_notified.Add(w)) return;
        if (CanRead is not null && !CanRead(w, acl)) return;
        w.Process(type, path, zxid);
    }
}
