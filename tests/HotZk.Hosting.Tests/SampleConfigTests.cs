using HotZk.Hosting.Config;
using Xunit;

namespace HotZk.Hosting.Tests;

public sealed class SampleConfigTests : IDisposable
{
    // Apache ZooKeeper's conf/zoo_sample.cfg (3.8), as shipped by Debian as /etc/zookeeper/conf/zoo.cfg.
    private const string ZooSampleCfg = """
        # The number of milliseconds of each tick
        tickTime=2000
        # The number of ticks that the initial 
        # synchronization phase can take
        initLimit=10
        # The number of ticks that can pass between 
        # sending a request and getting an acknowledgement
        syncLimit=5
        # the directory where the snapshot is stored.
        # do not use /tmp for storage, /tmp here is just 
        # example sakes.
        dataDir=/tmp/zookeeper
        # the port at which the clients will connect
        clientPort=2181
        # the maximum number of client connections.
        # increase this if you need to handle more clients
        #maxClientCnxns=60
        #
        # Be sure to read the maintenance section of the 
        # administrator guide before turning on autopurge.
        #
        # https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_maintenance
        #
        # The number of snapshots to retain in dataDir
        #autopurge.snapRetainCount=3
        # Purge task interval in hours
        # Set to "0" to disable auto purge feature
        #autopurge.purgeInterval=1

        ## Metrics Providers
        #
        # https://prometheus.io Metrics Exporter
        #metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
        #metricsProvider.httpHost=0.0.0.0
        #metricsProvider.httpPort=7000
        #metricsProvider.exportJvmInfo=true
        """;

    private static readonly string[] InstalledSampleLocations =
    [
        "/etc/zookeeper/conf/zoo.cfg",
        "/etc/zookeeper/conf_example/zoo.cfg",
        "/usr/share/zookeeper/conf/zoo_sample.cfg",
        "/usr/share/doc/zookeeper/examples/zoo_sample.cfg",
        "/opt/zookeeper/conf/zoo_sample.cfg",
    ];

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void EmbeddedZooSampleCfgParsesWithSampleValues()
    {
        var c = ZooConfigParser.ParseText(ZooSampleCfg, _dir.Path);

        Assert.Equal(2000, c.TickTime);
        Assert.Equal(10, c.InitLimit);
        Assert.Equal(5, c.SyncLimit);
        Assert.Equal("/tmp/zookeeper", c.DataDir);
        Assert.Equal(2181, c.ClientPort);
        Assert.Equal(60, c.MaxClientCnxns);
        Assert.Empty(c.UnknownKeys);
        Assert.False(c.IsEnsemble);
    }

    [Fact]
    public void InstalledSampleConfigsParseWithoutError()
    {
        int parsed = 0;
        foreach (string path in InstalledSampleLocations)
        {
            if (!File.Exists(path))
            {
                continue;
            }

            var c = ZooConfigParser.Parse(path, defaultDataDir: _dir.Path);

            Assert.True(c.TickTime > 0, path);
            Assert.Equal(Path.GetFullPath(path), c.ConfigPath);
            parsed++;
        }

        // Nothing to check on machines without a ZooKeeper package; the embedded copy above still runs.
        Assert.True(parsed >= 0);
    }
}
