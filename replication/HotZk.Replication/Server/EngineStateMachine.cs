using HotZk.Common;
using HotZk.Engine.Processing;
using HotZk.Net;
using HotZk.Replication.Zab;

namespace HotZk.Replication.Server;

/// <summary>The engine as ZAB's replicated state machine. Runs on the peer thread; waits on the engine where ZAB needs an answer.</summary>
internal sealed class EngineStateMachine(ZkEngine engine, ReplicatedTxnLog log, PeerLoop loop, int maxFieldLength, Action<string> logSink) : IReplicatedStateMachine
{
    public long LastAppliedZxid => engine.LastProcessedZxid;

    public void BecomeLooking() => engine.SetRoleAsync(EngineRole.Looking).Wait();

    public void BecomeLeader(long epoch) => engine.SetRoleAsync(EngineRole.Leader, epoch).Wait();

    public void BecomeLearner(long leader, bool observer) => engine.SetRoleAsync(observer ? EngineRole.Observer : EngineRole.Follower).Wait();

    public long CatchUp(long upToZxid) => engine.CatchUpFromLogAsync(upToZxid).GetAwaiter().GetResult();

    public long Reload() => engine.ReloadAsync().GetAwaiter().GetResult();

    public void Committed(long zxid) => log.EngineListener?.OnDurable(zxid);

    public void ApplyCommitted(long zxid, ReadOnlyMemory<byte> txn) => engine.ApplyCommitted(zxid, txn);

    public void SubmitForwarded(long from, ReadOnlyMemory<byte> request)
    {
        try
        {
            if (request.Span[0] == ForwardedRequest.CreateSession)
            {
                var (id, timeout) = ForwardedRequest.DecodeCreateSession(request.Span);
                engine.SubmitRemoteCreateSession(id, timeout);
                return;
            }
            var (session, auth, frame) = ForwardedRequest.DecodeWrite(request);
            var r = RequestPool.Rent();
            r.SessionId = session;
            r.Connection = new RemoteConnection(from, auth, loop);
            var status = RequestDecoder.Decode(frame.Span, r, maxFieldLength);
            switch (status)
            {
                case DecodeStatus.Ok:
                    break;
                case DecodeStatus.Malformed when r.IsWrite && r.Op != OpCode.CloseSession:
                    // As on a standalone server: a write whose body does not parse becomes an error txn.
                    r.Malformed = true;
                    r.Ops = null;
                    break;
                default:
                    r.Err = status == DecodeStatus.Malformed ? ErrorCode.MarshallingError : ErrorCode.Unimplemented;
                    r.Connection.SendReply(r);
                    return;
            }
            engine.SubmitRemote(r);
        }
        catch (Exception e) when (e is InvalidDataException or IndexOutOfRangeException or ArgumentException)
        {
            logSink($"WARN bad forwarded request from server {from}: {e.Message}");
        }
    }

    public void ForwardFailed(ReadOnlyMemory<byte> failure)
    {
        var (session, cxid, err) = ForwardedRequest.DecodeOutcome(failure.Span);
        engine.CompleteForwarded(session, cxid, err);
    }

    public void SyncDone(ReadOnlyMemory<byte> sync)
    {
        var (session, cxid, _) = ForwardedRequest.DecodeOutcome(sync.Span);
        engine.CompleteSync(session, cxid);
    }

    public void SessionsTouched(ReadOnlyMemory<byte> touches) => engine.TouchSessions(ForwardedRequest.DecodeSessions(touches.Span));

    public long SaveSnapshot() => engine.SaveSnapshotNowAsync().GetAwaiter().GetResult();
}
