using System.Buffers.Binary;
using HotZk.Replication.Election;

namespace HotZk.Replication.Tests.Election;

public class NotificationTests
{
    private static readonly Notification Sample =
        new(ServerState.Leading, Leader: 3, Zxid: 0x0000_0005_0000_0007, ElectionEpoch: 11, PeerEpoch: 6);

    [Fact]
    public void EncodesZooKeepersCurrentLayoutBigEndian()
    {
        byte[] bytes = Sample.Encode();

        Assert.Equal(44, bytes.Length);
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(bytes));
        Assert.Equal(3L, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(4)));
        Assert.Equal(0x0000_0005_0000_0007L, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(12)));
        Assert.Equal(11L, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(20)));
        Assert.Equal(6L, BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(28)));
        Assert.Equal(2, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(36)));
        Assert.Equal(0, BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(40)));
    }

    [Theory]
    [InlineData(ServerState.Looking, 1L, -1L, 1L, 0L)]
    [InlineData(ServerState.Following, 2L, 0x1_0000_0002L, 4L, 1L)]
    [InlineData(ServerState.Leading, long.MaxValue, long.MaxValue, long.MaxValue, long.MaxValue)]
    [InlineData(ServerState.Observing, long.MinValue, long.MinValue, 0L, long.MinValue)]
    public void RoundTrips(ServerState state, long leader, long zxid, long electionEpoch, long peerEpoch)
    {
        var n = new Notification(state, leader, zxid, electionEpoch, peerEpoch);
        Assert.Equal(n, Notification.Decode(n.Encode()));
    }

    [Fact]
    public void DecodesTheFortyByteLegacyForm()
    {
        byte[] bytes = Sample.Encode().AsSpan(0, 40).ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(36), 1); // that form's version field

        Assert.Equal(Sample, Notification.Decode(bytes));
    }

    [Fact]
    public void DecodesTheTwentyEightByteLegacyFormTakingPeerEpochFromTheZxid()
    {
        byte[] bytes = Sample.Encode().AsSpan(0, 28).ToArray();

        var n = Notification.Decode(bytes);

        Assert.Equal(Sample with { PeerEpoch = 5 }, n);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(27)]
    [InlineData(29)]
    [InlineData(36)]
    [InlineData(39)]
    [InlineData(41)]
    [InlineData(43)]
    [InlineData(45)]
    [InlineData(128)]
    public void RejectsOtherLengths(int length)
    {
        var ex = Assert.Throws<InvalidDataException>(() => Notification.Decode(new byte[length]));
        Assert.Contains($"{length} bytes", ex.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    [InlineData(int.MaxValue)]
    public void RejectsAnUnknownState(int state)
    {
        byte[] bytes = Sample.Encode();
        BinaryPrimitives.WriteInt32BigEndian(bytes, state);

        var ex = Assert.Throws<InvalidDataException>(() => Notification.Decode(bytes));
        Assert.Contains("state", ex.Message);
    }

    [Fact]
    public void RejectsAnnouncedConfigData()
    {
        byte[] bytes = Sample.Encode();
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(40), 10);

        Assert.Throws<InvalidDataException>(() => Notification.Decode(bytes));
    }
}
