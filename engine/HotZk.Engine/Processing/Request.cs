using HotZk.Common;
using HotZk.Engine.Sessions;

namespace HotZk.Engine.Processing;

/// <summary>
/// One client request on its way through the engine: the decoded arguments of whichever opcode
/// it is (fields unused by that opcode stay default) and, once processed, its result.
/// The connection that decoded it encodes the reply from the same object.
/// </summary>
public sealed class Request
{
    /// <summary>Connection the request came from (null for internal requests such as expiry).</summary>
    public IClientConnection? Connection;
    /// <summary>Owning session.</summary>
    public Session? Session;
    /// <summary>Session id.</summary>
    public long SessionId;
    /// <summary>Client xid.</summary>
    public int Xid;
    /// <summary>Opcode.</summary>
    public OpCode Op;

    /// <summary>Path argument.</summary>
    public string Path = "";
    /// <summary>
    /// Data argument as an array (a copy; tests and tools). Setting it copies into the request's own
    /// buffer; decode fills that buffer through <see cref="SetData"/>, so a pooled request reuses it.
    /// </summary>
    public byte[]? Data
    {
        get => _dataLength < 0 ? null : _data.AsSpan(0, _dataLength).ToArray();
        set => SetData(value, value is null);
    }

    /// <summary>Data argument bytes (empty for null data; valid until the request is reset).</summary>
    public ReadOnlySpan<byte> DataSpan => _dataLength <= 0 ? default : _data.AsSpan(0, _dataLength);

    /// <summary>True when the data argument is null (not merely empty).</summary>
    public bool DataIsNull => _dataLength < 0;

    /// <summary>Length of the data argument (0 for null).</summary>
    public int DataLength => Math.Max(0, _dataLength);

    /// <summary>Copies the data argument into a buffer this (pooled) request keeps across uses.</summary>
    public void SetData(ReadOnlySpan<byte> data, bool isNull)
    {
        if (isNull)
        {
            _dataLength = -1;
            return;
        }
        if (_data is null || _data.Length < data.Length) _data = new byte[Math.Max(256, data.Length)];
        data.CopyTo(_data);
        _dataLength = data.Length;
    }

    /// <summary>
    /// Hands the data argument to <paramref name="txn"/> without a copy. The txn must not be read
    /// once this request has gone back to the pool (the engine releases a txn when its request is answered).
    /// </summary>
    public void LendData(Txns.Txn txn) => txn.BorrowData(_data, _dataLength);

    private byte[]? _data;
    private int _dataLength = -1;
    /// <summary>ACL argument.</summary>
    public Acl[]? Acl;
    /// <summary>Create flags.</summary>
    public int Flags;
    /// <summary>TTL argument.</summary>
    public long Ttl;
    /// <summary>Expected version (-1 any).</summary>
    public int Version = -1;
    /// <summary>Watch flag of reads.</summary>
    public bool Watch;
    /// <summary>Watcher type (checkWatches/removeWatches) or addWatch mode.</summary>
    public int Mode;
    /// <summary>Sub-operations of multi/multiRead.</summary>
    public List<Request>? Ops;
    /// <summary>setWatches payload.</summary>
    public SetWatchesArgs? SetWatches;
    /// <summary>The body of this write did not decode: it is logged as a MARSHALLINGERROR error txn (it still takes a zxid, as in ZooKeeper).</summary>
    public bool Malformed;
    /// <summary>Auth scheme (op 100).</summary>
    public string? AuthScheme;
    /// <summary>
    /// Ensemble learner: the request's frame as the client sent it (xid, type, body), kept for
    /// forwarding to the leader; <see cref="RawLength"/> bytes are valid. Pooled; null otherwise.
    /// </summary>
    public byte[]? Raw;
    /// <summary>Valid bytes in <see cref="Raw"/>.</summary>
    public int RawLength;
    /// <summary>Ensemble learner: sent to the leader; waits in its session's queue until the leader's answer is applied.</summary>
    public bool Forwarded;
    /// <summary>Ensemble leader: a write a learner forwarded (its connection is the learner link, not a client).</summary>
    public bool Remote;

    /// <summary>Result code.</summary>
    public ErrorCode Err;
    /// <summary>zxid for the reply header.</summary>
    public long ReplyZxid;
    /// <summary>Txn zxid assigned to a write.</summary>
    public long Zxid;
    /// <summary>Result stat.</summary>
    public Stat Stat;
    /// <summary>Created path, sync path.</summary>
    public string? ResultPath;
    /// <summary>getData result as an array (a copy; tests and tools). Setting it copies into the request's own buffer.</summary>
    public byte[]? ResultData
    {
        get => _resultLength < 0 ? null : _result.AsSpan(0, _resultLength).ToArray();
        set => SetResultData(value, value is null);
    }

