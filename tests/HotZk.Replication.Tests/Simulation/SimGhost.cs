namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// What the simulation knows that no server does: every txn any leader ever created, by zxid
/// (one leader per epoch makes a zxid name one txn forever), and the violations found while running.
/// </summary>
internal sealed class SimGhost(SimScheduler scheduler, SimTrace trace)
{
    private readonly Dictionary<long, byte[]> _txns = [];

    public List<string> Violations { get; } = [];

    public IReadOnlyDictionary<long, byte[]> Txns => _txns;

    /// <summary>A leader's state machine made a txn.</summary>
    public void Created(long node, long zxid, byte[] txn)
    {
        if (_txns.TryGetValue(zxid, out var existing))
        {
            if (!existing.AsSpan().SequenceEqual(txn))
                Violation($"node {node} created txn 0x{zxid:x} = {SimTxn.Decode(txn)}, but 0x{zxid:x} already is {SimTxn.Decode(existing)} (two leaders in one epoch?)");
            return;
        }
        _txns[zxid] = txn;
    }

    /// <summary>A server applied a txn: it must be the one its leader created.</summary>
    public void Applied(long node, long zxid, ReadOnlySpan<byte> txn)
    {
        if (!_txns.TryGetValue(zxid, out var created))
            Violation($"node {node} applied txn 0x{zxid:x} that no leader created");
        else if (!created.AsSpan().SequenceEqual(txn))
            Violation($"node {node} applied txn 0x{zxid:x} with different bytes than created");
    }

    public void Violation(string what)
    {
        trace.Add(scheduler.Now, 0, "VIOLATION", text: what);
        Violations.Add($"t={scheduler.Now}: {what}");
        scheduler.Halted = true;
    }
}
