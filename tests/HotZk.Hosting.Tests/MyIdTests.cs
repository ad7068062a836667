using HotZk.Hosting.Config;
using Xunit;

namespace HotZk.Hosting.Tests;

public sealed class MyIdTests : IDisposable
{
    private const string Ensemble = "initLimit=10\nsyncLimit=5\nserver.1=a:2888:3888\nserver.2=b:2888:3888\nserver.255=c:2888:3888\n";

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string MyIdPath => Path.Combine(_dir.Path, "myid");

    private ZooConfig Parse(string text) => ZooConfigParser.ParseText($"dataDir={_dir.Path}\n{text}", _dir.Path);

    [Theory]
    [InlineData("2", 2)]
    [InlineData("  2 \n", 2)]
    [InlineData("255\r\n", 255)]
    [InlineData("1\nsecond line ignored\n", 1)]
    public void EnsembleReadsTrimmedDecimalId(string contents, int expected)
    {
        File.WriteAllText(MyIdPath, contents);

        Assert.Equal(expected, Parse(Ensemble).ServerId);
    }

    [Fact]
    public void MissingMyidInEnsembleIsAnErrorNamingTheFile()
    {
        var e = Assert.Throws<ZooConfigException>(() => Parse(Ensemble));

        Assert.Contains(MyIdPath, e.Message, StringComparison.Ordinal);
        Assert.Contains("missing", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("replace this text with the cluster-unique zookeeper's instance id (1-255)")]
    [InlineData("")]
    [InlineData("0x2")]
    [InlineData("1.0")]
    public void NonNumericMyidIsAnErrorNamingTheFile(string contents)
    {
        File.WriteAllText(MyIdPath, contents);

        var e = Assert.Throws<ZooConfigException>(() => Parse(Ensemble));

        Assert.Contains(MyIdPath, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("256")]
    [InlineData("-1")]
    [InlineData("99999999999")]
    public void MyidOutOfRangeIsAnError(string contents)
    {
        File.WriteAllText(MyIdPath, contents);

        var e = Assert.Throws<ZooConfigException>(() => Parse(Ensemble));

        Assert.Contains(MyIdPath, e.Message, StringComparison.Ordinal);
        Assert.Contains(contents, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ExtendedTypesLimitMyidTo254()
    {
        File.WriteAllText(MyIdPath, "255");

        var e = Assert.Throws<ZooConfigException>(() => Parse(Ensemble + "extendedTypesEnabled=true\n"));

        Assert.Contains("254", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MyidWithoutAMatchingServerLineIsAnError()
    {
        File.WriteAllText(MyIdPath, "7");

        var e = Assert.Throws<ZooConfigException>(() => Parse(Ensemble));

        Assert.Contains("server.7", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StandaloneReadsMyidWhenPresent()
    {
        File.WriteAllText(MyIdPath, "9");

        Assert.Equal(9, Parse("clientPort=2181").ServerId);
    }

    [Fact]
    public void StandaloneIgnoresABadMyidWithAWarning()
    {
        File.WriteAllText(MyIdPath, "not a number");

        var c = Parse("clientPort=2181");

        Assert.Null(c.ServerId);
        Assert.Contains(c.Warnings, w => w.Contains(MyIdPath, StringComparison.Ordinal));
    }

    [Fact]
    public void ReadMyIdReturnsNullWhenTheFileIsAbsent()
    {
        Assert.Null(ZooConfigParser.ReadMyId(_dir.Path));
    }

    [Fact]
    public void MyidIsReadFromDataDirNotDataLogDir()
    {
        string logDir = Path.Combine(_dir.Path, "logs");
        Directory.CreateDirectory(logDir);
        File.WriteAllText(Path.Combine(logDir, "myid"), "2");
        File.WriteAllText(MyIdPath, "1");

        Assert.Equal(1, Parse(Ensemble + $"dataLogDir={logDir}\n").ServerId);
    }
}
