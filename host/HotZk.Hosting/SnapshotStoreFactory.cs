using System.Reflection;
using HotZk.Engine.Storage;

namespace HotZk.Hosting;

/// <summary>Creates the snapshot store for a data dir.</summary>
internal static class SnapshotStoreFactory
{
    /// <summary>The file snapshot store when the engine provides one, else null (log-only recovery).</summary>
    public static ISnapshotStore? TryCreate(string dataDir, Action<string> log)
    {
        var type = typeof(ITxnLog).Assembly.GetType("HotZk.Engine.Storage.FileSnapshotStore");
        if (type is null) return null;
        return (ISnapshotStore?)Activator.CreateInstance(type, [dataDir]);
    }
}
