using HotZk.Common;

namespace HotZk.Engine.Txns;

/// <summary>
/// Encodes and decodes txns in ZooKeeper's log format (TxnHeader + record), so HotZk logs,
/// ZAB proposals and imported Apache ZooKeeper logs share one codec.
/// </summary>
public static class TxnSerializer
{
    /// <summary>Writes header and body.</summary>
    public static void Write(JuteWriter w, Txn txn)
    {
        w.WriteLong(txn.ClientId);
        w.WriteInt(txn.Cxid);
        w.WriteLong(txn.Zxid);
        w.WriteLong(txn.Time);
        w.WriteInt((int)txn.Type);
        WriteBody(w, txn);
    }

    /// <summary>Writes the record of a txn without its header.</summary>
    public static void WriteBody(JuteWriter w, Txn txn)
    {
        switch (txn.Type)
        {
            case OpCode.Create:
            case OpCode.Create2:
                WriteCreateHead(w, txn);
                w.WriteBool(txn.Ephemeral);
                w.WriteInt(txn.ParentCversion);
                break;
            case OpCode.CreateContainer:
                WriteCreateHead(w, txn);
                w.WriteInt(txn.ParentCversion);
                break;
            case OpCode.CreateTtl:
                WriteCreateHead(w, txn);
                w.WriteInt(txn.ParentCversion);
                w.WriteLong(txn.Ttl);
                break;
            case OpCode.Delete:
            case OpCode.DeleteContainer:
                w.WriteString(txn.Path);
                break;
            case OpCode.SetData:
            case OpCode.Reconfig:
                w.WriteString(txn.Path);
                WriteData(w, txn);
                w.WriteInt(txn.Version);
                break;
            case OpCode.SetAcl:
                w.WriteString(txn.Path);
                HotZk.Common.Acl.WriteList(w, txn.Acl);
                w.WriteInt(txn.Version);
                break;
            case OpCode.Check:
                w.WriteString(txn.Path);
                w.WriteInt(txn.Version);
                break;
            case OpCode.CreateSession:
                w.WriteInt(txn.Timeout);
                break;
            case OpCode.CloseSession:
                var paths = txn.PathsToDelete;
                w.WriteInt(paths?.Count ?? 0);
                if (paths is not null) foreach (var p in paths) w.WriteString(p);
                break;
            case OpCode.Error:
                w.WriteInt((int)txn.Err);
                break;
            case OpCode.Multi:
                var ops = txn.Ops ?? [];
                w.WriteInt(ops.Count);
                using (var sub = new ByteBuffer(256))
                {
                    var sw = new JuteWriter(sub);
                    foreach (var op in ops)
                    {
                        sub.Clear();
                        WriteBody(sw, op);
                        w.WriteInt((int)op.Type);
                        w.WriteBuffer(sub.WrittenSpan);
                    }
                }
                break;
            default:
                throw new InvalidOperationException($"txn type {txn.Type} has no record");
        }
    }

    // Through the span: the data may be borrowed from a pooled request (no array of its exact length).
    private static void WriteData(JuteWriter w, Txn txn)
    {
        if (txn.DataIsNull) w.WriteInt(-1);
        else w.WriteBuffer(txn.DataSpan);
    }

    // CreateTxn, CreateContainerTxn and CreateTTLTxn all start with path, data, acl.
    private static void WriteCreateHead(JuteWriter w, Txn txn)
    {
        w.WriteString(txn.Path);
        WriteData(w, txn);
        HotZk.Common.Acl.WriteList(w, txn.Acl);
    }

    private static void ReadCreateHead(ref JuteReader r, Txn txn)
    {
        txn.Path = r.ReadStringNotNull();
        txn.Data = r.ReadBufferArray();
        txn.Acl = HotZk.Common.Acl.ReadList(ref r);
    }

    /// <summary>Serializes a txn into a new array.</summary>
    public static byte[] ToArray(Txn txn)
    {
        using var buf = new ByteBuffer(256);
        Write(new JuteWriter(buf), txn);
        return buf.WrittenSpan.ToArray();
    }

    /// <summary>Decodes a txn (header + body). A trailing TxnDigest, if present, is ignored.</summary>
    public static Txn Read(ReadOnlySpan<byte> bytes)
    {
        var r = new JuteReader(bytes);
        var txn = new Txn
        {
            ClientId = r.ReadLong(),
            Cxid = r.ReadInt(),
            Zxid = r.ReadLong(),
            Time = r.ReadLong(),
            Type = (OpCode)r.ReadInt(),
        };
        ReadBody(ref r, txn);
        return txn;
    }

    private static void ReadBody(ref JuteReader r, Txn txn)
    {
        switch (txn.Type)
        {
            case OpCode.Create:
            case OpCode.Create2:
                ReadCreateHead(ref r, txn);
                txn.Ephemeral = r.ReadBool();
                // CreateTxnV0 (very old logs) has no parentCVersion: -1 means "current + 1".
                txn.ParentCversion = r.Remaining >= 4 ? r.ReadInt() : -1;
                break;
            case OpCode.CreateContainer:
                ReadCreateHead(ref r, txn);
                txn.ParentCversion = r.ReadInt();
                break;
            case OpCode.CreateTtl:
                ReadCreateHead(ref r, txn);
                txn.ParentCversion = r.ReadInt();
                txn.Ttl = r.ReadLong();
                break;
            case OpCode.Delete:
            case OpCode.DeleteContainer:
                txn.Path = r.ReadStringNotNull();
                break;
            case OpCode.SetData:
            case OpCode.Reconfig:
                txn.Path = r.ReadStringNotNull();
                txn.Data = r.ReadBufferArray();
                txn.Version = r.ReadInt();
                break;
            case OpCode.SetAcl:
                txn.Path = r.ReadStringNotNull();
                txn.Acl = HotZk.Common.Acl.ReadList(ref r);
                txn.Version = r.ReadInt();
                break;
            case OpCode.Check:
                txn.Path = r.ReadStringNotNull();
                txn.Version = r.ReadInt();
                break;
            case OpCode.CreateSession:
                txn.Timeout = r.ReadInt();
                break;
            case OpCode.CloseSession:
                // Pre-3.6 logs have no body.
                if (r.Remaining >= 4)
                {
                    int n = r.ReadVectorCount();
                    var list = new List<string>(Math.Max(n, 0));
                    for (int i = 0; i < n; i++) list.Add(r.ReadStringNotNull());
                    txn.PathsToDelete = list;
                }
                break;
            case OpCode.Error:
                txn.Err = (ErrorCode)r.ReadInt();
                break;
            case OpCode.Multi:
                {
                    int n = r.ReadVectorCount();
                    var ops = new List<Txn>(Math.Max(n, 0));
                    for (int i = 0; i < n; i++)
                    {
                        var type = (OpCode)r.ReadInt();
                        r.ReadBuffer(out var body);
                        var sub = new Txn { Type = type, ClientId = txn.ClientId, Cxid = txn.Cxid, Zxid = txn.Zxid, Time = txn.Time };
                        var sr = new JuteReader(body);
                        ReadBody(ref sr, sub);
                        ops.Add(sub);
                    }
                    txn.Ops = ops;
                }
                break;
            default:
                throw new JuteException($"unknown txn type {(int)txn.Type}");
        }
    }
}
