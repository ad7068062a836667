using HotZk.Engine.Auth;
using HotZk.Engine.Sessions;
using HotZk.Engine.Watches;

namespace HotZk.Engine.Processing;

/// <summary>
/// What the engine needs from a client connection (implemented in net/). All calls come from the
/// engine thread; implementations queue bytes and return without blocking.
/// </summary>
public interface IClientConnection : IWatcher
{
    /// <summary>Identities of the connection (ip + addauth ids).</summary>
    AuthInfo Auth { get; }

    /// <summary>Sends the reply of a completed request.</summary>
    void SendReply(Request request);

    /// <summary>
    /// Answers the connect handshake: <paramref name="session"/> is null when the session is
    /// invalid or expired (the connection then replies with timeOut 0 and closes).
    /// </summary>
    void SendConnectResponse(Session? session, int negotiatedTimeout);

    /// <summary>Closes the connection after pending output is flushed.</summary>
    void Close(string reason);
}
