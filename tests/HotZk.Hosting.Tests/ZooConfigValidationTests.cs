using HotZk.Hosting.Config;
using Xunit;

namespace HotZk.Hosting.Tests;

public sealed class ZooConfigValidationTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private ZooConfigException Fails(string text) =>
        Assert.Throws<ZooConfigException>(() => ZooConfigParser.ParseText($"dataDir={_dir.Path}\n{text}", _dir.Path));

    [Theory]
    [InlineData("tickTime", "abc")]
    [InlineData("tickTime", "0")]
    [InlineData("tickTime", "-5")]
    [InlineData("tickTime", "99999999999")]
    [InlineData("initLimit", "ten")]
    [InlineData("syncLimit", "-1")]
    [InlineData("clientPort", "-1")]
    [InlineData("clientPort", "65536")]
    [InlineData("clientPort", "http")]
    [InlineData("secureClientPort", "70000")]
    [InlineData("maxClientCnxns", "-5")]
    [InlineData("maxCnxns", "many")]
    [InlineData("minSessionTimeout", "-2")]
    [InlineData("maxSessionTimeout", "1.5")]
    [InlineData("clientPortListenBacklog", "x")]
    [InlineData("jute.maxbuffer", "0")]
    [InlineData("jute.maxbuffer", "1M")]
    [InlineData("jute.maxbuffer", "0x1FFFFFFFF")]
    [InlineData("jute.maxbuffer.extrasize", "-1")]
    [InlineData("snapCount", "1")]
    [InlineData("snapSizeLimitInKb", "big")]
    [InlineData("txnLogSizeLimitInKb", "1e6")]
    [InlineData("preAllocSize", "0")]
    [InlineData("forceSync", "maybe")]
    [InlineData("autopurge.snapRetainCount", "three")]
    [InlineData("autopurge.purgeInterval", "-1")]
    [InlineData("extendedTypesEnabled", "on")]
    [InlineData("emulate353TTLNodes", "1")]
    [InlineData("skipACL", "sure")]
    [InlineData("enforceQuota", "y")]
    [InlineData("DigestAuthenticationProvider.superDigest", "nocolon")]
    [InlineData("zookeeper.DigestAuthenticationProvider.superDigest", "super:")]
    [InlineData("znode.container.checkIntervalMs", "0")]
    [InlineData("znode.container.maxPerMinute", "-1")]
    [InlineData("znode.container.maxNeverUsedIntervalMs", "-10")]
    [InlineData("globalOutstandingLimit", "0")]
    [InlineData("digest.enabled", "2")]
    [InlineData("reconfigEnabled", "enabled")]
    [InlineData("standaloneEnabled", "t")]
    [InlineData("electionAlg", "0")]
    [InlineData("electionAlg", "1")]
    [InlineData("electionAlg", "fast")]
    [InlineData("peerType", "leader")]
    [InlineData("localSessionsEnabled", "nope")]
    [InlineData("localSessionsUpgradingEnabled", "nope")]
    [InlineData("readonlymode.enabled", "nope")]
    public void InvalidValueErrorNamesTheKeyAndTheValue(string key, string value)
    {
        var e = Fails($"{key}={value}");

        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
        Assert.Equal(key, e.Key);
    }

    [Fact]
    public void MinSessionTimeoutAboveMaxIsAnError()
    {
        var e = Fails("minSessionTimeout=50000\nmaxSessionTimeout=40000");

        Assert.Contains("minSessionTimeout", e.Message, StringComparison.Ordinal);
        Assert.Contains("50000", e.Message, StringComparison.Ordinal);
        Assert.Contains("maxSessionTimeout", e.Message, StringComparison.Ordinal);
        Assert.Contains("40000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MinSessionTimeoutAboveDerivedMaxIsAnError()
    {
        // tickTime 1000 → default max 20000.
        var e = Fails("tickTime=1000\nminSessionTimeout=30000");

        Assert.Contains("minSessionTimeout", e.Message, StringComparison.Ordinal);
        Assert.Contains("20000", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClientPortAddressWithoutClientPortIsAnError()
    {
        var e = Fails("clientPortAddress=10.0.0.1");

        Assert.Contains("clientPortAddress", e.Message, StringComparison.Ordinal);
        Assert.Contains("10.0.0.1", e.Message, StringComparison.Ordinal);
        Assert.Contains("clientPort'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SecureClientPortAddressWithoutSecureClientPortIsAnError()
    {
        var e = Fails("secureClientPortAddress=10.0.0.1");

        Assert.Contains("secureClientPortAddress", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Emulate353TtlNodesRequiresExtendedTypes()
    {
        var e = Fails("emulate353TTLNodes=true");

        Assert.Contains("emulate353TTLNodes", e.Message, StringComparison.Ordinal);
        Assert.Contains("extendedTypesEnabled", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JuteLimitsMustFitASigned32BitLength()
    {
        var e = Fails("jute.maxbuffer=2000000000\njute.maxbuffer.extrasize=2000000000");

        Assert.Contains("jute.maxbuffer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DataDirMustNotBeEmpty()
    {
        var e = Assert.Throws<ZooConfigException>(() => ZooConfigParser.ParseText("dataDir=", _dir.Path));

        Assert.Contains("dataDir", e.Message, StringComparison.Ordinal);
    }
}
