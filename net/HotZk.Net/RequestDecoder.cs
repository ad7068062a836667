using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Protocol;
using HotZk.Protocol.Records;

namespace HotZk.Net;

/// <summary>Outcome of decoding one request frame.</summary>
public enum DecodeStatus
{
    /// <summary>The request is ready for the engine.</summary>
    Ok,
    /// <summary>The body did not parse: reply MARSHALLINGERROR, keep the connection.</summary>
    Malformed,
    /// <summary>Unknown or not-allowed opcode: reply UNIMPLEMENTED, then close.</summary>
    Unimplemented,
}

/// <summary>Decodes a request frame (RequestHeader + record) into an engine <see cref="Request"/>.</summary>
public static class RequestDecoder
{
    /// <summary>Decodes <paramref name="frame"/> into <paramref name="r"/>; Xid and Op are set whenever the header parsed.</summary>
    public static DecodeStatus Decode(ReadOnlySpan<byte> frame, Request r, int maxFieldLength)
    {
        var reader = new JuteReader(frame, maxFieldLength);
        try
        {
            var header = RequestHeader.Read(ref reader);
            r.Xid = header.Xid;
            r.Op = header.Type;
        }
        catch (JuteException)
        {
            return DecodeStatus.Malformed;
        }
        try
        {
            return DecodeBody(ref reader, r);
        }
        catch (JuteException)
        {
            return DecodeStatus.Malformed;
        }
    }

    private static DecodeStatus DecodeBody(ref JuteReader reader, Request r)
    {
        switch (r.Op)
        {
            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
                ReadCreate(ref reader, r);
                return DecodeStatus.Ok;
            case OpCode.CreateTtl:
                ReadCreateTtl(ref reader, r);
                return DecodeStatus.Ok;
            case OpCode.Delete:
                ReadDelete(ref reader, r);
                return DecodeStatus.Ok;
            case OpCode.Exists:
            case OpCode.GetData:
            case OpCode.GetChildren:
            case OpCode.GetChildren2:
                {
                    // Hot read path: without a watch the path stays UTF-8 in the pooled request (no string);
                    // a watch keeps the path, so it gets the interned string.
                    if (!reader.ReadUtf8(out var path)) return DecodeStatus.Malformed;
                    bool watch = reader.ReadBool();
                    r.Watch = watch;
                    if (watch) r.Path = PathInterner.Shared.Get(path);
                    else r.SetPathUtf8(path);
                    return DecodeStatus.Ok;
                }
            case OpCode.SetData:
                ReadSetData(ref reader, r);
                return DecodeStatus.Ok;
            case OpCode.GetAcl:
            case OpCode.Sync:
            case OpCode.GetAllChildrenNumber:
                r.Path = ReadPath(ref reader);
                return DecodeStatus.Ok;
            case OpCode.SetAcl:
                {
                    var s = SetAclRequest.Read(ref reader);
                    r.Path = s.Path;
                    r.Acl = ToArray(s.Acl);
                    r.Version = s.Version;
                    return DecodeStatus.Ok;
                }
            case OpCode.GetEphemerals:
                r.Path = GetEphemeralsRequest.Read(ref reader).PrefixPath ?? "";
                return DecodeStatus.Ok;
            case OpCode.CheckWatches:
            case OpCode.RemoveWatches:
                {
                    string path = reader.ReadStringNotNull();
                    int type = reader.ReadInt();
                    if (type < 1 || type > 5) return DecodeStatus.Malformed;
                    r.Path = path;
                    r.Mode = type;
                    return DecodeStatus.Ok;
                }
            case OpCode.AddWatch:
                {
                    string path = reader.ReadStringNotNull();
                    int mode = reader.ReadInt();
                    if (mode is not (0 or 1)) return DecodeStatus.Malformed;
                    r.Path = path;
                    r.Mode = mode;
                    return DecodeStatus.Ok;
                }
            case OpCode.SetWatches:
                {
                    var s = SetWatches.Read(ref reader);
                    r.SetWatches = new SetWatchesArgs
                    {
                        RelativeZxid = s.RelativeZxid,
                        DataWatches = [.. s.DataWatches],
                        ExistWatches = [.. s.ExistWatches],
                        ChildWatches = [.. s.ChildWatches],
                    };
                    return DecodeStatus.Ok;
                }
            case OpCode.SetWatches2:
                {
                    var s = SetWatches2.Read(ref reader);
                    r.SetWatches = new SetWatchesArgs
                    {
                        RelativeZxid = s.RelativeZxid,
                        DataWatches = [.. s.DataWatches],
                        ExistWatches = [.. s.ExistWatches],
                        ChildWatches = [.. s.ChildWatches],
                        PersistentWatches = [.. s.PersistentWatches],
                        PersistentRecursiveWatches = [.. s.PersistentRecursiveWatches],
                    };
                    return DecodeStatus.Ok;
                }
            case OpCode.Multi:
            case OpCode.MultiRead:
                return DecodeMulti(ref reader, r);
            case OpCode.Reconfig:
                ReconfigRequest.Read(ref reader);
                return DecodeStatus.Ok;
            case OpCode.Auth:
                {
                    var a = AuthPacket.Read(ref reader);
                    r.AuthScheme = a.Scheme ?? "";
                    r.Data = a.Auth;
                    return DecodeStatus.Ok;
                }
            case OpCode.Ping:
            case OpCode.CloseSession:
            case OpCode.WhoAmI:
                return DecodeStatus.Ok;
            case OpCode.Sasl:
                return DecodeStatus.Ok;
            default:
                // Includes top-level check (13), deleteContainer (20) and createSession from clients.
                return DecodeStatus.Unimplemented;
        }
    }