    /// <summary>getData result bytes (valid until the request is reset).</summary>
    public ReadOnlySpan<byte> ResultDataSpan => _resultLength <= 0 ? default : _result.AsSpan(0, _resultLength);

    /// <summary>True when the getData result is null data (not merely empty).</summary>
    public bool ResultDataIsNull => _resultLength < 0;

    /// <summary>Copies a getData result into a buffer this (pooled) request keeps across uses.</summary>
    public void SetResultData(ReadOnlySpan<byte> data, bool isNull)
    {
        if (isNull)
        {
            _resultLength = -1;
            return;
        }
        if (_result is null || _result.Length < data.Length) _result = new byte[Math.Max(256, data.Length)];
        data.CopyTo(_result);
        _resultLength = data.Length;
    }
    /// <summary>
    /// getChildren / getEphemerals result as strings. A getChildren result is kept as UTF-8
    /// (<see cref="ChildNamesUtf8"/>); reading this then decodes a copy (tests, tools).
    /// </summary>
    public List<string>? Children
    {
        get => _children ?? (_childCount >= 0 ? DecodeChildNames() : null);
        set
        {
            _children = value;
            ClearChildNames();
        }
    }

    /// <summary>True when the result's child names are held as UTF-8 (see <see cref="AddChildName"/>).</summary>
    public bool HasChildNamesUtf8 => _childCount >= 0;

    /// <summary>Number of UTF-8 child names held.</summary>
    public int ChildNameCount => Math.Max(0, _childCount);

    /// <summary>The child names exactly as jute writes a string vector's elements: (int32 length, bytes)*.</summary>
    public ReadOnlySpan<byte> ChildNamesUtf8 => _childCount < 0 ? default : _childNames.AsSpan(0, _childNamesLength);

    /// <summary>Starts an empty UTF-8 child-name result (the names go straight from the tree to the reply, no strings).</summary>
    public void BeginChildNames()
    {
        _children = null;
        _childCount = 0;
        _childNamesLength = 0;
    }

    /// <summary>Appends one child name (UTF-8) to the result started by <see cref="BeginChildNames"/>.</summary>
    public void AddChildName(ReadOnlySpan<byte> utf8)
    {
        int need = _childNamesLength + 4 + utf8.Length;
        if (_childNames.Length < need)
        {
            var bigger = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(need, Math.Max(256, _childNames.Length * 2)));
            _childNames.AsSpan(0, _childNamesLength).CopyTo(bigger);
            if (_childNames.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(_childNames);
            _childNames = bigger;
        }
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(_childNames.AsSpan(_childNamesLength), utf8.Length);
        utf8.CopyTo(_childNames.AsSpan(_childNamesLength + 4));
        _childNamesLength = need;
        _childCount++;
    }

    private List<string> DecodeChildNames()
    {
        var list = new List<string>(_childCount);
        var span = ChildNamesUtf8;
        while (span.Length > 0)
        {
            int n = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(span);
            list.Add(System.Text.Encoding.UTF8.GetString(span.Slice(4, n)));
            span = span[(4 + n)..];
        }
        return list;
    }

