namespace HotZk.Engine.Processing;

/// <summary>
/// What the engine asks of the ensemble layer (implemented in replication/). Every call comes
/// from the engine thread and must return without blocking: implementations copy what they need.
/// </summary>
public interface IEnsembleLink
{
    /// <summary>Learner: sends a client write (or sync) to the leader; the request keeps waiting in its session's queue.</summary>
    void Forward(Request request);

    /// <summary>Learner: asks the leader to create a session that connected here.</summary>
    void ForwardCreateSession(long sessionId, int timeout);

    /// <summary>Learner: sessions whose clients were heard from since the last report (for the leader's expiry).</summary>
    void SessionsTouched(long[] sessionIds);

    /// <summary>Leader: this server must not go on leading (e.g. the zxid counter is exhausted).</summary>
    void StepDown(string reason);
}
