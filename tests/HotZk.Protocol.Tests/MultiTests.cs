using HotZk.Common;
using HotZk.Protocol.Records;

namespace HotZk.Protocol.Tests;

public class MultiTests
{
    [Fact]
    public void MultiRequestDecodesTypedSubOps()
    {
        var bytes = JuteRecord.Encode(new MultiRequest([
            MultiOp.Create2("/a", [1], Acl.OpenAclUnsafe, CreateMode.EphemeralSequential),
            MultiOp.CreateContainer("/c", null, Acl.OpenAclUnsafe),
            MultiOp.SetData("/a", [2], 3),
            MultiOp.Check("/a", 4),
            MultiOp.Delete("/a", 5),
        ]));
        var m = Hex.Decode<MultiRequest>(bytes);
        Assert.False(m.IsRead);
        Assert.Equal([OpCode.Create2, OpCode.CreateContainer, OpCode.SetData, OpCode.Check, OpCode.Delete], m.Ops.Select(o => o.Type));
        Assert.Equal(CreateMode.EphemeralSequential, m.Ops[0].Flags);
        Assert.Equal(CreateMode.Container, m.Ops[1].Flags);
        Assert.Null(m.Ops[1].Data);
        Assert.Equal(new byte[] { 2 }, m.Ops[2].Data);
        Assert.Equal([3, 4, 5], m.Ops.Skip(2).Select(o => o.Version));
    }

    [Fact]
    public void MultiReadRequestIsFlaggedAsRead()
    {
        var m = Hex.Decode<MultiRequest>(JuteRecord.Encode(new MultiRequest([MultiOp.GetData("/a"), MultiOp.GetChildren("/b")])));
        Assert.True(m.IsRead);
        Assert.Equal(["/a", "/b"], m.Ops.Select(o => o.Path));
    }

    [Fact]
    public void MixingReadAndWriteSubOpsIsMalformed()
    {
        var bytes = JuteRecord.Encode(new MultiRequest([MultiOp.Delete("/a"), MultiOp.GetData("/a")]));
        Assert.Throws<JuteException>(() => Hex.Decode<MultiRequest>(bytes));
    }

    [Theory]
    [InlineData(3)]   // exists is not a multi sub-op
    [InlineData(99)]
    public void UnknownSubOpTypeIsMalformed(int type)
    {
        var bytes = Hex.Parse($"{type:x8} 00 ffffffff 00000002 2f61 00 ffffffff 01 ffffffff");
        Assert.Throws<JuteException>(() => Hex.Decode<MultiRequest>(bytes));
    }

    [Fact]
    public void MultiResponseDecodesErrorCodesFromTheBody()
    {
        var bytes = JuteRecord.Encode(new MultiResponse([MultiResult.Error(ErrorCode.Ok), MultiResult.Error(ErrorCode.BadVersion), MultiResult.Error(ErrorCode.RuntimeInconsistency)]));
        var m = Hex.Decode<MultiResponse>(bytes);
        Assert.All(m.Results, r => Assert.True(r.IsError));
        Assert.Equal([ErrorCode.Ok, ErrorCode.BadVersion, ErrorCode.RuntimeInconsistency], m.Results.Select(r => r.Err));
    }

    [Fact]
    public void MultiResponseDecodesEachResultKind()
    {
        var bytes = JuteRecord.Encode(new MultiResponse([
            MultiResult.Create("/a"), MultiResult.Create2("/b", Hex.SampleStat), MultiResult.SetData(Hex.SampleStat),
            MultiResult.GetData([7], Hex.SampleStat), MultiResult.GetChildren(["x", "y"]), MultiResult.Delete(), MultiResult.Check()]));
        var m = Hex.Decode<MultiResponse>(bytes);
        Assert.Equal("/a", m.Results[0].Path);
        Assert.Equal(("/b", Hex.SampleStat), (m.Results[1].Path, m.Results[1].Stat));
        Assert.Equal(Hex.SampleStat, m.Results[2].Stat);
        Assert.Equal(new byte[] { 7 }, m.Results[3].Data);
        Assert.Equal(["x", "y"], m.Results[4].Children!);
        Assert.Equal([OpCode.Delete, OpCode.Check], m.Results.Skip(5).Select(r => r.Type));
        Assert.All(m.Results, r => Assert.Equal(ErrorCode.Ok, r.Err));
    }

    [Fact]
    public void UnknownResultTypeIsMalformed()
    {
        Assert.Throws<JuteException>(() => Hex.Decode<MultiResponse>(Hex.Parse("00000003 00 00000000 ffffffff 01 ffffffff")));
    }

    [Fact]
    public void MultiRequestFrameHasHeaderOpsAndTerminatorWithCorrectLength()
    {
        var frame = Hex.Frame(w =>
        {
            new RequestHeader(5, OpCode.Multi).Write(w);
            new MultiRequest([MultiOp.Check("/a", 0)]).Write(w);
        });
        Assert.Equal("00000024" + "00000005" + "0000000e" + "0000000d00ffffffff" + "000000022f6100000000" + "ffffffff01ffffffff", Hex.Of(frame));
    }
}
