namespace HotZk.Common;

/// <summary>Request types (<c>RequestHeader.type</c>) and txn types, as in ZooDefs.OpCode.</summary>
public enum OpCode
{
    /// <summary>Meaning of xid -1; never a request.</summary>
    Notification = 0,
    /// <summary>create.</summary>
    Create = 1,
    /// <summary>delete.</summary>
    Delete = 2,
    /// <summary>exists.</summary>
    Exists = 3,
    /// <summary>getData.</summary>
    GetData = 4,
    /// <summary>setData.</summary>
    SetData = 5,
    /// <summary>getACL.</summary>
    GetAcl = 6,
    /// <summary>setACL.</summary>
    SetAcl = 7,
    /// <summary>getChildren.</summary>
    GetChildren = 8,
    /// <summary>sync.</summary>
    Sync = 9,
    /// <summary>ping.</summary>
    Ping = 11,
    /// <summary>getChildren2.</summary>
    GetChildren2 = 12,
    /// <summary>check (multi only).</summary>
    Check = 13,
    /// <summary>multi.</summary>
    Multi = 14,
    /// <summary>create2.</summary>
    Create2 = 15,
    /// <summary>reconfig.</summary>
    Reconfig = 16,
    /// <summary>checkWatches.</summary>
    CheckWatches = 17,
    /// <summary>removeWatches.</summary>
    RemoveWatches = 18,
    /// <summary>createContainer.</summary>
    CreateContainer = 19,
    /// <summary>deleteContainer (internal).</summary>
    DeleteContainer = 20,
    /// <summary>createTTL.</summary>
    CreateTtl = 21,
    /// <summary>multiRead.</summary>
    MultiRead = 22,
    /// <summary>auth (xid -4).</summary>
    Auth = 100,
    /// <summary>setWatches (xid -8).</summary>
    SetWatches = 101,
    /// <summary>sasl.</summary>
    Sasl = 102,
    /// <summary>getEphemerals.</summary>
    GetEphemerals = 103,
    /// <summary>getAllChildrenNumber.</summary>
    GetAllChildrenNumber = 104,
    /// <summary>setWatches2 (xid -8).</summary>
    SetWatches2 = 105,
    /// <summary>addWatch.</summary>
    AddWatch = 106,
    /// <summary>whoAmI.</summary>
    WhoAmI = 107,
    /// <summary>createSession (txn only).</summary>
    CreateSession = -10,
    /// <summary>closeSession.</summary>
    CloseSession = -11,
    /// <summary>Error txn / error result.</summary>
    Error = -1,
}
