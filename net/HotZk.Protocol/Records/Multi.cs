using HotZk.Common;

namespace HotZk.Protocol.Records;

/// <summary>
/// One sub-operation of multi (14) or multiRead (22). A flat struct rather than a class hierarchy so
/// a batch is one array with no per-op allocation; <see cref="Type"/> says which fields matter.
/// </summary>
/// <param name="Type">Sub-op: Create, Create2, CreateContainer, CreateTtl, Delete, SetData, Check (multi) or GetData, GetChildren (multiRead).</param>
/// <param name="Path">Node path.</param>
/// <param name="Data">Create/setData data.</param>
/// <param name="Acl">Create ACL.</param>
/// <param name="Flags">Create mode.</param>
/// <param name="Ttl">createTTL time to live.</param>
/// <param name="Version">Delete/setData/check expected version.</param>
/// <param name="Watch">Watch flag of getData/getChildren (on the wire, ignored by servers).</param>
public readonly record struct MultiOp(
    OpCode Type,
    string Path,
    byte[]? Data = null,
    IReadOnlyList<Acl>? Acl = null,
    CreateMode Flags = CreateMode.Persistent,
    long Ttl = 0,
    int Version = -1,
    bool Watch = false)
{
    /// <summary>create (result: path only).</summary>
    public static MultiOp Create(string path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode) => new(OpCode.Create, path, data, acl, mode);

    /// <summary>create2 (result: path + Stat on 3.8.2+ servers).</summary>
    public static MultiOp Create2(string path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode) => new(OpCode.Create2, path, data, acl, mode);

    /// <summary>createContainer.</summary>
    public static MultiOp CreateContainer(string path, byte[]? data, IReadOnlyList<Acl>? acl) => new(OpCode.CreateContainer, path, data, acl, CreateMode.Container);

    /// <summary>createTTL.</summary>
    public static MultiOp CreateTtl(string path, byte[]? data, IReadOnlyList<Acl>? acl, CreateMode mode, long ttl) => new(OpCode.CreateTtl, path, data, acl, mode, ttl);

    /// <summary>delete.</summary>
    public static MultiOp Delete(string path, int version = -1) => new(OpCode.Delete, path, Version: version);

    /// <summary>setData.</summary>
    public static MultiOp SetData(string path, byte[]? data, int version = -1) => new(OpCode.SetData, path, data, Version: version);

    /// <summary>check (version assertion).</summary>
    public static MultiOp Check(string path, int version) => new(OpCode.Check, path, Version: version);

    /// <summary>getData (multiRead only).</summary>
    public static MultiOp GetData(string path) => new(OpCode.GetData, path);

    /// <summary>getChildren (multiRead only).</summary>
    public static MultiOp GetChildren(string path) => new(OpCode.GetChildren, path);

    /// <summary>True for the read sub-ops that belong in multiRead.</summary>
    public bool IsRead => Type is OpCode.GetData or OpCode.GetChildren;

    /// <summary>Writes the sub-op header and its request record.</summary>
    public void Write(JuteWriter w)
    {
        new MultiHeader(Type, false, -1).Write(w);
        switch (Type)
        {
            case OpCode.Create or OpCode.Create2 or OpCode.CreateContainer:
                new CreateRequest(Path, Data, Acl, Flags).Write(w);
                break;
            case OpCode.CreateTtl:
                new CreateTtlRequest(Path, Data, Acl, Flags, Ttl).Write(w);
                break;
            case OpCode.Delete:
                new DeleteRequest(Path, Version).Write(w);
                break;
            case OpCode.SetData:
                new SetDataRequest(Path, Data, Version).Write(w);
                break;
            case OpCode.Check:
                new CheckVersionRequest(Path, Version).Write(w);
                break;
            case OpCode.GetData or OpCode.GetChildren:
                new PathWatchRequest(Path, Watch).Write(w);
                break;
            default:
                throw new InvalidOperationException($"{Type} is not a multi sub-op");
        }
    }

    /// <summary>Reads the record of a sub-op whose header (type <paramref name="type"/>) was already read.</summary>
    public static MultiOp ReadBody(OpCode type, ref JuteReader r)
    {
        switch (type)
        {
            case OpCode.Create or OpCode.Create2 or OpCode.CreateContainer:
                var c = CreateRequest.Read(ref r);
                return new MultiOp(type, c.Path, c.Data, c.Acl, c.Flags);
            case OpCode.CreateTtl:
                var t = CreateTtlRequest.Read(ref r);
                return new MultiOp(type, t.Path, t.Data, t.Acl, t.Flags, t.Ttl);
            case OpCode.Delete:
                var d = DeleteRequest.Read(ref r);
                return new MultiOp(type, d.Path, Version: d.Version);
            case OpCode.SetData:
                var s = SetDataRequest.Read(ref r);
                return new MultiOp(type, s.Path, s.Data, Version: s.Version);
            case OpCode.Check:
                var k = CheckVersionRequest.Read(ref r);
                return new MultiOp(type, k.Path, Version: k.Version);
            case OpCode.GetData or OpCode.GetChildren:
                var g = PathWatchRequest.Read(ref r);
                return new MultiOp(type, g.Path, Watch: g.Watch);
            default:
                throw new JuteException($"invalid multi sub-op type {(int)type}");
        }
    }
}

