using HotZk.Common;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>ZooKeeper txn log records (zk-protocol.md §12.2, §12.3).</summary>
public sealed class TxnSerializerTests
{
    private static Txn Header(OpCode type) => new()
    {
        ClientId = 0x0100000839300001,
        Cxid = 17,
        Zxid = 0x0000000300000042,
        Time = 1_700_000_000_123,
        Type = type,
    };

    private static Txn RoundTrip(Txn txn) => TxnSerializer.Read(TxnSerializer.ToArray(txn));

    private static void AssertSame(Txn expected, Txn actual, bool header = true)
    {
        if (header)
        {
            Assert.Equal(expected.ClientId, actual.ClientId);
            Assert.Equal(expected.Cxid, actual.Cxid);
            Assert.Equal(expected.Zxid, actual.Zxid);
            Assert.Equal(expected.Time, actual.Time);
        }
        Assert.Equal(expected.Type, actual.Type);
        Assert.Equal(expected.Path, actual.Path);
        Assert.Equal(expected.Data, actual.Data);
        Assert.Equal(expected.Acl, actual.Acl);
        Assert.Equal(expected.Ephemeral, actual.Ephemeral);
        Assert.Equal(expected.ParentCversion, actual.ParentCversion);
        Assert.Equal(expected.Ttl, actual.Ttl);
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.Timeout, actual.Timeout);
        Assert.Equal(expected.Err, actual.Err);
        Assert.Equal(expected.PathsToDelete, actual.PathsToDelete);
        Assert.Equal(expected.Ops is null, actual.Ops is null);
        if (expected.Ops is not null)
        {
            Assert.Equal(expected.Ops.Count, actual.Ops!.Count);
            for (int i = 0; i < expected.Ops.Count; i++) AssertSame(expected.Ops[i], actual.Ops[i], header: false);
        }
    }

    public static TheoryData<string> Kinds => new()
    {
        "create", "create-ephemeral-null-data", "create2-empty-data", "createContainer", "createTtl", "delete",
        "deleteContainer", "setData", "reconfig", "setAcl", "check", "createSession", "closeSession", "error",
    };

    private static Txn Make(string kind)
    {
        Acl[] acl = [new(Perms.Read | Perms.Write, new Id("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=")), new(Perms.All, new Id("ip", "10.0.0.0/8"))];
        Txn t;
        switch (kind)
        {
            case "create": t = Header(OpCode.Create); t.Path = "/app/node"; t.Data = [1, 2, 3]; t.Acl = acl; t.ParentCversion = 42; break;
            case "create-ephemeral-null-data": t = Header(OpCode.Create); t.Path = "/e"; t.Data = null; t.Acl = Acl.OpenAclUnsafe; t.Ephemeral = true; t.ParentCversion = -7; break;
            case "create2-empty-data": t = Header(OpCode.Create2); t.Path = "/ü/ñ"; t.Data = []; t.Acl = acl; t.ParentCversion = 1; break;
            case "createContainer": t = Header(OpCode.CreateContainer); t.Path = "/c"; t.Data = [9]; t.Acl = acl; t.ParentCversion = 3; break;
            case "createTtl": t = Header(OpCode.CreateTtl); t.Path = "/t"; t.Data = [8]; t.Acl = acl; t.ParentCversion = 4; t.Ttl = EphemeralTypes.MaxTtl; break;
            case "delete": t = Header(OpCode.Delete); t.Path = "/gone"; break;
            case "deleteContainer": t = Header(OpCode.DeleteContainer); t.Path = "/c"; break;
            case "setData": t = Header(OpCode.SetData); t.Path = "/a"; t.Data = "hello"u8.ToArray(); t.Version = 12; break;
            case "reconfig": t = Header(OpCode.Reconfig); t.Path = "/zookeeper/config"; t.Data = "server.1=a:1:2\nversion=100"u8.ToArray(); t.Version = -1; break;
            case "setAcl": t = Header(OpCode.SetAcl); t.Path = "/a"; t.Acl = acl; t.Version = 3; break;
            case "check": t = Header(OpCode.Check); t.Path = "/a"; t.Version = 5; break;
            case "createSession": t = Header(OpCode.CreateSession); t.Timeout = 30000; break;
            case "closeSession": t = Header(OpCode.CloseSession); t.PathsToDelete = ["/e1", "/x/e2"]; break;
            case "error": t = Header(OpCode.Error); t.Err = ErrorCode.NodeExists; break;
            default: throw new ArgumentException(kind);
        }
        return t;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void EveryTxnTypeRoundTrips(string kind)
    {
        var t = Make(kind);
        AssertSame(t, RoundTrip(t));
    }

    [Fact]
    public void MultiWithAnErrorSubTxnRoundTrips()
    {
        var multi = Header(OpCode.Multi);
        multi.Ops =
        [
            Make("create"),
            Make("setData"),
            new Txn { Type = OpCode.Error, Err = ErrorCode.BadVersion },
            new Txn { Type = OpCode.Error, Err = ErrorCode.RuntimeInconsistency },
        ];
        var back = RoundTrip(multi);
        AssertSame(multi, back);
        Assert.True(back.IsFailedMulti);
        Assert.All(back.Ops!, op => Assert.Equal(multi.Zxid, op.Zxid));
    }

    [Fact]
    public void EmptyMultiRoundTrips()
    {
        var multi = Header(OpCode.Multi);
        multi.Ops = [];
        var back = RoundTrip(multi);
        Assert.Equal(OpCode.Multi, back.Type);
        Assert.Empty(back.Ops!);
        Assert.False(back.IsFailedMulti);
    }

    [Fact]
    public void CreateTxnBytesMatchTheJuteLayout()
    {
        var t = new Txn
        {
            ClientId = 0x0102030405060708,
            Cxid = 7,
            Zxid = 0x0000000100000002,
            Time = 0x0000018C_12345678,
            Type = OpCode.Create,
            Path = "/a",
            Data = "hi"u8.ToArray(),
            Acl = Acl.OpenAclUnsafe,
            Ephemeral = true,
            ParentCversion = 3,
        };
        byte[] expected =
        [
            // TxnHeader: long clientId, int cxid, long zxid, long time, int type
            0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
            0x00, 0x00, 0x00, 0x07,
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
            0x00, 0x00, 0x01, 0x8C, 0x12, 0x34, 0x56, 0x78,
            0x00, 0x00, 0x00, 0x01,
            // CreateTxn: ustring path
            0x00, 0x00, 0x00, 0x02, (byte)'/', (byte)'a',
            // buffer data
            0x00, 0x00, 0x00, 0x02, (byte)'h', (byte)'i',
            // vector<ACL>: count 1, int perms 31, ustring "world", ustring "anyone"
            0x00, 0x00, 0x00, 0x01,
            0x00, 0x00, 0x00, 0x1F,
            0x00, 0x00, 0x00, 0x05, (byte)'w', (byte)'o', (byte)'r', (byte)'l', (byte)'d',
            0x00, 0x00, 0x00, 0x06, (byte)'a', (byte)'n', (byte)'y', (byte)'o', (byte)'n', (byte)'e',
            // boolean ephemeral, int parentCVersion
            0x01,
            0x00, 0x00, 0x00, 0x03,
        ];
        Assert.Equal(expected, TxnSerializer.ToArray(t));
        AssertSame(t, TxnSerializer.Read(expected));
    }

    [Fact]
    public void NullDataIsWrittenAsLengthMinusOne()
    {
        var t = Make("create-ephemeral-null-data");
        byte[] bytes = TxnSerializer.ToArray(t);
        // header 32 bytes, path "/e" 6 bytes, then the data length
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, bytes[38..42]);
    }

    [Fact]
    public void MultiBytesMatchTheJuteLayout()
    {
        var multi = new Txn { ClientId = 1, Cxid = 2, Zxid = 3, Time = 4, Type = OpCode.Multi, Ops = [new Txn { Type = OpCode.Delete, Path = "/a" }] };
        byte[] expected =
        [
            0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 14,
            0, 0, 0, 1,             // vector<Txn> count
            0, 0, 0, 2,             // Txn.type = delete
            0, 0, 0, 6,             // Txn.data buffer length
            0, 0, 0, 2, (byte)'/', (byte)'a',
        ];
        Assert.Equal(expected, TxnSerializer.ToArray(multi));
    }

    [Fact]
    public void CreateTxnV0WithoutParentCversionDecodesAsMinusOne()
    {
        var v1 = Make("create");
        byte[] full = TxnSerializer.ToArray(v1);
        byte[] v0 = full[..^4]; // CreateTxnV0 = CreateTxn without the trailing int parentCVersion
        var t = TxnSerializer.Read(v0);
        Assert.Equal(-1, t.ParentCversion);
        Assert.Equal("/app/node", t.Path);
        Assert.Equal(v1.Acl, t.Acl);
        Assert.False(t.Ephemeral);
    }

    [Fact]
    public void CreateTxnV0AppliesAsCurrentCversionPlusOne()
    {
        var tree = new DataTree();
        tree.ProcessTxn(T.Create("/p", 1));
        tree.ProcessTxn(T.Create("/p/x", 2, parentCversion: 6));
        var v0 = TxnSerializer.Read(TxnSerializer.ToArray(T.Create("/p/y", 3, parentCversion: 99))[..^4]);
        Assert.Equal(ErrorCode.Ok, tree.ProcessTxn(v0).Err);
        Assert.Equal(7, tree.GetNode("/p")!.Cversion);
        Assert.Equal(3, tree.GetNode("/p")!.Pzxid);
    }

    [Fact]
    public void Pre36CloseSessionWithoutBodyDecodes()
    {
        var close = Header(OpCode.CloseSession);
        byte[] headerOnly = TxnSerializer.ToArray(close)[..32];
        var t = TxnSerializer.Read(headerOnly);
        Assert.Equal(OpCode.CloseSession, t.Type);
        Assert.Equal(close.ClientId, t.ClientId);
        Assert.Null(t.PathsToDelete);
    }

    [Fact]
    public void CloseSessionWithoutPathsIsWrittenAsAnEmptyVector()
    {
        var close = Header(OpCode.CloseSession);
        byte[] bytes = TxnSerializer.ToArray(close);
        Assert.Equal(36, bytes.Length);
        Assert.Equal(new byte[4], bytes[32..]);
        Assert.Empty(TxnSerializer.Read(bytes).PathsToDelete!);
    }

    [Fact]
    public void TrailingTxnDigestIsIgnored()
    {
        var t = Make("create");
        byte[] bytes = [.. TxnSerializer.ToArray(t), 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]; // TxnDigest{int 2, long digest}
        AssertSame(t, TxnSerializer.Read(bytes));
        var s = Make("setData");
        AssertSame(s, TxnSerializer.Read([.. TxnSerializer.ToArray(s), 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]));
    }

    [Fact]
    public void UnknownTxnTypeIsRejected()
    {
        var bytes = TxnSerializer.ToArray(Make("delete"));
        bytes[31] = 99;
        Assert.Throws<JuteException>(() => TxnSerializer.Read(bytes));
    }

    [Fact]
    public void TruncatedTxnIsRejected()
    {
        var bytes = TxnSerializer.ToArray(Make("setAcl"));
        Assert.Throws<JuteException>(() => TxnSerializer.Read(bytes[..^6]));
        Assert.Throws<JuteException>(() => TxnSerializer.Read(bytes[..20]));
    }
}
