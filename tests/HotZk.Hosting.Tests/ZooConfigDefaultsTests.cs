using HotZk.Hosting.Config;
using Xunit;

namespace HotZk.Hosting.Tests;

public sealed class ZooConfigDefaultsTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private ZooConfig ParseMinimal(string extra = "") =>
        ZooConfigParser.ParseText($"dataDir={_dir.Path}\n{extra}", _dir.Path);

    [Fact]
    public void EveryUnsetKeyTakesZooKeepersDefault()
    {
        var c = ParseMinimal();

        Assert.Equal(3000, c.TickTime);
        Assert.Equal(0, c.InitLimit);
        Assert.Equal(0, c.SyncLimit);
        Assert.Equal(_dir.Path, c.DataDir);
        Assert.Equal(_dir.Path, c.DataLogDir);
        Assert.Null(c.ClientPort);
        Assert.Null(c.ClientPortAddress);
        Assert.Null(c.SecureClientPort);
        Assert.Equal(60, c.MaxClientCnxns);
        Assert.Equal(0, c.MaxCnxns);
        Assert.Equal(6000, c.MinSessionTimeout);
        Assert.Equal(60000, c.MaxSessionTimeout);
        Assert.Equal(-1, c.ClientPortListenBacklog);
        Assert.Equal(1048575, c.JuteMaxBuffer);
        Assert.Equal(1048575, c.JuteMaxBufferExtraSize);
        Assert.Equal(100_000, c.SnapCount);
        Assert.Equal(4_194_304, c.SnapSizeLimitInKb);
        Assert.Equal(-1, c.TxnLogSizeLimitInKb);
        Assert.Equal(65_536, c.PreAllocSizeKb);
        Assert.True(c.ForceSync);
        Assert.Equal(3, c.AutopurgeSnapRetainCount);
        Assert.Equal(0, c.AutopurgePurgeInterval);
        Assert.Equal(["srvr"], c.FourLetterWordWhitelist);
        Assert.False(c.ExtendedTypesEnabled);
        Assert.False(c.Emulate353TtlNodes);
        Assert.False(c.SkipAcl);
        Assert.False(c.EnforceQuota);
        Assert.Null(c.SuperDigest);
        Assert.Equal(60_000, c.ContainerCheckIntervalMs);
        Assert.Equal(10_000, c.ContainerMaxPerMinute);
        Assert.Equal(0, c.ContainerMaxNeverUsedIntervalMs);
        Assert.Equal(1000, c.GlobalOutstandingLimit);
        Assert.True(c.DigestEnabled);
        Assert.False(c.ReconfigEnabled);
        Assert.True(c.StandaloneEnabled);
        Assert.Equal(3, c.ElectionAlg);
        Assert.Equal(ServerRole.Participant, c.PeerType);
        Assert.False(c.LocalSessionsEnabled);
        Assert.False(c.LocalSessionsUpgradingEnabled);
        Assert.False(c.ReadOnlyModeEnabled);
        Assert.Empty(c.Servers);
        Assert.False(c.IsEnsemble);
        Assert.Null(c.ServerId);
        Assert.Empty(c.UnknownKeys);
        Assert.Empty(c.Warnings);
    }

    [Fact]
    public void SessionTimeoutDefaultsFollowTickTime()
    {
        var c = ParseMinimal("tickTime=2000");

        Assert.Equal(4000, c.MinSessionTimeout);
        Assert.Equal(40000, c.MaxSessionTimeout);
    }

    [Fact]
    public void MinusOneSessionTimeoutsMeanTheDerivedDefault()
    {
        var c = ParseMinimal("tickTime=1000\nminSessionTimeout=-1\nmaxSessionTimeout=-1");

        Assert.Equal(2000, c.MinSessionTimeout);
        Assert.Equal(20000, c.MaxSessionTimeout);
    }

    [Fact]
    public void JuteExtraSizeFollowsMaxBufferAndIsNeverBelow1024()
    {
        Assert.Equal(4_000_000, ParseMinimal("jute.maxbuffer=4000000").JuteMaxBufferExtraSize);
        Assert.Equal(1024, ParseMinimal("jute.maxbuffer.extrasize=10").JuteMaxBufferExtraSize);
        Assert.Equal(1024, ParseMinimal("jute.maxbuffer=100").JuteMaxBufferExtraSize);
    }

    [Fact]
    public void RecordDefaultsDeriveFromOtherProperties()
    {
        var c = new ZooConfig { DataDir = "/d", TickTime = 500 };

        Assert.Equal("/d", c.DataLogDir);
        Assert.Equal(1000, c.MinSessionTimeout);
        Assert.Equal(10000, c.MaxSessionTimeout);
        Assert.Equal("/l", (c with { DataLogDir = "/l" }).DataLogDir);
    }

    [Fact]
    public void BuiltInStandaloneDefaultListensOn2181OnAllInterfacesWithAllFourLetterWords()
    {
        var c = ZooConfig.CreateDefaultStandalone("data");

        Assert.Equal(Path.GetFullPath("data"), c.DataDir);
        Assert.Equal(c.DataDir, c.DataLogDir);
        Assert.Equal(2000, c.TickTime);
        Assert.Equal(2181, c.ClientPort);
        Assert.Equal("0.0.0.0", c.ClientPortAddress);
        Assert.Equal(60, c.MaxClientCnxns);
        Assert.Equal(4000, c.MinSessionTimeout);
        Assert.Equal(40000, c.MaxSessionTimeout);
        Assert.True(c.IsFourLetterWordAllowed("ruok"));
        Assert.True(c.IsFourLetterWordAllowed("mntr"));
        Assert.False(c.IsEnsemble);
        Assert.Null(c.ServerId);
    }
}
