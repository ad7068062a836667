namespace HotZk.Common;

/// <summary>The <c>flags</c> field of a create request.</summary>
public enum CreateMode
{
    /// <summary>Persistent.</summary>
    Persistent = 0,
    /// <summary>Ephemeral.</summary>
    Ephemeral = 1,
    /// <summary>Persistent sequential.</summary>
    PersistentSequential = 2,
    /// <summary>Ephemeral sequential.</summary>
    EphemeralSequential = 3,
    /// <summary>Container.</summary>
    Container = 4,
    /// <summary>Persistent with TTL.</summary>
    PersistentWithTtl = 5,
    /// <summary>Persistent sequential with TTL.</summary>
    PersistentSequentialWithTtl = 6,
}

/// <summary>Helpers over <see cref="CreateMode"/>.</summary>
public static class CreateModes
{
    /// <summary>True for the sequential modes.</summary>
    public static bool IsSequential(this CreateMode m) => m is CreateMode.PersistentSequential or CreateMode.EphemeralSequential or CreateMode.PersistentSequentialWithTtl;

    /// <summary>True for the ephemeral modes.</summary>
    public static bool IsEphemeral(this CreateMode m) => m is CreateMode.Ephemeral or CreateMode.EphemeralSequential;

    /// <summary>True for the TTL modes.</summary>
    public static bool IsTtl(this CreateMode m) => m is CreateMode.PersistentWithTtl or CreateMode.PersistentSequentialWithTtl;
}