    private void ClearChildNames()
    {
        _childCount = -1;
        _childNamesLength = 0;
        // Big results go back to the shared pool rather than staying with a pooled request.
        if (_childNames.Length > 64 * 1024)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_childNames);
            _childNames = [];
        }
    }

    private List<string>? _children;
    private byte[] _childNames = [];
    private int _childNamesLength;
    private int _childCount = -1;
    /// <summary>getACL result.</summary>
    public Acl[]? ResultAcl;
    /// <summary>getAllChildrenNumber result.</summary>
    public int Count;
    /// <summary>Per-op results of multi / multiRead (their Op, Err and result fields).</summary>
    public List<Request>? Results;
    /// <summary>whoAmI result: (scheme, user).</summary>
    public List<(string Scheme, string User)>? ClientInfo;
    /// <summary>True once the result is final (writes: applied).</summary>
    public bool Done;
    /// <summary>Arrival timestamp (Stopwatch ticks) for latency stats.</summary>
    public long StartTicks;

    private byte[]? _result;
    private int _resultLength = -1;
    private byte[]? _pathUtf8;
    private int _pathUtf8Length = -1;

    /// <summary>True when the path of a read was kept as UTF-8 (no string was made for it).</summary>
    public bool HasUtf8Path => _pathUtf8Length >= 0;

    /// <summary>The UTF-8 path of a read (valid when <see cref="HasUtf8Path"/>).</summary>
    public ReadOnlySpan<byte> PathUtf8 => _pathUtf8Length < 0 ? default : _pathUtf8.AsSpan(0, _pathUtf8Length);

    /// <summary>Keeps the path as UTF-8 in a buffer the pooled request owns (reads that set no watch).</summary>
    public void SetPathUtf8(ReadOnlySpan<byte> utf8)
    {
        if (_pathUtf8 is null || _pathUtf8.Length < utf8.Length) _pathUtf8 = new byte[Math.Max(64, utf8.Length)];
        utf8.CopyTo(_pathUtf8);
        _pathUtf8Length = utf8.Length;
        Path = "";
    }

    /// <summary>Clears every field so the object can serve another request (keeps its path buffer).</summary>
    public void Reset()
    {
        Connection = null;
        Session = null;
        SessionId = 0;
        Xid = 0;
        Op = OpCode.Notification;
        Path = "";
        _dataLength = -1;
        if (_data is { Length: > 64 * 1024 }) _data = null; // as _result: large values are not hoarded
        Acl = null;
        Flags = 0;
        Ttl = 0;
        Version = -1;
        Watch = false;
        Mode = 0;
        ReleaseSubRequests();
        SetWatches = null;
        Malformed = false;
        AuthScheme = null;
        if (Raw is not null) System.Buffers.ArrayPool<byte>.Shared.Return(Raw);
        Raw = null;
        RawLength = 0;
        Forwarded = false;
        Remote = false;
        Err = ErrorCode.Ok;
        ReplyZxid = 0;
        Zxid = 0;
        Stat = default;
        ResultPath = null;
        _resultLength = -1;
        if (_result is { Length: > 64 * 1024 }) _result = null; // a pooled request does not hoard large values
        _children = null;
        ClearChildNames();
        ResultAcl = null;
        Count = 0;
        ClientInfo = null;
        Done = false;
        StartTicks = 0;
        _pathUtf8Length = -1;
        if (_pathUtf8 is { Length: > 4096 }) _pathUtf8 = null;
    }

    /// <summary>An empty list for decoded sub-operations (kept across uses of a pooled request).</summary>
    public List<Request> RentOpsList()
    {
        var list = _spareOps ?? [];
        _spareOps = null;
        return list;
    }

    /// <summary>An empty list for per-op results (kept across uses of a pooled request).</summary>
    public List<Request> RentResultsList()
    {
        var list = _spareResults ?? [];
        _spareResults = null;
        return list;
    }

    /// <summary>
    /// Hands sub-requests back to the pool with their parent: every op, and every result that is not
    /// also an op (a multiRead's results are its ops), each exactly once; the lists are kept for reuse.
    /// </summary>
    private void ReleaseSubRequests()
    {
        var ops = Ops;
        var results = Results;
        Ops = null;
        Results = null;
        if (results is not null)
        {
            for (int i = 0; i < results.Count; i++)
            {
                var x = results[i];
                bool isOp = ops is not null && i < ops.Count && ReferenceEquals(ops[i], x);
                if (!isOp && !ReferenceEquals(x, this)) RequestPool.Return(x);
            }
            results.Clear();
            if (results.Capacity <= 64) _spareResults = results;
        }
        if (ops is not null)
        {
            foreach (var x in ops)
            {
                if (!ReferenceEquals(x, this)) RequestPool.Return(x);
            }
            ops.Clear();
            if (ops.Capacity <= 64) _spareOps = ops;
        }
    }

    private List<Request>? _spareOps;
    private List<Request>? _spareResults;

    /// <summary>True for opcodes that change state (go through prep, log and apply).</summary>
    public bool IsWrite => IsWriteOp(Op);

    /// <summary>Keeps a pooled copy of the request frame (for forwarding to an ensemble leader).</summary>
    public void SetRaw(ReadOnlySpan<byte> frame)
    {
        if (Raw is null || Raw.Length < frame.Length)
        {
            if (Raw is not null) System.Buffers.ArrayPool<byte>.Shared.Return(Raw);
            Raw = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(64, frame.Length));
        }
        frame.CopyTo(Raw);
        RawLength = frame.Length;
    }

    /// <summary>True for opcodes that change state.</summary>
    public static bool IsWriteOp(OpCode op) => op is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl
        or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl or OpCode.Multi or OpCode.Reconfig
        or OpCode.CloseSession or OpCode.CreateSession or OpCode.Check;
}

/// <summary>Arguments of setWatches / setWatches2.</summary>
public sealed class SetWatchesArgs
{
    /// <summary>Client's lastZxidSeen.</summary>
    public long RelativeZxid;
    /// <summary>Data watches.</summary>
    public List<string> DataWatches = [];
    /// <summary>Exist watches.</summary>
    public List<string> ExistWatches = [];
    /// <summary>Child watches.</summary>
    public List<string> ChildWatches = [];
    /// <summary>Persistent watches (v2).</summary>
    public List<string> PersistentWatches = [];
    /// <summary>Persistent recursive watches (v2).</summary>
    public List<string> PersistentRecursiveWatches = [];
}
