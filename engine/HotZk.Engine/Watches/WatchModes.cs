namespace HotZk.Engine.Watches;

/// <summary>How a (connection, path) pair watches; a pair may hold several modes at once.</summary>
[Flags]
public enum WatchModes
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>One-shot (getData/exists in the data table, getChildren in the child table).</summary>
    Standard = 1,
    /// <summary>addWatch PERSISTENT.</summary>
    Persistent = 2,
    /// <summary>addWatch PERSISTENT_RECURSIVE (data table only).</summary>
    Recursive = 4,
}
