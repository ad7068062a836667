using HotZk.Common;

namespace HotZk.Protocol.Records;

/// <summary>setWatches (101, xid -8): one-shot watches to re-register after a reconnect.</summary>
/// <param name="RelativeZxid">Client's lastZxidSeen; changes after it fire immediately.</param>
/// <param name="DataWatches">getData watch paths.</param>
/// <param name="ExistWatches">exists watch paths.</param>
/// <param name="ChildWatches">getChildren watch paths.</param>
public readonly record struct SetWatches(
    long RelativeZxid,
    IReadOnlyList<string> DataWatches,
    IReadOnlyList<string> ExistWatches,
    IReadOnlyList<string> ChildWatches) : IJuteRecord<SetWatches>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteLong(RelativeZxid);
        JuteLists.WriteStrings(w, DataWatches);
        JuteLists.WriteStrings(w, ExistWatches);
        JuteLists.WriteStrings(w, ChildWatches);
    }

    /// <inheritdoc />
    public static SetWatches Read(ref JuteReader r) =>
        new(r.ReadLong(), JuteLists.ReadStrings(ref r), JuteLists.ReadStrings(ref r), JuteLists.ReadStrings(ref r));
}

/// <summary>setWatches2 (105, xid -8): <see cref="SetWatches"/> plus persistent and recursive watches.</summary>
/// <param name="RelativeZxid">Client's lastZxidSeen.</param>
/// <param name="DataWatches">getData watch paths.</param>
/// <param name="ExistWatches">exists watch paths.</param>
/// <param name="ChildWatches">getChildren watch paths.</param>
/// <param name="PersistentWatches">addWatch(PERSISTENT) paths.</param>
/// <param name="PersistentRecursiveWatches">addWatch(PERSISTENT_RECURSIVE) paths.</param>
public readonly record struct SetWatches2(
    long RelativeZxid,
    IReadOnlyList<string> DataWatches,
    IReadOnlyList<string> ExistWatches,
    IReadOnlyList<string> ChildWatches,
    IReadOnlyList<string> PersistentWatches,
    IReadOnlyList<string> PersistentRecursiveWatches) : IJuteRecord<SetWatches2>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteLong(RelativeZxid);
        JuteLists.WriteStrings(w, DataWatches);
        JuteLists.WriteStrings(w, ExistWatches);
        JuteLists.WriteStrings(w, ChildWatches);
        JuteLists.WriteStrings(w, PersistentWatches);
        JuteLists.WriteStrings(w, PersistentRecursiveWatches);
    }

    /// <inheritdoc />
    public static SetWatches2 Read(ref JuteReader r) =>
        new(r.ReadLong(), JuteLists.ReadStrings(ref r), JuteLists.ReadStrings(ref r), JuteLists.ReadStrings(ref r),
            JuteLists.ReadStrings(ref r), JuteLists.ReadStrings(ref r));
}

/// <summary>Body of checkWatches (17) and removeWatches (18).</summary>
/// <param name="Path">Node path.</param>
/// <param name="Type">Which watches; unknown values are kept so the server can answer MARSHALLINGERROR.</param>
public readonly record struct CheckWatchesRequest(string Path, WatcherType Type) : IJuteRecord<CheckWatchesRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        w.WriteInt((int)Type);
    }

    /// <inheritdoc />
    public static CheckWatchesRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r), (WatcherType)r.ReadInt());
}

/// <summary>Body of addWatch (106); the reply is an <see cref="ErrorResponse"/> with 0.</summary>
/// <param name="Path">Node path.</param>
/// <param name="Mode">Persistent or persistent-recursive; unknown values are kept.</param>
public readonly record struct AddWatchRequest(string Path, AddWatchMode Mode) : IJuteRecord<AddWatchRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(Path);
        w.WriteInt((int)Mode);
    }

    /// <inheritdoc />
    public static AddWatchRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r), (AddWatchMode)r.ReadInt());
}

/// <summary>Body of getEphemerals (103).</summary>
/// <param name="PrefixPath">Plain string prefix; empty or "/" means all of the session's ephemerals.</param>
public readonly record struct GetEphemeralsRequest(string PrefixPath) : IJuteRecord<GetEphemeralsRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => w.WriteString(PrefixPath);

    /// <inheritdoc />
    public static GetEphemeralsRequest Read(ref JuteReader r) => new(JuteLists.ReadPath(ref r));
}

/// <summary>Reply of getEphemerals (103).</summary>
/// <param name="Ephemerals">Full paths of the session's matching ephemeral nodes.</param>
public readonly record struct GetEphemeralsResponse(IReadOnlyList<string> Ephemerals) : IJuteRecord<GetEphemeralsResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => JuteLists.WriteStrings(w, Ephemerals);

    /// <inheritdoc />
    public static GetEphemeralsResponse Read(ref JuteReader r) => new(JuteLists.ReadStrings(ref r));
}

/// <summary>One authenticated identity as reported by whoAmI.</summary>
/// <param name="AuthScheme">Scheme, e.g. ip or digest.</param>
/// <param name="User">Identity, e.g. 127.0.0.1 or the digest user name.</param>
public readonly record struct ClientInfo(string AuthScheme, string User) : IJuteRecord<ClientInfo>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteString(AuthScheme);
        w.WriteString(User);
    }

    /// <inheritdoc />
    public static ClientInfo Read(ref JuteReader r) => new(r.ReadStringNotNull(), r.ReadStringNotNull());
}

/// <summary>Reply of whoAmI (107).</summary>
/// <param name="ClientInfo">One entry per auth id of the connection.</param>
public readonly record struct WhoAmIResponse(IReadOnlyList<ClientInfo> ClientInfo) : IJuteRecord<WhoAmIResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteInt(ClientInfo.Count);
        for (int i = 0; i < ClientInfo.Count; i++) ClientInfo[i].Write(w);
    }

    /// <inheritdoc />
    public static WhoAmIResponse Read(ref JuteReader r)
    {
        int n = r.ReadVectorCount();
        if (n <= 0) return new WhoAmIResponse([]);
        var list = new ClientInfo[n];
        for (int i = 0; i < n; i++) list[i] = Records.ClientInfo.Read(ref r);
        return new WhoAmIResponse(list);
    }
}
