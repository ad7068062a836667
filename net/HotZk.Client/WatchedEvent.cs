using HotZk.Common;

namespace HotZk.Client;

/// <summary>What a watcher receives: a node event (Path set, State SyncConnected) or a state change (Type None, Path null).</summary>
/// <param name="Type">Event type; <see cref="EventType.None"/> for connection state changes.</param>
/// <param name="State">Keeper state.</param>
/// <param name="Path">Client-side path (chroot stripped), or null for state changes.</param>
public readonly record struct WatchedEvent(EventType Type, KeeperState State, string? Path);

/// <summary>Client connection state as reported by <see cref="ZkClient.StateChanged"/>.</summary>
public enum ZkState
{
    /// <summary>First connection attempt in progress.</summary>
    Connecting,
    /// <summary>Session established on a connection.</summary>
    Connected,
    /// <summary>Connection lost; reconnecting with the same session.</summary>
    Disconnected,
    /// <summary>The server rejected the session as expired; terminal.</summary>
    Expired,
    /// <summary>An auth packet was rejected; the client keeps reconnecting without that credential.</summary>
    AuthFailed,
    /// <summary>Closed by the application; terminal.</summary>
    Closed,
}

/// <summary>Options beyond the connect string and session timeout.</summary>
public sealed record ZkClientOptions
{
    /// <summary>Receives state changes (Type None) and events for reads made with <c>watch: true</c>.</summary>
    public Action<WatchedEvent>? DefaultWatcher { get; init; }

    /// <summary>Sets the ConnectRequest readOnly flag (accept a read-only server).</summary>
    public bool CanBeReadOnly { get; init; }

    /// <summary>Largest reply frame accepted; a larger one drops the connection like the Java client does.</summary>
    public int MaxFrameLength { get; init; } = 4 * 1024 * 1024;

    /// <summary>Total time <see cref="ZkClient.ConnectAsync(string, TimeSpan, ZkClientOptions?, CancellationToken)"/> tries the hosts; default: the session timeout, at least 10 s.</summary>
    public TimeSpan? ConnectTimeout { get; init; }
}