/// <summary>
/// Body of multi (14) and multiRead (22): sub-ops each preceded by a <see cref="MultiHeader"/>
/// <c>{type, false, -1}</c>, terminated by <see cref="MultiHeader.Terminator"/>. There is no count.
/// </summary>
/// <param name="Ops">The sub-operations in order.</param>
public readonly record struct MultiRequest(IReadOnlyList<MultiOp> Ops) : IJuteRecord<MultiRequest>
{
    /// <summary>True when the batch holds read sub-ops (it then holds only reads: <see cref="Read"/> rejects mixtures).</summary>
    public bool IsRead => Ops.Count > 0 && Ops[0].IsRead;

    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        for (int i = 0; i < Ops.Count; i++) Ops[i].Write(w);
        MultiHeader.Terminator.Write(w);
    }

    /// <summary>Reads the ops until the done header. Mixed read/write batches and unknown sub-op types are malformed, as in the Java parser.</summary>
    public static MultiRequest Read(ref JuteReader r)
    {
        var ops = new List<MultiOp>();
        bool? reads = null;
        while (true)
        {
            var h = MultiHeader.Read(ref r);
            if (h.Done) break;
            var op = MultiOp.ReadBody(h.Type, ref r);
            if (reads is null) reads = op.IsRead;
            else if (reads != op.IsRead) throw new JuteException("multi mixes read and write operations");
            ops.Add(op);
        }
        return new MultiRequest(ops);
    }
}

