using HotZk.Common;

namespace HotZk.Engine.Watches;

/// <summary>
/// Receives watch notifications; implemented by a client connection. Called on the engine
/// thread, in apply order, before the reply to any later request of the same connection.
/// </summary>
public interface IWatcher
{
    /// <summary>Delivers one event.</summary>
    void Process(EventType type, string path, long zxid);
}