    private static DecodeStatus DecodeMulti(ref JuteReader reader, Request r)
    {
        bool read = r.Op == OpCode.MultiRead;
        var ops = r.RentOpsList();
        r.Ops = ops; // owned by the request from here on, so a malformed frame's sub-requests still go back to the pool
        while (true)
        {
            var h = MultiHeader.Read(ref reader);
            if (h.Done) break;
            var op = RequestPool.Rent();
            op.Op = h.Type;
            op.Xid = r.Xid;
            ops.Add(op);
            switch (h.Type)
            {
                case OpCode.Create:
                case OpCode.Create2:
                case OpCode.CreateContainer:
                    if (read) return DecodeStatus.Malformed;
                    ReadCreate(ref reader, op);
                    break;
                case OpCode.CreateTtl:
                    if (read) return DecodeStatus.Malformed;
                    ReadCreateTtl(ref reader, op);
                    break;
                case OpCode.Delete:
                    if (read) return DecodeStatus.Malformed;
                    ReadDelete(ref reader, op);
                    break;
                case OpCode.SetData:
                    if (read) return DecodeStatus.Malformed;
                    ReadSetData(ref reader, op);
                    break;
                case OpCode.Check:
                    {
                        if (read) return DecodeStatus.Malformed;
                        op.Path = ReadPath(ref reader);
                        op.Version = reader.ReadInt();
                        break;
                    }
                case OpCode.GetData:
                case OpCode.GetChildren:
                    {
                        if (!read) return DecodeStatus.Malformed;
                        op.Path = ReadPath(ref reader);
                        reader.ReadBool(); // the watch flag: multiRead sets no watches
                        break;
                    }
                default:
                    return DecodeStatus.Malformed;
            }
        }
        return DecodeStatus.Ok;
    }

    // One reader per record, shared by top-level requests and multi sub-ops. They read the fields of
    // CreateRequest, CreateTTLRequest, DeleteRequest and SetDataRequest in record order, as those
    // records' Read does, but intern the path and copy the data into the pooled request's buffer
    // (the records would make a new string and array per request).
    private static void ReadCreate(ref JuteReader reader, Request r)
    {
        r.Path = ReadPath(ref reader);
        ReadData(ref reader, r);
        r.Acl = ReadAcl(ref reader);
        r.Flags = reader.ReadInt();
    }

    private static void ReadCreateTtl(ref JuteReader reader, Request r)
    {
        ReadCreate(ref reader, r);
        r.Ttl = reader.ReadLong();
    }

    private static void ReadDelete(ref JuteReader reader, Request r)
    {
        r.Path = ReadPath(ref reader);
        r.Version = reader.ReadInt();
    }

    private static void ReadSetData(ref JuteReader reader, Request r)
    {
        r.Path = ReadPath(ref reader);
        ReadData(ref reader, r);
        r.Version = reader.ReadInt();
    }

    /// <summary><see cref="JuteLists.ReadPath"/> (a null path is malformed) through the shared interner.</summary>
    private static string ReadPath(ref JuteReader reader) =>
        reader.ReadUtf8(out var utf8) ? PathInterner.Shared.Get(utf8) : throw new JuteException("null path");

    /// <summary><see cref="Acl.ReadList"/> with the scheme and id strings interned (clients repeat the same few ACLs).</summary>
    private static Acl[]? ReadAcl(ref JuteReader reader)
    {
        int n = reader.ReadVectorCount();
        if (n < 0) return null;
        var list = new Acl[n];
        for (int i = 0; i < n; i++)
        {
            var perms = (Perms)reader.ReadInt();
            string scheme = ReadInternedOrEmpty(ref reader);
            list[i] = new Acl(perms, new Id(scheme, ReadInternedOrEmpty(ref reader)));
        }
        return list;
    }

    /// <summary><see cref="JuteReader.ReadStringNotNull"/> through the shared interner.</summary>
    private static string ReadInternedOrEmpty(ref JuteReader reader) =>
        reader.ReadUtf8(out var utf8) ? PathInterner.Shared.Get(utf8) : string.Empty;

    private static void ReadData(ref JuteReader reader, Request r)
    {
        bool present = reader.ReadBuffer(out var data);
        r.SetData(data, !present);
    }

    private static Acl[]? ToArray(IReadOnlyList<Acl>? list)
    {
        if (list is null) return null;
        if (list is Acl[] a) return a;
        var arr = new Acl[list.Count];
        for (int i = 0; i < arr.Length; i++) arr[i] = list[i];
        return arr;
    }
}
