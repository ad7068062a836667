using HotZk.Common;

namespace HotZk.Protocol.Records;

/// <summary>Body of create (1), create2 (15) and createContainer (19).</summary>
/// <param name="Path">Node path (sequential modes append a suffix).</param>
/// <param name="Data">Initial data; null and empty are distinct.</param>
/// <param name="Acl">ACL list; null is invalid at the server (INVALIDACL).</param>
/// <param name="Flags">The create mode; unknown values are kept so the server can answer BADARGUMENTS.</param>
public readonly record struct CreateRequest(string Path, byte[]? Data, IReadOnlyList<Acl>? Acl, CreateMode Flags) : IJuteRecord<CreateRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        w.WriteBuffer(Data);
        Common.Acl.WriteList(w, Acl);
        w.WriteInt((int)Flags);
    }

    /// <inheritdoc />
    public static CreateRequest Read(ref JuteReader r) =>
        new(JuteLists.ReadPath(ref r), r.ReadBufferArray(), Common.Acl.ReadList(ref r), (CreateMode)r.ReadInt());
}

/// <summary>Body of createTTL (21).</summary>
/// <param name="Path">Node path.</param>
/// <param name="Data">Initial data.</param>
/// <param name="Acl">ACL list.</param>
/// <param name="Flags">Must be a TTL mode (5 or 6).</param>
/// <param name="Ttl">Time to live in ms (0 &lt; ttl &lt;= 2^40-1).</param>
public readonly record struct CreateTtlRequest(string Path, byte[]? Data, IReadOnlyList<Acl>? Acl, CreateMode Flags, long Ttl) : IJuteRecord<CreateTtlRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        w.WriteBuffer(Data);
        Common.Acl.WriteList(w, Acl);
        w.WriteInt((int)Flags);
        w.WriteLong(Ttl);
    }

    /// <inheritdoc />
    public static CreateTtlRequest Read(ref JuteReader r) =>
        new(JuteLists.ReadPath(ref r), r.ReadBufferArray(), Common.Acl.ReadList(ref r), (CreateMode)r.ReadInt(), r.ReadLong());
}

/// <summary>Reply of create (1): the final path.</summary>
/// <param name="Path">Created path including any sequential suffix.</param>
public readonly record struct CreateResponse(string Path) : IJuteRecord<CreateResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => w.WriteString(Path);

    /// <inheritdoc />
    public static CreateResponse Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r));
}

/// <summary>Reply of create2 (15), createContainer (19) and createTTL (21).</summary>
/// <param name="Path">Created path.</param>
/// <param name="Stat">The new node's stat.</param>
public readonly record struct Create2Response(string Path, Stat Stat) : IJuteRecord<Create2Response>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        Stat.Write(w);
    }

    /// <inheritdoc />
    public static Create2Response Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r), Stat.Read(ref r));
}

/// <summary>Body of delete (2).</summary>
/// <param name="Path">Node path.</param>
/// <param name="Version">Expected version, -1 for any.</param>
public readonly record struct DeleteRequest(string Path, int Version) : IJuteRecord<DeleteRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        w.WriteInt(Version);
    }

    /// <inheritdoc />
    public static DeleteRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r), r.ReadInt());
}

/// <summary>Body of exists (3), getData (4), getChildren (8) and getChildren2 (12): path + watch flag.</summary>
/// <param name="Path">Node path.</param>
/// <param name="Watch">Register a one-shot watch.</param>
public readonly record struct PathWatchRequest(string Path, bool Watch) : IJuteRecord<PathWatchRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        w.WriteBool(Watch);
    }

    /// <inheritdoc />
    public static PathWatchRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r), r.ReadBool());
}

/// <summary>A reply that is just a Stat: exists (3), setData (5), setACL (7).</summary>
/// <param name="Stat">The node's stat.</param>
public readonly record struct StatResponse(Stat Stat) : IJuteRecord<StatResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => Stat.Write(w);

    /// <inheritdoc />
    public static StatResponse Read(ref JuteReader r) => new(Stat.Read(ref r));
}

/// <summary>Reply of getData (4) and reconfig (16).</summary>
/// <param name="Data">Node data; null (length -1) when the node was created with null data.</param>
/// <param name="Stat">The node's stat.</param>
public readonly record struct GetDataResponse(byte[]? Data, Stat Stat) : IJuteRecord<GetDataResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteBuffer(Data);
        Stat.Write(w);
    }

    /// <inheritdoc />
    public static GetDataResponse Read(ref JuteReader r) => new(r.ReadBufferArray(), Stat.Read(ref r));
}

