namespace HotZk.LoadGen;

/// <summary>
/// What a client presents to resume its session on another server: id, password and the highest
/// zxid it has seen (a server that is behind that zxid refuses, so the client never goes back in time).
/// </summary>
internal sealed record SessionTicket(long SessionId, byte[] Password, long LastZxidSeen);
