using HotZk.Hosting.Config;
using Xunit;

namespace HotZk.Hosting.Tests;

public sealed class ZooConfigParserTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private ZooConfig Parse(string text) => ZooConfigParser.ParseText(text, _dir.Path);

    [Fact]
    public void EveryKnownKeyIsParsed()
    {
        string text = $"""
            tickTime=1500
            initLimit=10
            syncLimit=5
            dataDir={_dir.Path}/snap
            dataLogDir={_dir.Path}/log
            clientPort=2999
            clientPortAddress=127.0.0.1
            secureClientPort=3999
            secureClientPortAddress=127.0.0.2
            maxClientCnxns=0
            maxCnxns=500
            minSessionTimeout=1000
            maxSessionTimeout=90000
            clientPortListenBacklog=128
            jute.maxbuffer=0x400000
            jute.maxbuffer.extrasize=2048
            snapCount=5000
            snapSizeLimitInKb=1024
            txnLogSizeLimitInKb=2048
            preAllocSize=1024
            forceSync=no
            autopurge.snapRetainCount=7
            autopurge.purgeInterval=24
            4lw.commands.whitelist=ruok,mntr
            extendedTypesEnabled=true
            emulate353TTLNodes=true
            skipACL=yes
            enforceQuota=true
            DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=
            znode.container.checkIntervalMs=1000
            znode.container.maxPerMinute=50
            znode.container.maxNeverUsedIntervalMs=30000
            globalOutstandingLimit=2000
            digest.enabled=false
            reconfigEnabled=true
            standaloneEnabled=true
            electionAlg=3
            peerType=participant
            localSessionsEnabled=true
            localSessionsUpgradingEnabled=true
            readonlymode.enabled=true
            group.1=1:2:3
            weight.1=2
            admin.enableServer=false
            admin.serverPort=9090
            """;

        var c = Parse(text);

        Assert.Equal(1500, c.TickTime);
        Assert.Equal(10, c.InitLimit);
        Assert.Equal(5, c.SyncLimit);
        Assert.Equal(Path.Combine(_dir.Path, "snap"), c.DataDir);
        Assert.Equal(Path.Combine(_dir.Path, "log"), c.DataLogDir);
        Assert.Equal(2999, c.ClientPort);
        Assert.Equal("127.0.0.1", c.ClientPortAddress);
        Assert.Equal(3999, c.SecureClientPort);
        Assert.Equal("127.0.0.2", c.SecureClientPortAddress);
        Assert.Equal(0, c.MaxClientCnxns);
        Assert.Equal(500, c.MaxCnxns);
        Assert.Equal(1000, c.MinSessionTimeout);
        Assert.Equal(90000, c.MaxSessionTimeout);
        Assert.Equal(128, c.ClientPortListenBacklog);
        Assert.Equal(0x400000, c.JuteMaxBuffer);
        Assert.Equal(2048, c.JuteMaxBufferExtraSize);
        Assert.Equal(5000, c.SnapCount);
        Assert.Equal(1024, c.SnapSizeLimitInKb);
        Assert.Equal(2048, c.TxnLogSizeLimitInKb);
        Assert.Equal(1024, c.PreAllocSizeKb);
        Assert.False(c.ForceSync);
        Assert.Equal(7, c.AutopurgeSnapRetainCount);
        Assert.Equal(24, c.AutopurgePurgeInterval);
        Assert.Equal(["ruok", "mntr"], c.FourLetterWordWhitelist);
        Assert.True(c.ExtendedTypesEnabled);
        Assert.True(c.Emulate353TtlNodes);
        Assert.True(c.SkipAcl);
        Assert.True(c.EnforceQuota);
        Assert.Equal("super:D/InIHSb7yEEbrWz8b9l71RjZJU=", c.SuperDigest);
        Assert.Equal(1000, c.ContainerCheckIntervalMs);
        Assert.Equal(50, c.ContainerMaxPerMinute);
        Assert.Equal(30000, c.ContainerMaxNeverUsedIntervalMs);
        Assert.Equal(2000, c.GlobalOutstandingLimit);
        Assert.False(c.DigestEnabled);
        Assert.True(c.ReconfigEnabled);
        Assert.True(c.StandaloneEnabled);
        Assert.Equal(3, c.ElectionAlg);
        Assert.Equal(ServerRole.Participant, c.PeerType);
        Assert.True(c.LocalSessionsEnabled);
        Assert.True(c.LocalSessionsUpgradingEnabled);
        Assert.True(c.ReadOnlyModeEnabled);
        Assert.Equal("1:2:3", c.QuorumGroupsAndWeights["group.1"]);
        Assert.Equal("2", c.QuorumGroupsAndWeights["weight.1"]);
        Assert.Equal("false", c.AdminSettings["admin.enableServer"]);
        Assert.Equal("9090", c.AdminSettings["admin.serverPort"]);
        Assert.Empty(c.UnknownKeys);
        Assert.Equal("1500", c.Properties["tickTime"]);
    }

    [Fact]
    public void ObserverPeerTypeIsParsed()
    {
        Assert.Equal(ServerRole.Observer, Parse($"dataDir={_dir.Path}\npeerType=Observer").PeerType);
    }

    [Fact]
    public void SuperDigestIsAlsoReadFromTheZookeeperPrefixedKey()
    {
        var c = Parse($"dataDir={_dir.Path}\nzookeeper.DigestAuthenticationProvider.superDigest=super:abc=");

        Assert.Equal("super:abc=", c.SuperDigest);
    }

    [Fact]
    public void JuteMaxBufferAcceptsDecimal()
    {
        Assert.Equal(4194304, Parse($"dataDir={_dir.Path}\njute.maxbuffer=4194304").JuteMaxBuffer);
    }

    [Fact]
    public void LaterKeysOverrideEarlierOnes()
    {
        var c = Parse($"dataDir=/first\ntickTime=1000\ndataDir={_dir.Path}\ntickTime=2500\n");

        Assert.Equal(2500, c.TickTime);
        Assert.Equal(_dir.Path, c.DataDir);
        Assert.Equal("2500", c.Properties["tickTime"]);
    }

    [Fact]
    public void CommentsBlankLinesAndSeparatorsFollowJavaPropertiesSyntax()
    {
        string text = $"""
            # a hash comment
               ! a bang comment with tickTime=1
            
            dataDir = {_dir.Path}
            tickTime: 1234
            clientPort    2345
              maxClientCnxns=7   
            """;

        var c = Parse(text);

        Assert.Equal(1234, c.TickTime);
        Assert.Equal(2345, c.ClientPort);
        Assert.Equal(7, c.MaxClientCnxns);
        Assert.Equal(_dir.Path, c.DataDir);
        Assert.Equal(4, c.Properties.Count);
    }

    [Fact]
    public void TrailingBackslashContinuesTheValueOnTheNextLine()
    {
        string text = $"dataDir={_dir.Path}\n4lw.commands.whitelist=ruok, \\\n     stat, \\\n  conf\ntickTime=12\\\n34\n";

        var c = Parse(text);

        Assert.Equal(["ruok", "stat", "conf"], c.FourLetterWordWhitelist);
        Assert.Equal(1234, c.TickTime);
    }

    [Fact]
    public void CommentLineEndingInBackslashDoesNotContinue()
    {
        var c = Parse($"dataDir={_dir.Path}\n# comment \\\ntickTime=4321\n");

        Assert.Equal(4321, c.TickTime);
    }

    [Fact]
    public void EscapedBackslashAtLineEndDoesNotContinue()
    {
        var c = Parse($"dataDir={_dir.Path}\nadmin.x=a\\\\\ntickTime=4321\n");

        Assert.Equal(@"a\", c.AdminSettings["admin.x"]);
        Assert.Equal(4321, c.TickTime);
    }

    [Fact]
    public void EscapedSeparatorsAndBackslashesAreUnescaped()
    {
        var c = Parse($"dataDir={_dir.Path}\nadmin.a\\:b=c\\:d\\\\e\\=f\n");

        Assert.Equal(@"c:d\e=f", c.AdminSettings["admin.a:b"]);
    }

    [Fact]
    public void CrLfLineEndingsAreAccepted()
    {
        var c = Parse($"dataDir={_dir.Path}\r\ntickTime=1111\r\nclientPort=2222\r\n");

        Assert.Equal(1111, c.TickTime);
        Assert.Equal(2222, c.ClientPort);
        Assert.Equal(_dir.Path, c.DataDir);
    }

    [Fact]
    public void UnknownKeysAreRecordedNotFatal()
    {
        var c = Parse($"dataDir={_dir.Path}\nfoo.bar=1\nauthProvider.1=x\ntickTime=2000");

        Assert.Equal(["foo.bar", "authProvider.1"], c.UnknownKeys);
        Assert.Equal(2000, c.TickTime);
    }

    [Fact]
    public void KeysZooKeeperAcceptsButHotZkIgnoresGiveWarningsNotUnknownKeys()
    {
        var c = Parse($"dataDir={_dir.Path}\nquorumListenOnAllIPs=true\nmetricsProvider.className=x\n");

        Assert.Empty(c.UnknownKeys);
        Assert.Contains(c.Warnings, w => w.Contains("quorumListenOnAllIPs", StringComparison.Ordinal));
        Assert.Contains(c.Warnings, w => w.Contains("metricsProvider.className", StringComparison.Ordinal));
    }

    [Fact]
    public void SecureClientPortIsAcceptedWithAWarning()
    {
        var c = Parse($"dataDir={_dir.Path}\nsecureClientPort=2281");

        Assert.Equal(2281, c.SecureClientPort);
        Assert.Contains(c.Warnings, w => w.Contains("secureClientPort", StringComparison.Ordinal));
    }

    [Fact]
    public void SnapRetainCountBelowThreeIsRaisedToThree()
    {
        var c = Parse($"dataDir={_dir.Path}\nautopurge.snapRetainCount=1");

        Assert.Equal(3, c.AutopurgeSnapRetainCount);
        Assert.Contains(c.Warnings, w => w.Contains("autopurge.snapRetainCount", StringComparison.Ordinal));
    }

    [Fact]
    public void ClientPortZeroMeansNotSet()
    {
        Assert.Null(Parse($"dataDir={_dir.Path}\nclientPort=0").ClientPort);
    }

    [Fact]
    public void ForceSyncAndSkipAclAcceptYesNoAndTrueFalse()
    {
        Assert.True(Parse($"dataDir={_dir.Path}\nforceSync=yes").ForceSync);
        Assert.False(Parse($"dataDir={_dir.Path}\nforceSync=false").ForceSync);
        Assert.True(Parse($"dataDir={_dir.Path}\nskipACL=true").SkipAcl);
        Assert.False(Parse($"dataDir={_dir.Path}\nskipACL=no").SkipAcl);
    }

    [Fact]
    public void RelativeDataDirResolvesAgainstTheBaseDirectory()
    {
        var c = ZooConfigParser.ParseText("dataDir=zk/data\ndataLogDir=../logs", _dir.Path);

        Assert.Equal(Path.Combine(_dir.Path, "zk", "data"), c.DataDir);
        Assert.Equal(Path.GetFullPath(Path.Combine(_dir.Path, "..", "logs")), c.DataLogDir);
    }

    [Fact]
    public void ParseFromFileResolvesRelativeDataDirAgainstWorkingDirectoryNotConfigFolder()
    {
        string cfg = _dir.Write("conf/zoo.cfg", "dataDir=relative-data\n");

        var c = ZooConfigParser.Parse(cfg);

        Assert.Equal(Path.GetFullPath("relative-data", Environment.CurrentDirectory), c.DataDir);
        Assert.Equal(Path.GetFullPath(cfg), c.ConfigPath);
    }

    [Fact]
    public void MissingDataDirIsAnErrorUnlessTheCallerSuppliesADefault()
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse("tickTime=2000"));
        Assert.Contains("dataDir", e.Message, StringComparison.Ordinal);
        Assert.Equal("dataDir", e.Key);

        var c = ZooConfigParser.ParseText("tickTime=2000", _dir.Path, defaultDataDir: "data");
        Assert.Equal(Path.Combine(_dir.Path, "data"), c.DataDir);
    }

    [Fact]
    public void MissingConfigFileErrorNamesTheFile()
    {
        string missing = Path.Combine(_dir.Path, "nope.cfg");

        var e = Assert.Throws<ZooConfigException>(() => ZooConfigParser.Parse(missing));

        Assert.Contains(missing, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ErrorsFromAFileNameTheFileAndTheKey()
    {
        string cfg = _dir.Write("zoo.cfg", $"dataDir={_dir.Path}\ntickTime=soon\n");

        var e = Assert.Throws<ZooConfigException>(() => ZooConfigParser.Parse(cfg));

        Assert.Contains(cfg, e.Message, StringComparison.Ordinal);
        Assert.Contains("tickTime", e.Message, StringComparison.Ordinal);
        Assert.Contains("soon", e.Message, StringComparison.Ordinal);
        Assert.Equal("tickTime", e.Key);
    }
}
