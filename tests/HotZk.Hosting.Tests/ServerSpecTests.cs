using HotZk.Hosting.Config;
using Xunit;

namespace HotZk.Hosting.Tests;

public sealed class ServerSpecTests : IDisposable
{
    private readonly TempDir _dir = new();

    public ServerSpecTests() => File.WriteAllText(Path.Combine(_dir.Path, "myid"), "1\n");

    public void Dispose() => _dir.Dispose();

    private ZooConfig Parse(string text) =>
        ZooConfigParser.ParseText($"dataDir={_dir.Path}\ninitLimit=10\nsyncLimit=5\n{text}", _dir.Path);

    [Fact]
    public void ThreeParticipantsAreParsedAndSortedById()
    {
        var c = Parse("""
            server.3=zk3.example:2888:3888
            server.1=zk1.example:2888:3888
            server.2=10.0.0.2:2889:3889:participant
            """);

        Assert.Equal([1, 2, 3], c.Servers.Select(s => s.Id));
        var s2 = c.Servers[1];
        Assert.Equal("10.0.0.2", s2.Host);
        Assert.Equal(2889, s2.QuorumPort);
        Assert.Equal(3889, s2.ElectionPort);
        Assert.Equal(ServerRole.Participant, s2.Role);
        Assert.Null(s2.ClientPort);
        Assert.Null(s2.ClientHost);
        Assert.Equal("zk1.example", c.Servers[0].Host);
        Assert.True(c.IsEnsemble);
        Assert.Equal(1, c.ServerId);
    }

    [Fact]
    public void ObserverRoleIsParsed()
    {
        var c = Parse("""
            server.1=a:2888:3888
            server.2=b:2888:3888
            server.4=d:2888:3888:observer
            """);

        Assert.Equal(ServerRole.Observer, c.Servers[2].Role);
        Assert.Equal(4, c.Servers[2].Id);
        Assert.True(c.IsEnsemble);
    }

    [Fact]
    public void ClientPortAfterSemicolonIsParsed()
    {
        var c = Parse("""
            server.1=a:2888:3888;2181
            server.2=b:2888:3888:observer;0.0.0.0:2182
            server.3=c:2888:3888:participant;[::1]:2183
            server.4=d:2888:3888
            """);

        Assert.Equal(2181, c.Servers[0].ClientPort);
        Assert.Null(c.Servers[0].ClientHost);
        Assert.Equal(ServerRole.Observer, c.Servers[1].Role);
        Assert.Equal("0.0.0.0", c.Servers[1].ClientHost);
        Assert.Equal(2182, c.Servers[1].ClientPort);
        Assert.Equal("::1", c.Servers[2].ClientHost);
        Assert.Equal(2183, c.Servers[2].ClientPort);
        Assert.Equal("a:2888:3888;2181", c.Servers[0].RawValue);
    }

    [Fact]
    public void BracketedIpv6HostsAreParsed()
    {
        var c = Parse("server.1=[fe80::1]:2888:3888\nserver.2=[::2]:2888:3888:observer\nserver.3=c:1:2");

        Assert.Equal("fe80::1", c.Servers[0].Host);
        Assert.Equal(2888, c.Servers[0].QuorumPort);
        Assert.Equal(ServerRole.Observer, c.Servers[1].Role);
    }

    [Fact]
    public void MultipleAddressesAreKeptInOrder()
    {
        var c = Parse("server.1=a1:2888:3888|a2:2889:3889;2181\nserver.2=b:2888:3888");

        var s = c.Servers[0];
        Assert.Equal(2, s.Addresses.Count);
        Assert.Equal(new QuorumAddress("a2", 2889, 3889), s.Addresses[1]);
        Assert.Equal("a1", s.Host);
        Assert.Equal(2181, s.ClientPort);
    }

