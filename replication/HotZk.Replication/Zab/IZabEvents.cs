namespace HotZk.Replication.Zab;

/// <summary>Events a <see cref="ZabPeer"/> consumes from its log and state machine (posted to the peer's thread by the driver).</summary>
public interface IZabEvents
{
    /// <summary>The local log made every txn up to <paramref name="zxid"/> durable.</summary>
    void OnDurable(long zxid);

    /// <summary>The local log could not store txns from <paramref name="fromZxid"/> on.</summary>
    void OnLogFailed(long fromZxid, Exception error);
}
