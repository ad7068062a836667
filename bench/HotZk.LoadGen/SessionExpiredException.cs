namespace HotZk.LoadGen;

/// <summary>The server answered a session resume with timeout 0: the session is gone (expired or closed).</summary>
internal sealed class SessionExpiredException(long sessionId)
    : IOException($"session 0x{sessionId:x} expired (the server refused to resume it)")
{
    public long SessionId { get; } = sessionId;
}
