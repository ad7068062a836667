using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Processing;
using HotZk.Engine.Sessions;
using HotZk.Replication.Server;

namespace HotZk.Replication.Tests.Server;

/// <summary>The payloads learners and the leader exchange about client requests.</summary>
public sealed class ForwardedRequestTests
{
    private sealed class FakeConnection(AuthInfo auth) : IClientConnection
    {
        public AuthInfo Auth { get; } = auth;

        public void SendReply(Request request)
        {
        }

        public void SendConnectResponse(Session? session, int negotiatedTimeout)
        {
        }

        public void Close(string reason)
        {
        }

        public void Process(EventType type, string path, long zxid)
        {
        }
    }

    [Fact]
    public void AWriteCarriesSessionIdentitiesAndTheClientFrame()
    {
        var auth = new AuthInfo("127.0.0.9") { IsSuper = true };
        auth.Add(new Id("digest", "bob:abc="));
        var r = new Request { SessionId = 0x1234_5678_9abc, Connection = new FakeConnection(auth) };
        byte[] frame = [0, 0, 0, 7, 0, 0, 0, 5, 1, 2, 3, 200];
        r.SetRaw(frame);
        var payload = ForwardedRequest.EncodeWrite(r);
        var (session, got, raw) = ForwardedRequest.DecodeWrite(payload);
        Assert.Equal(0x1234_5678_9abcL, session);
        Assert.True(got.IsSuper);
        Assert.Equal("127.0.0.9", got.RemoteAddress);
        Assert.Equal(auth.Ids, got.Ids);
        Assert.Equal(frame, raw.ToArray());
    }

    [Fact]
    public void TruncatedOrForeignPayloadsAreRejected()
    {
        var r = new Request { SessionId = 7, Connection = new FakeConnection(new AuthInfo("127.0.0.1")) };
        r.SetRaw([1, 2, 3, 4, 5, 6, 7, 8]);
        var payload = ForwardedRequest.EncodeWrite(r);
        for (int cut = 0; cut < payload.Length; cut++)
        {
            Assert.Throws<InvalidDataException>(() => ForwardedRequest.DecodeWrite(payload.AsMemory(0, cut)));
        }
        Assert.Throws<InvalidDataException>(() => ForwardedRequest.DecodeWrite(ForwardedRequest.EncodeCreateSession(1, 2)));
        Assert.Throws<InvalidDataException>(() => ForwardedRequest.DecodeCreateSession(new byte[5]));
        Assert.Throws<InvalidDataException>(() => ForwardedRequest.DecodeOutcome(new byte[15]));
    }

    [Fact]
    public void SessionCreatesOutcomesAndTouchesRoundTrip()
    {
        Assert.Equal((42L, 30000), ForwardedRequest.DecodeCreateSession(ForwardedRequest.EncodeCreateSession(42, 30000)));
        Assert.Equal((-5L, 9, ErrorCode.SessionExpired), ForwardedRequest.DecodeOutcome(ForwardedRequest.EncodeOutcome(-5, 9, ErrorCode.SessionExpired)));
        long[] ids = [1, long.MaxValue, -1];
        Assert.Equal(ids, ForwardedRequest.DecodeSessions(ForwardedRequest.EncodeSessions(ids)));
    }
}
