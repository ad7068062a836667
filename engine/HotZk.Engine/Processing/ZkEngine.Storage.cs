using HotZk.Common;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Engine.Processing;

public sealed partial class ZkEngine
{
    private void Recover()
    {
        long snapZxid = 0;
        long now = Monotonic();
        if (_snapshots is not null)
        {
            foreach (var snap in _snapshots.ListValid())
            {
                try
                {
                    using var stream = _snapshots.Open(snap);
                    var (tree, zxid, sessions) = SnapshotSerializer.Read(stream, _options.ExtendedTypesEnabled);
                    InstallTree(tree);
                    foreach (var (id, timeout) in sessions) Sessions.Add(id, timeout, now);
                    snapZxid = zxid;
                    _logSink($"INFO loaded snapshot 0x{zxid:x} ({Tree.NodeCount} nodes, {sessions.Count} sessions) from {snap.Path}");
                    break;
                }
                catch (Exception e) when (e is InvalidDataException or JuteException or IOException)
                {
                    _logSink($"WARN snapshot {snap.Path} is unreadable, trying an older one: {e.Message}");
                }
            }
        }

        int replayed = 0;
        foreach (var logged in _log.ReadAfter(snapZxid))
        {
            var txn = TxnSerializer.Read(logged.Txn.Span);
            ApplyRecovered(txn, now);
            replayed++;
        }
        _lastZxid = Math.Max(Tree.LastProcessedZxid, _log.LastAppendedZxid);
        Volatile.Write(ref _lastApplied, Tree.LastProcessedZxid);
        _txnsSinceSnapshot = replayed;
        _logSink($"INFO recovered to zxid 0x{Tree.LastProcessedZxid:x}: snapshot 0x{snapZxid:x} + {replayed} txns from the log; {Tree.NodeCount} nodes, {Sessions.Count} sessions");
    }

    private void InstallTree(DataTree tree)
    {
        Tree = tree;
        Prep = new PrepProcessor(tree, _options);
        tree.Watches.CanRead = (w, acl) => w is not IClientConnection c || Auth.AclChecker.Check(acl, Perms.Read, c.Auth, _options.SkipAcl);
    }

    /// <summary>Applies a txn read back from the log (no replies, no watchers yet).</summary>
    private void ApplyRecovered(Txn txn, long now)
    {
        Tree.ProcessTxn(txn);
        switch (txn.Type)
        {
            case OpCode.CreateSession:
                Sessions.Add(txn.ClientId, txn.Timeout, now);
                break;
            case OpCode.CloseSession:
                Sessions.Remove(txn.ClientId);
                break;
        }
    }

    private void ResetSnapThreshold()
    {
        int n = Math.Max(2, _options.SnapCount);
        _snapThreshold = (n / 2) + _random.Next(n / 2);
    }

    private void MaybeSnapshot()
    {
        if (_snapshots is null || _txnsSinceSnapshot < _snapThreshold) return;
        TakeSnapshot();
    }

    /// <summary>Writes a snapshot of the applied state now (engine thread).</summary>
    public void TakeSnapshot()
    {
        if (_snapshots is null) return;
        long zxid = Tree.LastProcessedZxid;
        var sessions = new List<(long, int)>(Sessions.Count);
        foreach (var s in Sessions.Sessions.Values) if (!s.Pending) sessions.Add((s.Id, s.Timeout));
        try
        {
            _log.Roll();
            _snapshots.Save(zxid, stream => SnapshotSerializer.Write(stream, Tree, zxid, sessions));
            _logSink($"INFO snapshot 0x{zxid:x} written ({Tree.NodeCount} nodes)");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logSink($"ERROR snapshot 0x{zxid:x} failed: {e.Message}");
        }
        _txnsSinceSnapshot = 0;
        ResetSnapThreshold();
    }

    /// <summary>
    /// A batch could not be made durable. Everything from <paramref name="fromZxid"/> on is
    /// failed back to its clients, the log is cut back to the last good txn, and prep forgets
    /// the lost changes; the server keeps serving reads and retries writes as they come.
    /// </summary>
    private void HandleLogFailure(long fromZxid, Exception error)
    {
        _logSink($"ERROR txn log write failed at zxid 0x{fromZxid:x}: {error.Message}; failing in-flight writes, reads continue");
        try { _log.Flush(); } catch (Exception e) { _logSink($"ERROR flush after failure: {e.Message}"); }
        Interlocked.Increment(ref _logGeneration);
        try { _log.TruncateAfter(fromZxid - 1); } catch (Exception e) { _logSink($"ERROR truncating log after failure: {e.Message}"); }

        while (_inFlight.Count > 0)
        {
            var (txn, r) = _inFlight.Dequeue();
            Interlocked.Decrement(ref _outstanding);
            switch (txn.Type)
            {
                case OpCode.CreateSession:
                    {
                        var s = Sessions.Get(txn.ClientId);
                        Sessions.Remove(txn.ClientId);
                        s?.Connection?.Close("could not log the new session");
                        continue;
                    }
                case OpCode.CloseSession:
                    {
                        var s = Sessions.Get(txn.ClientId);
                        if (s is not null) s.Closing = false;
                        break;
                    }
            }
            if (r is null) continue;
            r.Err = LogFailureError;
            r.Results = null;
            r.Done = true;
            if (r.Session is not null) Drain(r.Session);
        }
        Prep.Reset();
        _lastZxid = Math.Max(Tree.LastProcessedZxid, fromZxid - 1);
    }
}
