namespace HotZk.Common;

/// <summary>ZooKeeper's KeeperException codes, as they travel in <c>ReplyHeader.err</c>.</summary>
public enum ErrorCode
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>Range marker, never sent.</summary>
    SystemError = -1,
    /// <summary>Multi ops after the failing one.</summary>
    RuntimeInconsistency = -2,
    /// <summary>Not sent by normal ops.</summary>
    DataInconsistency = -3,
    /// <summary>Client-generated.</summary>
    ConnectionLoss = -4,
    /// <summary>Undecodable request.</summary>
    MarshallingError = -5,
    /// <summary>Unknown or disabled opcode.</summary>
    Unimplemented = -6,
    /// <summary>Client-generated.</summary>
    OperationTimeout = -7,
    /// <summary>Bad path, flags or TTL.</summary>
    BadArguments = -8,
    /// <summary>Server-internal.</summary>
    UnknownSession = -12,
    /// <summary>Reconfig.</summary>
    NewConfigNoQuorum = -13,
    /// <summary>Reconfig.</summary>
    ReconfigInProgress = -14,
    /// <summary>Range marker, never sent.</summary>
    ApiError = -100,
    /// <summary>Missing node or parent.</summary>
    NoNode = -101,
    /// <summary>ACL check failed.</summary>
    NoAuth = -102,
    /// <summary>Version mismatch.</summary>
    BadVersion = -103,
    /// <summary>Create under an ephemeral.</summary>
    NoChildrenForEphemerals = -108,
    /// <summary>Create of an existing node.</summary>
    NodeExists = -110,
    /// <summary>Delete of a node with children.</summary>
    NotEmpty = -111,
    /// <summary>Session gone.</summary>
    SessionExpired = -112,
    /// <summary>Client-side.</summary>
    InvalidCallback = -113,
    /// <summary>Invalid ACL.</summary>
    InvalidAcl = -114,
    /// <summary>Auth packet rejected.</summary>
    AuthFailed = -115,
    /// <summary>Session moved to another connection.</summary>
    SessionMoved = -118,
    /// <summary>Write sent to a read-only server.</summary>
    NotReadOnly = -119,
    /// <summary>Ephemeral on a local session.</summary>
    EphemeralOnLocalSession = -120,
    /// <summary>checkWatches/removeWatches found nothing.</summary>
    NoWatcher = -121,
    /// <summary>Client-generated.</summary>
    RequestTimeout = -122,
    /// <summary>Reconfig disabled.</summary>
    ReconfigDisabled = -123,
    /// <summary>SASL required.</summary>
    SessionClosedRequireSaslAuth = -124,
    /// <summary>Hard quota exceeded.</summary>
    QuotaExceeded = -125,
    /// <summary>Throttled.</summary>
    ThrottledOp = -127,
}
