using HotZk.Common;
using HotZk.Protocol.Records;

namespace HotZk.Protocol.Tests;

/// <summary>
/// Every record against bytes produced by an independent encoder (a few lines of Python
/// struct.pack following zookeeper.jute), plus round trip and truncation for each.
/// </summary>
public class GoldenVectorTests
{
    public sealed record Vector(string Name, byte[] Golden, Func<byte[]> Encode, Func<byte[], byte[]> DecodeReencode, int[] ValidPrefixLengths);

    private static readonly Acl[] Open = Acl.OpenAclUnsafe;
    private static readonly byte[] Pw = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    private static readonly string S = Hex.SampleStatHex;
    private static readonly Stat St = Hex.SampleStat;

    private static Vector V<T>(string name, T value, string hex, params int[] validPrefixes) where T : IJuteRecord<T> =>
        new(name, Hex.Parse(hex), () => JuteRecord.Encode(value), b => JuteRecord.Encode(Hex.Decode<T>(b)), validPrefixes);

    private static readonly Vector[] All =
    [
        // §1.4 worked example (payload only; the frame length 0x2d is checked in ConnectTests).
        V("ConnectRequest45", new ConnectRequest(0, 0, 30000, 0, new byte[16], false, true),
            "00000000 0000000000000000 00007530 0000000000000000 00000010 00000000000000000000000000000000 00", 44),
        V("ConnectRequest44", new ConnectRequest(0, 0x10, 4000, 0x0100000839300000, Pw, false, false),
            "00000000 0000000000000010 00000fa0 0100000839300000 00000010 0102030405060708090a0b0c0d0e0f10"),
        V("ConnectResponse37", new ConnectResponse(0, 30000, 0x0100000839300000, Pw, false, true),
            "00000000 00007530 0100000839300000 00000010 0102030405060708090a0b0c0d0e0f10 00", 36),
        V("ConnectResponse36", new ConnectResponse(0, 30000, 0x0100000839300000, Pw, false, false),
            "00000000 00007530 0100000839300000 00000010 0102030405060708090a0b0c0d0e0f10"),
        V("RequestHeader", new RequestHeader(1, OpCode.GetData), "00000001 00000004"),
        V("ReplyHeader", new ReplyHeader(-1, -1, ErrorCode.Ok), "ffffffff ffffffffffffffff 00000000"),
        V("MultiHeader", new MultiHeader(OpCode.Create, false, -1), "00000001 00 ffffffff"),
        V("AuthPacket", new AuthPacket(0, "digest", "bob:secret"u8.ToArray()), "00000000 00000006 646967657374 0000000a 626f623a736563726574"),
        V("WatcherEvent", new WatcherEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/a"), "00000001 00000003 00000002 2f61"),
        V("ErrorResponse", new ErrorResponse(ErrorCode.NoNode), "ffffff9b"),
        V("CreateRequest", new CreateRequest("/a", "hi"u8.ToArray(), Open, CreateMode.Ephemeral),
            "00000002 2f61 00000002 6869 00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65 00000001"),
        V("CreateRequestNullDataNullAcl", new CreateRequest("/a", null, null, CreateMode.Persistent), "00000002 2f61 ffffffff ffffffff 00000000"),
        V("CreateTtlRequest", new CreateTtlRequest("/t", [], Open, CreateMode.PersistentWithTtl, 60000),
            "00000002 2f74 00000000 00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65 00000005 000000000000ea60"),
        V("CreateResponse", new CreateResponse("/a0000000001"), "0000000c 2f6130303030303030303031"),
        V("Create2Response", new Create2Response("/a", St), "00000002 2f61 " + S),
        V("DeleteRequest", new DeleteRequest("/a", -1), "00000002 2f61 ffffffff"),
        V("PathWatchRequest", new PathWatchRequest("/a", true), "00000002 2f61 01"),
        V("StatResponse", new StatResponse(St), S),
        V("GetDataResponseNull", new GetDataResponse(null, St), "ffffffff " + S),
        V("GetDataResponseEmpty", new GetDataResponse([], St), "00000000 " + S),
        V("SetDataRequest", new SetDataRequest("/a", [1, 2, 3], 4), "00000002 2f61 00000003 010203 00000004"),
        V("PathRequest", new PathRequest("/zookeeper"), "0000000a 2f7a6f6f6b6565706572"),
        V("GetAclResponse", new GetAclResponse([new Acl(Perms.All, new Id("digest", "bob:fyVmFCwVbTJYrznoSu1koqYEYF0=")), new Acl(Perms.Read, Id.AnyoneIdUnsafe)], St),
            "00000002 0000001f 00000006 646967657374 00000020 626f623a6679566d4643775662544a59727a6e6f5375316b6f7159455946303d 00000001 00000005 776f726c64 00000006 616e796f6e65 " + S),
        V("SetAclRequest", new SetAclRequest("/a", [new Acl(Perms.Read, new Id("ip", "127.0.0.1"))], 2),
            "00000002 2f61 00000001 00000001 00000002 6970 00000009 3132372e302e302e31 00000002"),
        V("GetChildrenResponse", new GetChildrenResponse(["a", "bc"]), "00000002 00000001 61 00000002 6263"),
        V("GetChildrenResponseEmpty", new GetChildrenResponse([]), "00000000"),
        V("GetChildren2Response", new GetChildren2Response(["x"], St), "00000001 00000001 78 " + S),
        V("GetAllChildrenNumberResponse", new GetAllChildrenNumberResponse(3), "00000003"),
        V("CheckVersionRequest", new CheckVersionRequest("/a", 7), "00000002 2f61 00000007"),
        V("ReconfigRequest", new ReconfigRequest("server.4=h:1:2;3", null, null, -1),
            "00000010 7365727665722e343d683a313a323b33 ffffffff ffffffff ffffffffffffffff"),
        V("SetWatches", new SetWatches(0x10, ["/d"], ["/e"], []),
            "0000000000000010 00000001 00000002 2f64 00000001 00000002 2f65 00000000"),
        V("SetWatches2", new SetWatches2(0x10, [], [], ["/c"], ["/p"], ["/r"]),
            "0000000000000010 00000000 00000000 00000001 00000002 2f63 00000001 00000002 2f70 00000001 00000002 2f72"),
        V("CheckWatchesRequest", new CheckWatchesRequest("/a", WatcherType.Data), "00000002 2f61 00000002"),
        V("AddWatchRequest", new AddWatchRequest("/a", AddWatchMode.PersistentRecursive), "00000002 2f61 00000001"),
        V("GetEphemeralsRequest", new GetEphemeralsRequest("/"), "00000001 2f"),
        V("GetEphemeralsResponse", new GetEphemeralsResponse(["/e1"]), "00000001 00000003 2f6531"),
        V("ClientInfo", new ClientInfo("ip", "127.0.0.1"), "00000002 6970 00000009 3132372e302e302e31"),
        V("WhoAmIResponse", new WhoAmIResponse([new ClientInfo("ip", "127.0.0.1"), new ClientInfo("digest", "bob")]),
            "00000002 00000002 6970 00000009 3132372e302e302e31 00000006 646967657374 00000003 626f62"),
        V("GetSaslRequest", new GetSaslRequest([0xaa]), "00000001 aa"),
        V("SetSaslResponseNull", new SetSaslResponse(null), "ffffffff"),
        V("MultiRequest", new MultiRequest([
                MultiOp.Create("/m", "x"u8.ToArray(), Open, CreateMode.Persistent),
                MultiOp.SetData("/m", "y"u8.ToArray(), 0),
                MultiOp.Check("/m", 1),
                MultiOp.Delete("/m"),
                MultiOp.CreateTtl("/t", null, Open, CreateMode.PersistentSequentialWithTtl, 1000)]),
            "00000001 00 ffffffff 00000002 2f6d 00000001 78 00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65 00000000" +
            "00000005 00 ffffffff 00000002 2f6d 00000001 79 00000000" +
            "0000000d 00 ffffffff 00000002 2f6d 00000001" +
            "00000002 00 ffffffff 00000002 2f6d ffffffff" +
            "00000015 00 ffffffff 00000002 2f74 ffffffff 00000001 0000001f 00000005 776f726c64 00000006 616e796f6e65 00000006 00000000000003e8" +
            "ffffffff 01 ffffffff"),
        V("MultiRequestEmpty", new MultiRequest([]), "ffffffff 01 ffffffff"),
        V("MultiReadRequest", new MultiRequest([MultiOp.GetData("/a"), MultiOp.GetChildren("/")]),
            "00000004 00 ffffffff 00000002 2f61 00 00000008 00 ffffffff 00000001 2f 00 ffffffff 01 ffffffff"),
        V("MultiResponseOk", new MultiResponse([
                MultiResult.Create("/m"), MultiResult.Create2("/n", St), MultiResult.SetData(St), MultiResult.Check(), MultiResult.Delete()]),
            "00000001 00 00000000 00000002 2f6d" +
            "0000000f 00 00000000 00000002 2f6e " + S +
            "00000005 00 00000000 " + S +
            "0000000d 00 00000000" +
            "00000002 00 00000000" +
            "ffffffff 01 ffffffff"),
        // The 3.8.0-verified failure shape: ops before → 0, failing op → its code, after → -2.
        V("MultiResponseFailed", new MultiResponse([
                MultiResult.Error(ErrorCode.Ok), MultiResult.Error(ErrorCode.BadVersion), MultiResult.Error(ErrorCode.RuntimeInconsistency)]),
            "ffffffff 00 00000000 00000000 ffffffff 00 ffffff99 ffffff99 ffffffff 00 fffffffe fffffffe ffffffff 01 ffffffff"),
        V("MultiReadResponse", new MultiResponse([
                MultiResult.GetData(null, St), MultiResult.GetChildren(["a"]), MultiResult.Error(ErrorCode.NoNode)]),
            "00000004 00 00000000 ffffffff " + S +
            "00000008 00 00000000 00000001 00000001 61" +
            "ffffffff 00 ffffff9b ffffff9b" +
            "ffffffff 01 ffffffff"),
    ];

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var v in All) data.Add(v.Name);
        return data;
    }

    private static Vector Get(string name) => All.Single(v => v.Name == name);

    [Theory]
    [MemberData(nameof(Names))]
    public void EncodesToGoldenBytes(string name)
    {
        var v = Get(name);
        Assert.Equal(Hex.Of(v.Golden), Hex.Of(v.Encode()));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void DecodingGoldenBytesConsumesAllAndReencodesIdentically(string name)
    {
        var v = Get(name);
        Assert.Equal(Hex.Of(v.Golden), Hex.Of(v.DecodeReencode(v.Golden)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryTruncationRaisesJuteException(string name)
    {
        var v = Get(name);
        for (int len = 0; len < v.Golden.Length; len++)
        {
            if (v.ValidPrefixLengths.Contains(len)) continue;
            var prefix = v.Golden.AsSpan(0, len).ToArray();
            Assert.Throws<JuteException>(() => v.DecodeReencode(prefix));
        }
    }

    [Fact]
    public void StatIs68Bytes()
    {
        Assert.Equal(Stat.Size, JuteRecord.Encode(new StatResponse(St)).Length);
        Assert.Equal(68, Hex.Parse(S).Length);
    }
}
