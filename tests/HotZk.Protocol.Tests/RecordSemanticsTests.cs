using HotZk.Common;
using HotZk.Protocol.Records;

namespace HotZk.Protocol.Tests;

public class RecordSemanticsTests
{
    [Fact]
    public void GetDataResponseKeepsNullAndEmptyDataApart()
    {
        var nul = Hex.Decode<GetDataResponse>(JuteRecord.Encode(new GetDataResponse(null, Hex.SampleStat)));
        var empty = Hex.Decode<GetDataResponse>(JuteRecord.Encode(new GetDataResponse([], Hex.SampleStat)));
        Assert.Null(nul.Data);
        Assert.NotNull(empty.Data);
        Assert.Empty(empty.Data!);
        Assert.Equal(Hex.SampleStat, nul.Stat);
    }

    [Fact]
    public void CreateRequestDecodesEveryField()
    {
        var bytes = JuteRecord.Encode(new CreateRequest("/x", [9], Acl.CreatorAllAcl, CreateMode.EphemeralSequential));
        var c = Hex.Decode<CreateRequest>(bytes);
        Assert.Equal("/x", c.Path);
        Assert.Equal(new byte[] { 9 }, c.Data);
        Assert.Equal(Acl.CreatorAllAcl, c.Acl);
        Assert.Equal(CreateMode.EphemeralSequential, c.Flags);
    }

    [Fact]
    public void NullAclListSurvivesDecodingSoTheServerCanAnswerInvalidAcl()
    {
        var c = Hex.Decode<CreateRequest>(JuteRecord.Encode(new CreateRequest("/x", null, null, CreateMode.Persistent)));
        Assert.Null(c.Acl);
        Assert.Null(c.Data);
    }

    [Fact]
    public void UnknownEnumValuesArePreservedForTheServerToReject()
    {
        var c = Hex.Decode<CreateRequest>(JuteRecord.Encode(new CreateRequest("/x", null, Acl.OpenAclUnsafe, (CreateMode)9)));
        Assert.Equal(9, (int)c.Flags);
        var w = Hex.Decode<CheckWatchesRequest>(JuteRecord.Encode(new CheckWatchesRequest("/x", (WatcherType)4)));
        Assert.Equal(WatcherType.Persistent, w.Type);
        var a = Hex.Decode<AddWatchRequest>(JuteRecord.Encode(new AddWatchRequest("/x", (AddWatchMode)7)));
        Assert.Equal(7, (int)a.Mode);
    }

    [Fact]
    public void NullPathIsMalformed()
    {
        Assert.Throws<JuteException>(() => Hex.Decode<PathWatchRequest>(Hex.Parse("ffffffff 01")));
        Assert.Throws<JuteException>(() => Hex.Decode<DeleteRequest>(Hex.Parse("ffffffff 00000000")));
    }

    [Fact]
    public void NegativeBufferLengthOtherThanMinusOneIsMalformed()
    {
        Assert.Throws<JuteException>(() => Hex.Decode<GetDataResponse>(Hex.Parse("fffffffe " + Hex.SampleStatHex)));
    }

    [Fact]
    public void HugeVectorCountIsMalformedWithoutAllocating()
    {
        Assert.Throws<JuteException>(() => Hex.Decode<GetChildrenResponse>(Hex.Parse("7fffffff 00000000")));
    }

    [Fact]
    public void NullStringVectorReadsAsEmpty()
    {
        var r = Hex.Decode<GetChildrenResponse>(Hex.Parse("ffffffff"));
        Assert.Empty(r.Children);
    }

    [Fact]
    public void Utf8PathsRoundTrip()
    {
        var bytes = JuteRecord.Encode(new PathRequest("/ü€"));
        Assert.Equal(4 + 1 + 2 + 3, bytes.Length);
        Assert.Equal("/ü€", Hex.Decode<PathRequest>(bytes).Path);
    }
}