    [Theory]
    [InlineData("host")]
    [InlineData("host:2888")]
    [InlineData("host:abc:3888")]
    [InlineData("host:2888:")]
    [InlineData(":2888:3888")]
    [InlineData("host:2888:3888:leader")]
    [InlineData("host:2888:3888:participant:extra")]
    [InlineData("host:2888:2888")]
    [InlineData("host:0:3888")]
    [InlineData("host:2888:70000")]
    [InlineData("host:2888:3888;")]
    [InlineData("host:2888:3888;x")]
    [InlineData("host:2888:3888;a:b:c")]
    [InlineData("host:2888:3888;2181;2182")]
    [InlineData("[::1:2888:3888")]
    [InlineData("a:1:2:observer|b:3:4:participant")]
    public void MalformedServerLineErrorNamesTheKeyAndValue(string value)
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse($"server.1={value}\nserver.2=b:2888:3888"));

        Assert.Contains("'server.1'", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
        Assert.Equal("server.1", e.Key);
    }

    [Theory]
    [InlineData("server.0")]
    [InlineData("server.256")]
    [InlineData("server.x")]
    [InlineData("server.-1")]
    public void ServerIdMustBeBetween1And255(string key)
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse($"{key}=a:2888:3888\nserver.2=b:2888:3888"));

        Assert.Contains(key, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateServerIdIsAnError()
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse("server.1=a:2888:3888\nserver.01=b:2888:3888"));

        Assert.Contains("server.1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SingleServerLineRunsStandaloneWithoutRequiringMyid()
    {
        File.Delete(Path.Combine(_dir.Path, "myid"));

        var c = Parse("server.1=a:2888:3888");

        Assert.Single(c.Servers);
        Assert.False(c.IsEnsemble);
        Assert.Null(c.ServerId);
        Assert.Contains(c.Warnings, w => w.Contains("standalone", StringComparison.Ordinal));
    }

    [Fact]
    public void SingleServerWithStandaloneDisabledIsAnEnsemble()
    {
        var c = Parse("standaloneEnabled=false\nserver.1=a:2888:3888");

        Assert.True(c.IsEnsemble);
        Assert.Equal(1, c.ServerId);
    }

    [Fact]
    public void StandaloneDisabledWithoutServersIsAnError()
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse("standaloneEnabled=false"));

        Assert.Contains("standaloneEnabled", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ObserversWithoutAQuorumAreAnError()
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse("server.1=a:2888:3888\nserver.2=b:2888:3888:observer"));

        Assert.Contains("observer", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnsembleRequiresInitLimitAndSyncLimit()
    {
        var e = Assert.Throws<ZooConfigException>(() => ZooConfigParser.ParseText(
            $"dataDir={_dir.Path}\nsyncLimit=5\nserver.1=a:1:2\nserver.2=b:1:2", _dir.Path));
        Assert.Contains("initLimit", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ZooConfigException>(() => ZooConfigParser.ParseText(
            $"dataDir={_dir.Path}\ninitLimit=5\nserver.1=a:1:2\nserver.2=b:1:2", _dir.Path));
        Assert.Contains("syncLimit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OwnServerLineSuppliesTheClientPort()
    {
        var c = Parse("server.1=a:2888:3888;127.0.0.5:2191\nserver.2=b:2888:3888;2192");

        Assert.Equal(2191, c.ClientPort);
        Assert.Equal("127.0.0.5", c.ClientPortAddress);
    }

    [Fact]
    public void ClientPortThatContradictsOwnServerLineIsAnError()
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse("clientPort=2181\nserver.1=a:2888:3888;2191\nserver.2=b:2888:3888"));

        Assert.Contains("clientPort", e.Message, StringComparison.Ordinal);
        Assert.Contains("2191", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RoleInOwnServerLineWinsOverPeerType()
    {
        File.WriteAllText(Path.Combine(_dir.Path, "myid"), "3");

        var c = Parse("peerType=participant\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2:observer");

        Assert.Equal(ServerRole.Observer, c.PeerType);
        Assert.Contains(c.Warnings, w => w.Contains("peerType", StringComparison.Ordinal));
    }

    [Fact]
    public void ServerLinesAreRejectedWhenDynamicConfigFileIsSet()
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse("dynamicConfigFile=/x/zoo.cfg.dynamic.100\nserver.1=a:1:2"));

        Assert.Contains("server.1", e.Message, StringComparison.Ordinal);
    }
}
