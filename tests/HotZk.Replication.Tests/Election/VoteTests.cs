using HotZk.Replication.Election;

namespace HotZk.Replication.Tests.Election;

public class VoteTests
{
    [Fact]
    public void HigherPeerEpochWinsOverHigherZxidAndId()
    {
        Assert.True(Vote.Beats(newLeader: 1, newZxid: 1, newPeerEpoch: 3, curLeader: 9, curZxid: 100, curPeerEpoch: 2));
        Assert.False(Vote.Beats(newLeader: 9, newZxid: 100, newPeerEpoch: 2, curLeader: 1, curZxid: 1, curPeerEpoch: 3));
    }

    [Fact]
    public void WithEqualEpochsHigherZxidWinsOverHigherId()
    {
        Assert.True(Vote.Beats(1, 50, 2, 9, 40, 2));
        Assert.False(Vote.Beats(9, 40, 2, 1, 50, 2));
    }

    [Fact]
    public void WithEqualEpochAndZxidHigherIdWins()
    {
        Assert.True(Vote.Beats(3, 50, 2, 2, 50, 2));
        Assert.False(Vote.Beats(2, 50, 2, 3, 50, 2));
    }

    [Fact]
    public void AVoteDoesNotBeatItselfAndElectionEpochIsIgnored()
    {
        Assert.False(Vote.Beats(3, 50, 2, 3, 50, 2));
        var a = new Vote(3, 50, ElectionEpoch: 1, PeerEpoch: 2);
        var b = a with { ElectionEpoch = 7 };
        Assert.False(a.Beats(b));
        Assert.False(b.Beats(a));
        Assert.True(a.Beats(a with { Leader = 2 }));
    }
}
