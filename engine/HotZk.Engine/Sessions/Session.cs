using HotZk.Engine.Processing;

namespace HotZk.Engine.Sessions;

/// <summary>A client session. Engine-thread only.</summary>
public sealed class Session
{
    /// <summary>Creates a session record.</summary>
    public Session(long id, int timeout)
    {
        Id = id;
        Timeout = timeout;
        Password = SessionPassword.Derive(id);
    }

    /// <summary>Session id.</summary>
    public long Id { get; }

    /// <summary>Negotiated timeout (ms).</summary>
    public int Timeout { get; set; }

    /// <summary>The 16-byte password clients present to re-attach.</summary>
    public byte[] Password { get; }

    /// <summary>Tick-rounded expiry deadline (ms, engine clock).</summary>
    public long ExpireAt { get; set; }

    /// <summary>True once a closeSession was issued; no further requests are accepted.</summary>
    public bool Closing { get; set; }

    /// <summary>A session of a read-only server: never logged, gone when the server rejoins a quorum.</summary>
    public bool Local { get; set; }

    /// <summary>True until the createSession txn is applied.</summary>
    public bool Pending { get; set; }

    /// <summary>The connection the session is attached to, if any.</summary>
    public IClientConnection? Connection { get; set; }

    /// <summary>Requests of this session not yet replied to, in arrival order.</summary>
    public Queue<Request> Queue { get; } = new();
}
