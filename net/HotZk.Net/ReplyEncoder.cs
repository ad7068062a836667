using HotZk.Common;
using HotZk.Engine.Processing;

namespace HotZk.Net;

/// <summary>Encodes replies and notifications as length-prefixed frames into an output buffer.</summary>
public static class ReplyEncoder
{
    /// <summary>xid of watch notifications.</summary>
    public const int NotificationXid = -1;
    /// <summary>xid of pings.</summary>
    public const int PingXid = -2;
    /// <summary>xid of auth packets.</summary>
    public const int AuthXid = -4;
    /// <summary>xid of setWatches.</summary>
    public const int SetWatchesXid = -8;

    /// <summary>Appends the reply frame of <paramref name="r"/>.</summary>
    public static void Encode(ByteBuffer buffer, Request r)
    {
        var w = new JuteWriter(buffer);
        int start = w.ReserveInt();
        int xid = r.Op switch
        {
            OpCode.Ping => PingXid,
            OpCode.Auth => AuthXid,
            _ => r.Xid,
        };
        w.WriteInt(xid);
        w.WriteLong(r.Op == OpCode.Auth ? 0 : r.ReplyZxid);
        w.WriteInt((int)r.Err);
        if (r.Err == ErrorCode.Ok) WriteBody(w, r);
        else if (r.Op == OpCode.Sasl) w.WriteInt(-1); // SetSASLResponse with a null token
        w.PatchInt(start, buffer.Length - start - 4);
    }

    /// <summary>Appends a watch notification frame.</summary>
    public static void EncodeNotification(ByteBuffer buffer, EventType type, string path, long zxid)
    {
        var w = new JuteWriter(buffer);
        int start = w.ReserveInt();
        w.WriteInt(NotificationXid);
        w.WriteLong(zxid);
        w.WriteInt(0);
        w.WriteInt((int)type);
        w.WriteInt((int)KeeperState.SyncConnected);
        w.WriteString(path);
        w.PatchInt(start, buffer.Length - start - 4);
    }

    private static void WriteBody(JuteWriter w, Request r)
    {
        switch (r.Op)
        {
            case OpCode.Create:
                w.WriteString(r.ResultPath);
                break;
            case OpCode.Create2:
            case OpCode.CreateContainer:
            case OpCode.CreateTtl:
                w.WriteString(r.ResultPath);
                r.Stat.Write(w);
                break;
            case OpCode.Exists:
            case OpCode.SetData:
            case OpCode.SetAcl:
                r.Stat.Write(w);
                break;
            case OpCode.GetData:
                WriteResultData(w, r);
                r.Stat.Write(w);
                break;
            case OpCode.GetAcl:
                Acl.WriteList(w, r.ResultAcl);
                r.Stat.Write(w);
                break;
            case OpCode.GetChildren:
                WriteChildren(w, r);
                break;
            case OpCode.GetChildren2:
                WriteChildren(w, r);
                r.Stat.Write(w);
                break;
            case OpCode.GetEphemerals:
                WriteStrings(w, r.Children);
                break;
            case OpCode.Sync:
                w.WriteString(r.ResultPath ?? r.Path);
                break;
            case OpCode.GetAllChildrenNumber:
                w.WriteInt(r.Count);
                break;
            case OpCode.AddWatch:
                w.WriteInt(0); // ErrorResponse{0}
                break;
            case OpCode.WhoAmI:
                {
                    var list = r.ClientInfo;
                    w.WriteInt(list?.Count ?? 0);
                    if (list is not null)
                    {
                        foreach (var (scheme, user) in list)
                        {
                            w.WriteString(scheme);
                            w.WriteString(user);
                        }
                    }
                    break;
                }
            case OpCode.Multi:
            case OpCode.MultiRead:
                WriteMulti(w, r);
                break;
        }
    }

    private static void WriteMulti(JuteWriter w, Request r)
    {
        foreach (var res in r.Results ?? [])
        {
            if (res.Err != ErrorCode.Ok || res.Op == OpCode.Error)
            {
                w.WriteInt((int)OpCode.Error);
                w.WriteBool(false);
                w.WriteInt((int)res.Err);
                w.WriteInt((int)res.Err);
                continue;
            }
            // create2/container/TTL sub-ops answer with the create2 result (path + Stat).
            OpCode type = res.Op is OpCode.CreateContainer or OpCode.CreateTtl ? OpCode.Create2 : res.Op;
            w.WriteInt((int)type);
            w.WriteBool(false);
            w.WriteInt(0);
            switch (type)
            {
                case OpCode.Create:
                    w.WriteString(res.ResultPath);
                    break;
                case OpCode.Create2:
                    w.WriteString(res.ResultPath);
                    res.Stat.Write(w);
                    break;
                case OpCode.SetData:
                    res.Stat.Write(w);
                    break;
                case OpCode.GetData:
                    WriteResultData(w, res);
                    res.Stat.Write(w);
                    break;
                case OpCode.GetChildren:
                    WriteChildren(w, res);
                    break;
            }
        }
        w.WriteInt(-1);
        w.WriteBool(true);
        w.WriteInt(-1);
    }

    private static void WriteResultData(JuteWriter w, Request r)
    {
        if (r.ResultDataIsNull) w.WriteInt(-1);
        else w.WriteBuffer(r.ResultDataSpan);
    }

    private static void WriteChildren(JuteWriter w, Request r)
    {
        if (!r.HasChildNamesUtf8)
        {
            WriteStrings(w, r.Children);
            return;
        }
        w.WriteInt(r.ChildNameCount);
        w.WriteRaw(r.ChildNamesUtf8);
    }

    private static void WriteStrings(JuteWriter w, List<string>? list)
    {
        if (list is null) { w.WriteInt(0); return; }
        w.WriteInt(list.Count);
        foreach (var s in list) w.WriteString(s);
    }
}
