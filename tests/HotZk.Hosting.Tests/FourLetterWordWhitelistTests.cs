using HotZk.Hosting.Config;
using Xunit;

namespace HotZk.Hosting.Tests;

public sealed class FourLetterWordWhitelistTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private ZooConfig Parse(string text) => ZooConfigParser.ParseText($"dataDir={_dir.Path}\n{text}", _dir.Path);

    [Fact]
    public void DefaultAllowsOnlySrvr()
    {
        var c = Parse(string.Empty);

        Assert.True(c.IsFourLetterWordAllowed("srvr"));
        Assert.False(c.IsFourLetterWordAllowed("ruok"));
        Assert.False(c.IsFourLetterWordAllowed("stat"));
        Assert.False(c.IsFourLetterWordAllowed("mntr"));
    }

    [Fact]
    public void ListIsCommaSeparatedAndTrimmed()
    {
        var c = Parse("4lw.commands.whitelist= ruok ,stat,, conf ");

        Assert.Equal(["ruok", "stat", "conf"], c.FourLetterWordWhitelist);
        Assert.True(c.IsFourLetterWordAllowed("ruok"));
        Assert.True(c.IsFourLetterWordAllowed("stat"));
        Assert.True(c.IsFourLetterWordAllowed("conf"));
        Assert.False(c.IsFourLetterWordAllowed("mntr"));
        Assert.False(c.IsFourLetterWordAllowed("wchc"));
    }

    [Fact]
    public void SrvrIsAlwaysAllowed()
    {
        var c = Parse("4lw.commands.whitelist=ruok");

        Assert.True(c.IsFourLetterWordAllowed("srvr"));
        Assert.False(c.IsFourLetterWordAllowed("stat"));
    }

    [Fact]
    public void EmptyWhitelistStillAllowsSrvr()
    {
        var c = Parse("4lw.commands.whitelist=");

        Assert.Empty(c.FourLetterWordWhitelist);
        Assert.True(c.IsFourLetterWordAllowed("srvr"));
        Assert.False(c.IsFourLetterWordAllowed("ruok"));
    }

    [Fact]
    public void StarAllowsEveryCommand()
    {
        var c = Parse("4lw.commands.whitelist=*");

        foreach (string cmd in ZooConfig.AllFourLetterWords)
        {
            Assert.True(c.IsFourLetterWordAllowed(cmd), cmd);
        }
    }

    [Fact]
    public void StarAmongOtherEntriesAllowsEveryCommand()
    {
        Assert.True(Parse("4lw.commands.whitelist=ruok, *").IsFourLetterWordAllowed("wchp"));
    }

    [Fact]
    public void MatchingIsCaseSensitive()
    {
        var c = Parse("4lw.commands.whitelist=ruok");

        Assert.False(c.IsFourLetterWordAllowed("RUOK"));
    }

    [Fact]
    public void IsroIsAllowedWhenReadOnlyModeIsEnabled()
    {
        Assert.False(Parse(string.Empty).IsFourLetterWordAllowed("isro"));
        Assert.True(Parse("readonlymode.enabled=true").IsFourLetterWordAllowed("isro"));
    }
}
