using HotZk.Common;

namespace HotZk.Integration.Tests;

public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task ConnectionsBeyondMaxClientCnxnsFromOneIpAreClosed()
    {
        var server = TestServer.Start(tweak: c => c with { MaxClientCnxns = 2 });
        try
        {
            using var a = await RawZk.ConnectAsync(server.Endpoint);
            using var b = await RawZk.ConnectAsync(server.Endpoint);
            using var c = await RawZk.OpenAsync(server.Endpoint);
            await c.SendFrameAsync(RawZk.ConnectRequest(30000, 0, new byte[16], 0, true));
            Assert.True(await c.IsClosedByServerAsync());
            Assert.Contains(server.LogLines, l => l.Contains("Too many connections from 127.0.0.1 - max is 2"));
            // The first two still work.
            Assert.Equal(0, (await a.CallAsync(1, OpCode.Exists, w => { w.WriteString("/"); w.WriteBool(false); })).Err);
        }
        finally
        {
            await server.DisposeAndDeleteAsync();
        }
    }
}
