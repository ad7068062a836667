using HotZk.Cli;
using HotZk.Common;

namespace HotZk.Client.Tests;

[Collection("zk")]
public sealed class CliTests(ZkServerFixture zk)
{
    private async Task<(int Code, string Out, string Err)> RunAsync(string stdin, params string[] command)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await ZkShell.RunAsync(["-server", zk.ConnectString, .. command], new StringReader(stdin), output, error)
            .WaitAsync(TimeSpan.FromSeconds(60));
        return (code, output.ToString().ReplaceLineEndings("\n"), error.ToString().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task OneShotCommandsSucceedAndFailWithExitCodes()
    {
        var p = ZkServerFixture.UniquePath("cli1");
        var created = await RunAsync("", "create", p, "hello");
        Assert.Equal((0, $"Created {p}\n", ""), created);

        var got = await RunAsync("", "get", "-s", p);
        Assert.Equal(0, got.Code);
        var lines = got.Out.Split('\n');
        Assert.Equal("hello", lines[0]);
        Assert.Matches("^cZxid = 0x[0-9a-f]+$", lines[1]);
        Assert.Matches(@"^ctime = \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$", lines[2]);
        Assert.Contains("dataVersion = 0", lines);
        Assert.Contains("dataLength = 5", lines);
        Assert.Contains("ephemeralOwner = 0x0", lines);

        var missing = await RunAsync("", "get", p + "/nope");
        Assert.NotEqual(0, missing.Code);
        Assert.Equal($"Node does not exist: {p}/nope\n", missing.Err);

        var exists = await RunAsync("", "create", p);
        Assert.NotEqual(0, exists.Code);
        Assert.Equal($"Node already exists: {p}\n", exists.Err);
    }

    [Fact]
    public async Task InteractiveSessionRunsAScript()
    {
        var p = ZkServerFixture.UniquePath("cli2");
        var script = string.Join('\n',
            $"create {p}",
            $"create -s {p}/s- x",
            $"create -e {p}/e 'two words'",
            $"ls {p}",
            $"get {p}/e",
            $"set -v 0 {p}/e v2",
            $"set -v 0 {p}/e v3",
            $"setAcl {p}/s-0000000000 world:anyone:r,digest:bob:fyVmFCwVbTJYrznoSu1koqYEYF0=:cdrwa",
            $"getAcl {p}/s-0000000000",
            $"delete {p}",
            $"sync {p}",
            $"ls -R {p}",
            $"deleteall {p}",
            $"stat {p}",
            "quit",
            "ls /");
        var (code, output, error) = await RunAsync(script);
        // getAcl without ADMIN on the node: the server masks digest hashes as user:x.
        Assert.Equal(0, code);
        Assert.Equal(
            $"""
            Created {p}
            Created {p}/s-0000000000
            Created {p}/e
            [e, s-0000000000]
            two words
            'world,'anyone
            : r
            'digest,'bob:x
            : cdrwa
            Sync is OK
            {p}
            {p}/e
            {p}/s-0000000000

            """.ReplaceLineEndings("\n"),
            output);
        Assert.Equal(
            $"""
            version No is not valid : {p}/e
            Node not empty: {p}
            Node does not exist: {p}

            """.ReplaceLineEndings("\n"),
            error);
        await using var c = await zk.ConnectAsync();
        Assert.Null(await c.ExistsAsync(p));
    }

    [Theory]
    [InlineData("world:anyone:cdrwa", "world", "anyone", Perms.All)]
    [InlineData("digest:bob:abc=:rw", "digest", "bob:abc=", Perms.Read | Perms.Write)]
    [InlineData("ip:10.0.0.0/8:a", "ip", "10.0.0.0/8", Perms.Admin)]
    public void AclTextParsesLikeZkCli(string text, string scheme, string id, Perms perms) =>
        Assert.Equal([new Acl(perms, new Id(scheme, id))], ZkShell.ParseAcl(text));

    [Fact]
    public void TokenizerHonoursQuotes() =>
        Assert.Equal(["create", "/a", "x y", "z"], ZkShell.Tokenize("create  /a \"x y\" 'z'"));
}
