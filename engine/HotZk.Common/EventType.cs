namespace HotZk.Common;

/// <summary>Watch event types as sent in a WatcherEvent.</summary>
public enum EventType
{
    /// <summary>Client-local state change.</summary>
    None = -1,
    /// <summary>Node created.</summary>
    NodeCreated = 1,
    /// <summary>Node deleted.</summary>
    NodeDeleted = 2,
    /// <summary>Node data changed.</summary>
    NodeDataChanged = 3,
    /// <summary>Children changed.</summary>
    NodeChildrenChanged = 4,
    /// <summary>Client-local.</summary>
    DataWatchRemoved = 5,
    /// <summary>Client-local.</summary>
    ChildWatchRemoved = 6,
    /// <summary>Client-local.</summary>
    PersistentWatchRemoved = 7,
}

/// <summary>Keeper states; the server only sends <see cref="SyncConnected"/>.</summary>
public enum KeeperState
{
    /// <summary>Client-local.</summary>
    Disconnected = 0,
    /// <summary>The only state the server sends.</summary>
    SyncConnected = 3,
    /// <summary>Client-local.</summary>
    AuthFailed = 4,
    /// <summary>Client-local.</summary>
    ConnectedReadOnly = 5,
    /// <summary>Client-local.</summary>
    Expired = -112,
    /// <summary>Client-local.</summary>
    Closed = 7,
}

/// <summary>Watcher types of checkWatches/removeWatches.</summary>
public enum WatcherType
{
    /// <summary>Child table, one-shot.</summary>
    Children = 1,
    /// <summary>Data table, one-shot.</summary>
    Data = 2,
    /// <summary>Both tables, any mode.</summary>
    Any = 3,
    /// <summary>Persistent watches.</summary>
    Persistent = 4,
    /// <summary>Persistent recursive watches.</summary>
    PersistentRecursive = 5,
}

/// <summary>addWatch modes.</summary>
public enum AddWatchMode
{
    /// <summary>Persistent on one node.</summary>
    Persistent = 0,
    /// <summary>Persistent on a node and all descendants.</summary>
    PersistentRecursive = 1,
}
