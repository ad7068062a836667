using HotZk.Common;

namespace HotZk.Engine.Txns;

/// <summary>
/// A state change, exactly as it is logged and replicated: TxnHeader fields plus the body of its
/// type. One class covers every txn type (fields unused by a type stay default) so that the
/// log, replay and the applier share one shape.
/// </summary>
public sealed class Txn
{
    /// <summary>Session that issued it (TxnHeader.clientId).</summary>
    public long ClientId { get; set; }

    /// <summary>Client xid (TxnHeader.cxid).</summary>
    public int Cxid { get; set; }

    /// <summary>Its zxid.</summary>
    public long Zxid { get; set; }

    /// <summary>Leader wall-clock time in ms.</summary>
    public long Time { get; set; }

    /// <summary>Txn type (an <see cref="OpCode"/> value; -1 = error).</summary>
    public OpCode Type { get; set; }

    /// <summary>Target path (create/delete/setData/setACL/check).</summary>
    public string Path { get; set; } = "";

    /// <summary>Node data (create, setData).</summary>
    public byte[]? Data { get; set; }

    /// <summary>ACL list (create, setACL).</summary>
    public Acl[]? Acl { get; set; }

    /// <summary>Ephemeral flag of a create.</summary>
    public bool Ephemeral { get; set; }

    /// <summary>Parent's new stored cversion after a create.</summary>
    public int ParentCversion { get; set; }

    /// <summary>TTL in ms (createTTL).</summary>
    public long Ttl { get; set; }

    /// <summary>New version (setData), new aversion (setACL), checked version (check).</summary>
    public int Version { get; set; }

    /// <summary>Session timeout (createSession).</summary>
    public int Timeout { get; set; }

    /// <summary>Error code (error txn).</summary>
    public ErrorCode Err { get; set; }

    /// <summary>Ephemerals to delete (closeSession).</summary>
    public List<string>? PathsToDelete { get; set; }

    /// <summary>Sub-txns of a multi (their header fields are unused).</summary>
    public List<Txn>? Ops { get; set; }

    /// <summary>Clears every field back to a new txn's values (a pooled txn serves the next write).</summary>
    public void Reset()
    {
        ClientId = 0;
        Cxid = 0;
        Zxid = 0;
        Time = 0;
        Type = default;
        Path = "";
        Data = null;
        Acl = null;
        Ephemeral = false;
        ParentCversion = 0;
        Ttl = 0;
        Version = 0;
        Timeout = 0;
        Err = default;
        PathsToDelete = null;
        Ops = null;
    }

    /// <summary>True for a multi whose sub-txns contain an error: nothing is applied.</summary>
    public bool IsFailedMulti
    {
        get
        {
            if (Type != OpCode.Multi || Ops is null) return false;
            foreach (var op in Ops) if (op.Type == OpCode.Error) return true;
            return false;
        }
    }
}