/// <summary>One result of a multi/multiRead reply; <see cref="Type"/> says which fields are set.</summary>
/// <param name="Type">Create (path), Create2 (path + Stat), Delete, Check (no body), SetData (Stat), GetData (data + Stat), GetChildren (children), Error.</param>
/// <param name="Err">Result code; non-zero only for <see cref="OpCode.Error"/> results (0 there too for ops before a multi's failing op).</param>
/// <param name="Path">Created path.</param>
/// <param name="Stat">Stat of create2/setData/getData.</param>
/// <param name="Data">getData data.</param>
/// <param name="Children">getChildren names.</param>
public readonly record struct MultiResult(
    OpCode Type,
    ErrorCode Err = ErrorCode.Ok,
    string? Path = null,
    Stat Stat = default,
    byte[]? Data = null,
    IReadOnlyList<string>? Children = null)
{
    /// <summary>Result of create: path only.</summary>
    public static MultiResult Create(string path) => new(OpCode.Create, Path: path);

    /// <summary>Result of create2/createContainer/createTTL: path and Stat.</summary>
    public static MultiResult Create2(string path, Stat stat) => new(OpCode.Create2, Path: path, Stat: stat);

    /// <summary>Result of delete.</summary>
    public static MultiResult Delete() => new(OpCode.Delete);

    /// <summary>Result of setData.</summary>
    public static MultiResult SetData(Stat stat) => new(OpCode.SetData, Stat: stat);

    /// <summary>Result of check.</summary>
    public static MultiResult Check() => new(OpCode.Check);

    /// <summary>Result of getData in multiRead.</summary>
    public static MultiResult GetData(byte[]? data, Stat stat) => new(OpCode.GetData, Stat: stat, Data: data);

    /// <summary>Result of getChildren in multiRead.</summary>
    public static MultiResult GetChildren(IReadOnlyList<string> children) => new(OpCode.GetChildren, Children: children);

    /// <summary>An error result (code 0 for multi ops before the failing one).</summary>
    public static MultiResult Error(ErrorCode code) => new(OpCode.Error, code);

    /// <summary>True for <see cref="OpCode.Error"/> results.</summary>
    public bool IsError => Type == OpCode.Error;

    /// <summary>Writes the result header and body per the reply table (§4.2).</summary>
    public void Write(JuteWriter w)
    {
        new MultiHeader(Type, false, IsError ? (int)Err : 0).Write(w);
        switch (Type)
        {
            case OpCode.Create:
                w.WriteString(Path);
                break;
            case OpCode.Create2:
                w.WriteString(Path);
                Stat.Write(w);
                break;
            case OpCode.Delete or OpCode.Check:
                break;
            case OpCode.SetData:
                Stat.Write(w);
                break;
            case OpCode.GetData:
                new GetDataResponse(Data, Stat).Write(w);
                break;
            case OpCode.GetChildren:
                JuteLists.WriteStrings(w, Children ?? []);
                break;
            case OpCode.Error:
                w.WriteInt((int)Err);
                break;
            default:
                throw new InvalidOperationException($"{Type} is not a multi result type");
        }
    }

    /// <summary>Reads the body of a result whose header (type <paramref name="type"/>) was already read.</summary>
    public static MultiResult ReadBody(OpCode type, ref JuteReader r) => type switch
    {
        OpCode.Create => Create(JuteLists.ReadPath(ref r)),
        OpCode.Create2 => Create2(JuteLists.ReadPath(ref r), Stat.Read(ref r)),
        OpCode.Delete => Delete(),
        OpCode.Check => Check(),
        OpCode.SetData => SetData(Stat.Read(ref r)),
        OpCode.GetData => ReadGetData(ref r),
        OpCode.GetChildren => GetChildren(JuteLists.ReadStrings(ref r)),
        // The body repeats the header's code; like the Java client we trust the body.
        OpCode.Error => Error((ErrorCode)r.ReadInt()),
        _ => throw new JuteException($"invalid multi result type {(int)type}"),
    };

    private static MultiResult ReadGetData(ref JuteReader r)
    {
        var g = GetDataResponse.Read(ref r);
        return GetData(g.Data, g.Stat);
    }
}

/// <summary>Reply body of multi (14) and multiRead (22): results terminated by <see cref="MultiHeader.Terminator"/>.</summary>
/// <param name="Results">One result per sub-op, in order.</param>
public readonly record struct MultiResponse(IReadOnlyList<MultiResult> Results) : IJuteRecord<MultiResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        for (int i = 0; i < Results.Count; i++) Results[i].Write(w);
        MultiHeader.Terminator.Write(w);
    }

    /// <inheritdoc />
    public static MultiResponse Read(ref JuteReader r)
    {
        var results = new List<MultiResult>();
        while (true)
        {
            var h = MultiHeader.Read(ref r);
            if (h.Done) break;
            results.Add(MultiResult.ReadBody(h.Type, ref r));
        }
        return new MultiResponse(results);
    }
}
