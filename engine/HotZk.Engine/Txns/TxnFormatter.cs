using System.Globalization;
using System.Text;
using HotZk.Common;

namespace HotZk.Engine.Txns;

/// <summary>One-line text form of a txn, in the spirit of ZooKeeper's TxnLogToolkit.</summary>
public static class TxnFormatter
{
    /// <summary>Formats <paramref name="txn"/>.</summary>
    public static string Format(Txn txn)
    {
        var sb = new StringBuilder();
        sb.Append(DateTimeOffset.FromUnixTimeMilliseconds(txn.Time).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture))
          .Append(" session 0x").Append(txn.ClientId.ToString("x", CultureInfo.InvariantCulture))
          .Append(" cxid 0x").Append(txn.Cxid.ToString("x", CultureInfo.InvariantCulture))
          .Append(" zxid 0x").Append(txn.Zxid.ToString("x", CultureInfo.InvariantCulture))
          .Append(' ');
        Body(sb, txn);
        return sb.ToString();
    }

    private static void Body(StringBuilder sb, Txn txn)
    {
        switch (txn.Type)
        {
            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            case OpCode.CreateTtl:
                sb.Append(Name(txn.Type)).Append(" '").Append(txn.Path).Append(",#").Append(Hex(txn.Data))
                  .Append(",v{").Append(Acls(txn.Acl)).Append('}');
                if (txn.Type is OpCode.Create or OpCode.Create2) sb.Append(',').Append(txn.Ephemeral ? 'T' : 'F');
                sb.Append(',').Append(txn.ParentCversion);
                if (txn.Type == OpCode.CreateTtl) sb.Append(",ttl=").Append(txn.Ttl);
                break;
            case OpCode.Delete:
            case OpCode.DeleteContainer:
                sb.Append(Name(txn.Type)).Append(" '").Append(txn.Path);
                break;
            case OpCode.SetData:
                sb.Append("setData '").Append(txn.Path).Append(",#").Append(Hex(txn.Data)).Append(',').Append(txn.Version);
                break;
            case OpCode.SetAcl:
                sb.Append("setACL '").Append(txn.Path).Append(",v{").Append(Acls(txn.Acl)).Append("},").Append(txn.Version);
                break;
            case OpCode.Check:
                sb.Append("check '").Append(txn.Path).Append(',').Append(txn.Version);
                break;
            case OpCode.CreateSession:
                sb.Append("createSession ").Append(txn.Timeout);
                break;
            case OpCode.CloseSession:
                sb.Append("closeSession v{").Append(string.Join(",", (txn.PathsToDelete ?? []).Select(p => "'" + p))).Append('}');
                break;
            case OpCode.Error:
                sb.Append("error ").Append((int)txn.Err);
                break;
            case OpCode.Multi:
                sb.Append("multi v{");
                bool first = true;
                foreach (var op in txn.Ops ?? [])
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    sb.Append('{');
                    Body(sb, op);
                    sb.Append('}');
                }
                sb.Append('}');
                break;
            default:
                sb.Append("type ").Append((int)txn.Type);
                break;
        }
    }

    private static string Name(OpCode op) => op switch
    {
        OpCode.Create => "create",
        OpCode.Create2 => "create2",
        OpCode.CreateContainer => "createContainer",
        OpCode.CreateTtl => "createTTL",
        OpCode.Delete => "delete",
        OpCode.DeleteContainer => "deleteContainer",
        _ => op.ToString(),
    };

    private static string Hex(byte[]? data) => data is null ? "" : Convert.ToHexString(data).ToLowerInvariant();

    private static string Acls(Acl[]? acl) =>
        acl is null ? "" : string.Join(",", acl.Select(a => $"s{{{(int)a.Perms},s{{'{a.Id.Scheme},'{a.Id.Ident}}}}}"));
}
