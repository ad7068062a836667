using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Processing;
using HotZk.Engine.Sessions;
using HotZk.Replication.Zab;

namespace HotZk.Replication.Server;

/// <summary>
/// Stands in for a learner's client on the leader: carries the client's identities for ACL checks.
/// Replies go nowhere (the learner answers its client when it applies the txn) unless the request
/// ended without a txn; then the learner is told so it can answer.
/// </summary>
internal sealed class RemoteConnection(long learner, AuthInfo auth, PeerLoop loop) : IClientConnection
{
    public AuthInfo Auth { get; } = auth;

    public void SendReply(Request request)
    {
        if (request.Zxid == 0)
        {
            var failure = ForwardedRequest.EncodeOutcome(request.SessionId, request.Xid, request.Err == ErrorCode.Ok ? ErrorCode.SystemError : request.Err);
            loop.Post(p => p.RequestFailed(learner, failure));
        }
        RequestPool.Return(request);
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