/// <summary>Body of setData (5).</summary>
/// <param name="Path">Node path.</param>
/// <param name="Data">New data.</param>
/// <param name="Version">Expected version, -1 for any.</param>
public readonly record struct SetDataRequest(string Path, byte[]? Data, int Version) : IJuteRecord<SetDataRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        w.WriteBuffer(Data);
        w.WriteInt(Version);
    }

    /// <inheritdoc />
    public static SetDataRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r), r.ReadBufferArray(), r.ReadInt());
}

/// <summary>A lone path: getACL (6), sync (9) request and reply, getAllChildrenNumber (104).</summary>
/// <param name="Path">Node path.</param>
public readonly record struct PathRequest(string Path) : IJuteRecord<PathRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => w.WriteString(Path);

    /// <inheritdoc />
    public static PathRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r));
}

/// <summary>Reply of getACL (6).</summary>
/// <param name="Acl">The node's ACL.</param>
/// <param name="Stat">The node's stat.</param>
public readonly record struct GetAclResponse(IReadOnlyList<Acl>? Acl, Stat Stat) : IJuteRecord<GetAclResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        Common.Acl.WriteList(w, Acl);
        Stat.Write(w);
    }

    /// <inheritdoc />
    public static GetAclResponse Read(ref JuteReader r) => new(Common.Acl.ReadList(ref r), Stat.Read(ref r));
}

/// <summary>Body of setACL (7).</summary>
/// <param name="Path">Node path.</param>
/// <param name="Acl">New ACL list.</param>
/// <param name="Version">Expected aversion, -1 for any.</param>
public readonly record struct SetAclRequest(string Path, IReadOnlyList<Acl>? Acl, int Version) : IJuteRecord<SetAclRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        Common.Acl.WriteList(w, Acl);
        w.WriteInt(Version);
    }

    /// <inheritdoc />
    public static SetAclRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r), Common.Acl.ReadList(ref r), r.ReadInt());
}

/// <summary>Reply of getChildren (8): child names, unsorted.</summary>
/// <param name="Children">Child names (not paths).</param>
public readonly record struct GetChildrenResponse(IReadOnlyList<string> Children) : IJuteRecord<GetChildrenResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => JuteLists.WriteStrings(w, Children);

    /// <inheritdoc />
    public static GetChildrenResponse Read(ref JuteReader r) => new(JuteLists.ReadStrings(ref r));
}

/// <summary>Reply of getChildren2 (12): child names and the parent's stat.</summary>
/// <param name="Children">Child names.</param>
/// <param name="Stat">The node's stat.</param>
public readonly record struct GetChildren2Response(IReadOnlyList<string> Children, Stat Stat) : IJuteRecord<GetChildren2Response>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        JuteLists.WriteStrings(w, Children);
        Stat.Write(w);
    }

    /// <inheritdoc />
    public static GetChildren2Response Read(ref JuteReader r) => new(JuteLists.ReadStrings(ref r), Stat.Read(ref r));
}

/// <summary>Reply of getAllChildrenNumber (104).</summary>
/// <param name="TotalNumber">Number of descendants, excluding the node itself.</param>
public readonly record struct GetAllChildrenNumberResponse(int TotalNumber) : IJuteRecord<GetAllChildrenNumberResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => w.WriteInt(TotalNumber);

    /// <inheritdoc />
    public static GetAllChildrenNumberResponse Read(ref JuteReader r) => new(r.ReadInt());
}

/// <summary>Body of check (13, inside multi only).</summary>
/// <param name="Path">Node path.</param>
/// <param name="Version">Expected version, -1 for any.</param>
public readonly record struct CheckVersionRequest(string Path, int Version) : IJuteRecord<CheckVersionRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        w.WriteInt(Version);
    }

    /// <inheritdoc />
    public static CheckVersionRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r), r.ReadInt());
}

/// <summary>Body of reconfig (16).</summary>
/// <param name="JoiningServers">Servers to add (comma-separated <c>server.N=...</c>), or null.</param>
/// <param name="LeavingServers">Server ids to remove, or null.</param>
/// <param name="NewMembers">Complete new membership (non-incremental), or null.</param>
/// <param name="CurConfigId">Expected current config version, -1 for any.</param>
public readonly record struct ReconfigRequest(string? JoiningServers, string? LeavingServers, string? NewMembers, long CurConfigId) : IJuteRecord<ReconfigRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(JoiningServers);
        w.WriteString(LeavingServers);
        w.WriteString(NewMembers);
        w.WriteLong(CurConfigId);
    }

    /// <inheritdoc />
    public static ReconfigRequest Read(ref JuteReader r) => new(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadLong());
}
