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

    /// <summary>
    /// Node data (create, setData) as an array: the array it was set to, or a copy when the txn
    /// borrows a request's buffer (<see cref="BorrowData"/>). Hot paths read <see cref="DataSpan"/>.
    /// </summary>
    public byte[]? Data
    {
        get => _dataLength < 0 ? null : _data!.Length == _dataLength ? _data : _data.AsSpan(0, _dataLength).ToArray();
        set
        {
            _data = value;
            _dataLength = value?.Length ?? -1;
        }
    }

    /// <summary>The node data's bytes (empty for null data; see <see cref="DataIsNull"/>).</summary>
    public ReadOnlySpan<byte> DataSpan => _dataLength <= 0 ? default : _data.AsSpan(0, _dataLength);

    /// <summary>True when the node data is null (not merely empty).</summary>
    public bool DataIsNull => _dataLength < 0;

    /// <summary>Length of the node data (0 for null).</summary>
    public int DataLength => Math.Max(0, _dataLength);

    /// <summary>
    /// Uses the first <paramref name="length"/> bytes of <paramref name="buffer"/> as the data (-1: null)
    /// without copying. The owner (a pooled request) must outlive every read of this txn's data.
    /// </summary>
    public void BorrowData(byte[]? buffer, int length)
    {
        if (length >= 0 && (buffer is null ? length != 0 : length > buffer.Length)) throw new ArgumentOutOfRangeException(nameof(length));
        _data = buffer ?? (length == 0 ? [] : null);
        _dataLength = length < 0 ? -1 : length;
    }

    private byte[]? _data;
    private int _dataLength = -1;

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
        _data = null;
        _dataLength = -1;
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
