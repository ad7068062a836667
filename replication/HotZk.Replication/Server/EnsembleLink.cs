using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Replication.Zab;

namespace HotZk.Replication.Server;

/// <summary>The engine's requests to the ensemble, posted to the peer thread (never blocking the engine).</summary>
internal sealed class EnsembleLink(PeerLoop loop) : IEnsembleLink
{
    public void Forward(Request request)
    {
        if (request.Op == OpCode.Sync)
        {
            var sync = ForwardedRequest.EncodeOutcome(request.SessionId, request.Xid, ErrorCode.Ok);
            loop.Post(p => p.ForwardSync(sync));
            return;
        }
        loop.Forward(ForwardedRequest.EncodeWrite(request));
    }

    public void ForwardCreateSession(long sessionId, int timeout)
    {
        loop.Forward(ForwardedRequest.EncodeCreateSession(sessionId, timeout));
    }

    public void SessionsTouched(long[] sessionIds)
    {
        var payload = ForwardedRequest.EncodeSessions(sessionIds);
        loop.Post(p => p.ReportSessions(payload));
    }

    public void StepDown(string reason) => loop.Post(p => p.StepDown(reason));
}
