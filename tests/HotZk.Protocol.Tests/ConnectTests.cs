using HotZk.Common;
using HotZk.Protocol.Records;

namespace HotZk.Protocol.Tests;

public class ConnectTests
{
    // zk-protocol.md §1.4, frame length included.
    private const string NewSessionFrame =
        "00 00 00 2d | 00 00 00 00 | 00 00 00 00 00 00 00 00 | 00 00 75 30 | 00 00 00 00 00 00 00 00 | 00 00 00 10 00000000000000000000000000000000 | 00";

    [Fact]
    public void NewSessionConnectRequestMatchesWorkedExampleIncludingFrameLength()
    {
        var frame = Hex.Frame(w => new ConnectRequest(0, 0, 30000, 0, new byte[16]).Write(w));
        Assert.Equal(Hex.Of(Hex.Parse(NewSessionFrame)), Hex.Of(frame));
        Assert.Equal(4 + ConnectRequest.StandardSize, frame.Length);
    }

    [Fact]
    public void ConnectRequestWithReadOnlyByteIs45BytesAndDecodesFields()
    {
        var payload = Hex.Parse(NewSessionFrame)[4..];
        Assert.Equal(45, payload.Length);
        var req = Hex.Decode<ConnectRequest>(payload);
        Assert.True(req.HasReadOnlyByte);
        Assert.False(req.ReadOnly);
        Assert.Equal(30000, req.TimeOut);
        Assert.Equal(0, req.SessionId);
        Assert.Equal(new byte[16], req.Passwd);
    }

    [Fact]
    public void ConnectRequestWithoutReadOnlyByteIs44BytesAndIsDetected()
    {
        var payload = Hex.Parse(NewSessionFrame)[4..^1];
        Assert.Equal(44, payload.Length);
        var req = Hex.Decode<ConnectRequest>(payload);
        Assert.False(req.HasReadOnlyByte);
        Assert.Equal(44, JuteRecord.Encode(req).Length);
    }

    [Fact]
    public void ReadOnlyTrueRoundTrips()
    {
        var bytes = JuteRecord.Encode(new ConnectRequest(0, 5, 1000, 7, new byte[16], ReadOnly: true));
        Assert.Equal(1, bytes[^1]);
        var back = Hex.Decode<ConnectRequest>(bytes);
        Assert.True(back.ReadOnly);
        Assert.Equal(5, back.LastZxidSeen);
        Assert.Equal(7, back.SessionId);
    }

    [Fact]
    public void AnyNonZeroReadOnlyByteReadsAsTrue()
    {
        var bytes = JuteRecord.Encode(new ConnectRequest(0, 0, 1000, 0, new byte[16], ReadOnly: true));
        bytes[^1] = 0x7f;
        Assert.True(Hex.Decode<ConnectRequest>(bytes).ReadOnly);
    }

    [Fact]
    public void EmptyPasswordIsDistinctFromNull()
    {
        var empty = JuteRecord.Encode(new ConnectRequest(0, 0, 1000, 0, []));
        var nul = JuteRecord.Encode(new ConnectRequest(0, 0, 1000, 0, null));
        Assert.Equal("00000000", Hex.Of(empty.AsSpan(24, 4)));
        Assert.Equal("ffffffff", Hex.Of(nul.AsSpan(24, 4)));
        Assert.NotNull(Hex.Decode<ConnectRequest>(empty).Passwd);
        Assert.Null(Hex.Decode<ConnectRequest>(nul).Passwd);
    }

    [Theory]
    [InlineData(true, 37)]
    [InlineData(false, 36)]
    public void ConnectResponseSizeMirrorsTheReadOnlyByte(bool hasByte, int size)
    {
        var bytes = JuteRecord.Encode(new ConnectResponse(0, 30000, 0x0100000839300000, new byte[16], false, hasByte));
        Assert.Equal(size, bytes.Length);
        var back = Hex.Decode<ConnectResponse>(bytes);
        Assert.Equal(hasByte, back.HasReadOnlyByte);
        Assert.Equal(0x0100000839300000, back.SessionId);
        Assert.Equal(30000, back.TimeOut);
    }

    [Fact]
    public void GetDataFrameMatchesWorkedExample()
    {
        var frame = Hex.Frame(w =>
        {
            new RequestHeader(1, OpCode.GetData).Write(w);
            new PathWatchRequest("/a", true).Write(w);
        });
        Assert.Equal(Hex.Of(Hex.Parse("00 00 00 0f | 00 00 00 01 | 00 00 00 04 | 00 00 00 02 2f 61 | 01")), Hex.Of(frame));
    }

    [Fact]
    public void NodeCreatedNotificationDecodesFromWorkedExample()
    {
        var frame = Hex.Parse("00 00 00 1e | ff ff ff ff | ff ff ff ff ff ff ff ff | 00 00 00 00 | 00 00 00 01 | 00 00 00 03 | 00 00 00 02 2f 61");
        var r = new JuteReader(frame.AsSpan(4));
        var h = ReplyHeader.Read(ref r);
        var e = WatcherEvent.Read(ref r);
        Assert.True(r.End);
        Assert.Equal(new ReplyHeader(-1, -1, ErrorCode.Ok), h);
        Assert.Equal(new WatcherEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/a"), e);
        Assert.Equal(0x1e, frame.Length - 4);
    }
}
