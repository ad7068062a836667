using HotZk.Engine.Sessions;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>Session ids, tick-bucketed expiry and passwords (zk-protocol.md §2.4, §2.5).</summary>
public sealed class SessionTests
{
    [Theory]
    [InlineData(1000, 4000, 6000)]  // 5000 → next multiple of 2000
    [InlineData(2000, 4000, 8000)]  // exactly 6000 still goes to the next tick, like ExpiryQueue.roundToNextInterval
    [InlineData(0, 1, 2000)]
    [InlineData(1999, 1, 4000)]
    public void DeadlineIsRoundedUpToTheNextTick(long now, int timeout, long expected)
    {
        var tracker = new SessionTracker(2000, 1, 0);
        var s = tracker.Add(42, timeout, now);
        Assert.Equal(expected, s.ExpireAt);
        Assert.Equal(0, s.ExpireAt % 2000);
        Assert.True(s.ExpireAt > now + timeout - 2000 && s.ExpireAt >= now + timeout);
    }

    [Fact]
    public void TouchMovesTheSessionToALaterBucket()
    {
        var tracker = new SessionTracker(2000, 1, 0);
        var s = tracker.Add(42, 4000, 1000);
        tracker.Touch(s, 5000);
        Assert.Equal(10000, s.ExpireAt);
        Assert.DoesNotContain(tracker.Buckets, b => b.Key == 6000);
        Assert.Contains(tracker.Buckets, b => b.Key == 10000 && b.Value.Contains(s));
        Assert.Empty(tracker.CollectExpired(9999));
        Assert.Equal([s], tracker.CollectExpired(10000));
    }

    [Fact]
    public void CollectExpiredReturnsOnlyDueSessionsOnce()
    {
        var tracker = new SessionTracker(1000, 1, 0);
        var a = tracker.Add(1, 2000, 0);  // 3000
        var b = tracker.Add(2, 2000, 10); // 3000
        var c = tracker.Add(3, 5000, 0);  // 6000
        Assert.Empty(tracker.CollectExpired(2999));
        Assert.Equal(new HashSet<Session> { a, b }, tracker.CollectExpired(3000).ToHashSet());
        Assert.Empty(tracker.CollectExpired(3500));
        Assert.Equal([c], tracker.CollectExpired(100000));
        Assert.Equal(3, tracker.Count); // expiry is reported, the engine removes sessions
    }

    [Fact]
    public void TouchAfterCollectionArmsTheSessionAgain()
    {
        var tracker = new SessionTracker(1000, 1, 0);
        var s = tracker.Add(1, 2000, 0);
        Assert.Single(tracker.CollectExpired(3000));
        tracker.Touch(s, 3000);
        Assert.Equal(6000, s.ExpireAt);
        Assert.Single(tracker.CollectExpired(6000));
    }

    [Fact]
    public void RemovedSessionsNeverExpire()
    {
        var tracker = new SessionTracker(1000, 1, 0);
        tracker.Add(1, 2000, 0);
        tracker.Remove(1);
        Assert.Null(tracker.Get(1));
        Assert.Empty(tracker.CollectExpired(long.MaxValue / 2));
        Assert.Empty(tracker.Buckets);
    }

    [Fact]
    public void AddingAnExistingSessionUpdatesItsTimeout()
    {
        var tracker = new SessionTracker(1000, 1, 0);
        var s = tracker.Add(7, 2000, 0);
        var again = tracker.Add(7, 9000, 0);
        Assert.Same(s, again);
        Assert.Equal(9000, s.Timeout);
        Assert.Equal(10000, s.ExpireAt);
        Assert.Equal(1, tracker.Count);
    }

    [Fact]
    public void SessionIdsCarryTheServerIdInTheTopByteAndAClockBelow()
    {
        long now = 0x12_3456_789A;
        var tracker = new SessionTracker(2000, 5, now);
        long first = tracker.NextSessionId();
        Assert.Equal(0x0512_3456_789A_0000, first);
        Assert.Equal(5, (int)((ulong)first >> 56));
        Assert.Equal(first + 1, tracker.NextSessionId());
    }

    [Fact]
    public void OnlyTheLow40BitsOfTheClockAreUsed()
    {
        var tracker = new SessionTracker(2000, 1, 0x7F00_0000_0001);
        Assert.Equal(0x0100_0000_0001_0000, tracker.NextSessionId());
    }

    [Fact]
    public void SessionIdsAreUniqueAndSkipLiveSessions()
    {
        var tracker = new SessionTracker(2000, 3, 1000);
        long first = tracker.NextSessionId();
        tracker.Add(first + 1, 4000, 0);
        tracker.Add(first + 2, 4000, 0);
        Assert.Equal(first + 3, tracker.NextSessionId());
        var ids = new HashSet<long>();
        for (int i = 0; i < 10000; i++)
        {
            long id = tracker.NextSessionId();
            Assert.True(ids.Add(id));
            Assert.Equal(3, (int)((ulong)id >> 56));
            Assert.NotEqual(0, id);
        }
    }

    [Fact]
    public void ServerId128NeverYieldsTheContainerMarker()
    {
        var tracker = new SessionTracker(2000, 0x80, 0);
        long id = tracker.NextSessionId();
        Assert.NotEqual(long.MinValue, id);
    }

    // Golden vectors computed once with OpenJDK 17:
    //   byte[] b = new byte[16]; new java.util.Random(id ^ 0xB3415C00L).nextBytes(b);
    // (javac/java on a scratch Pw.java printing the bytes as hex).
    [Theory]
    [InlineData(0x0100000839300000L, "221fe66c07ffe019d0ab61fe28505569")]
    [InlineData(0x0100000839300001L, "3540e06ca74ac05ec5eec829fcd86936")]
    [InlineData(0x0000000000000001L, "054cc74a37327db215e702e20c73f005")]
    [InlineData(0x7FEDCBA987654321L, "9c4182abd9a67f533c0cb3f0b0cc0556")]
    public void PasswordEqualsWhatJavaUtilRandomProduces(long sessionId, string hex) =>
        Assert.Equal(Convert.FromHexString(hex), SessionPassword.Derive(sessionId));

    [Fact]
    public void PasswordIsDeterministicSixteenBytesAndDiffersPerSession()
    {
        var a = SessionPassword.Derive(0x0100000839300000);
        Assert.Equal(16, a.Length);
        Assert.Equal(a, SessionPassword.Derive(0x0100000839300000));
        Assert.NotEqual(a, SessionPassword.Derive(0x0100000839300001));
        Assert.Equal(a, new Session(0x0100000839300000, 30000).Password);
    }
}
