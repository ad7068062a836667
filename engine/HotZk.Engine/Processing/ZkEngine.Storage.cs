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
        var orphans = Tree.FindOrphans();
        if (orphans.Count > 0)
        {
            // A node whose parent is gone can only come from a damaged image or log: refuse to serve it.
            throw new InvalidDataException($"recovered tree is inconsistent: {orphans.Count} node(s) without a parent, e.g. {orphans[0]}");
        }
        _lastZxid = Math.Max(Tree.LastProcessedZxid, _log.LastAppendedZxid);
        Volatile.Write(ref _lastApplied, Tree.LastProcessedZxid);
        _txnsSinceSnapshot = replayed;
        _logSink($"INFO recovered to zxid 0x{Tree.LastProcessedZxid:x}: snapshot 0x{snapZxid:x} + {replayed} txns from the log; {Tree.NodeCount} nodes, {Sessions.Count} sessions");
    }

    /// <summary>Makes <paramref name="tree"/> the served tree, with a fresh prep state and the READ filter on watch delivery.</summary>
    [System.Diagnostics.CodeAnalysis.MemberNotNull(nameof(Tree), nameof(Prep))]
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
        if (_snapshots is null || _snapshotJob is not null || _txnsSinceSnapshot < _snapThreshold) return;
        BeginSnapshot();
    }

    /// <summary>
    /// Starts a snapshot at the current applied zxid. The engine thread serializes it in slices
    /// between requests (<see cref="WorkKind.SnapshotSlice"/>) and a background thread streams the
    /// slices into the snapshot store, so request processing never waits for the whole tree.
    /// </summary>
    public void BeginSnapshot()
    {
        if (_snapshots is null || _snapshotJob is not null) return;
        long zxid = Tree.LastProcessedZxid;
        var sessions = new List<(long, int)>(Sessions.Count);
        foreach (var s in Sessions.Sessions.Values) if (!s.Pending) sessions.Add((s.Id, s.Timeout));
        try
        {
            _log.Roll();
        }
        catch (IOException e)
        {
            _logSink($"ERROR snapshot 0x{zxid:x} not started: rolling the log failed: {e.Message}");
            return;
        }
        var job = new SnapshotJob(new SnapshotWriter(Tree, zxid, sessions));
        _snapshotJob = job;
        var store = _snapshots;
        job.SaveTask = Task.Factory.StartNew(() =>
        {
            store.Save(zxid, stream =>
            {
                foreach (var chunk in job.Chunks.GetConsumingEnumerable())
                {
                    stream.Write(chunk.Span);
                }
                if (job.Aborted) throw new IOException("snapshot aborted");
            });
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        job.SaveTask.ContinueWith(t =>
        {
            if (t.IsFaulted) _logSink($"ERROR snapshot 0x{zxid:x} failed: {t.Exception?.GetBaseException().Message}");
            else _logSink($"INFO snapshot 0x{zxid:x} written");
            Post(new Work(WorkKind.SnapshotDone, job, 0, 0));
        }, TaskScheduler.Default);
        _txnsSinceSnapshot = 0;
        ResetSnapThreshold();
        Post(new Work(WorkKind.SnapshotSlice, job, 0, 0));
    }

    /// <summary>Serializes one slice of the running snapshot (engine thread).</summary>
    private void SnapshotSlice(SnapshotJob job)
    {
        if (!ReferenceEquals(job, _snapshotJob) || job.Writer.Finished) return;
        if (job.Chunks.Count >= SnapshotJob.MaxQueuedChunks)
        {
            // The disk is behind: yield to requests and come back.
            Post(new Work(WorkKind.SnapshotSlice, job, 0, 0));
            return;
        }
        var buf = job.Buffer;
        buf.Clear();
        bool done = job.Writer.WriteSlice(buf, SnapshotJob.NodesPerSlice);
        job.Chunks.Add(buf.WrittenSpan.ToArray());
        if (done) job.Chunks.CompleteAdding();
        else Post(new Work(WorkKind.SnapshotSlice, job, 0, 0));
    }

    private void SnapshotDone(SnapshotJob job)
    {
        if (ReferenceEquals(job, _snapshotJob)) _snapshotJob = null;
        job.Buffer.Dispose();
        if (_options.AutoPurge && !job.Aborted && job.SaveTask is { IsCompletedSuccessfully: true } && _snapshots is not null)
        {
            try
            {
                // autopurge: keep the newest snapRetainCount images and the log needed to replay after the oldest.
                _snapshots.Purge(Math.Max(3, _options.SnapRetainCount));
                var kept = _snapshots.ListValid();
                if (kept.Count > 0) _log.PurgeBefore(kept[^1].Zxid);
            }
            catch (IOException e)
            {
                _logSink($"WARN purging old snapshots failed: {e.Message}");
            }
        }
    }

    /// <summary>Abandons a running snapshot (shutdown): the store never publishes it.</summary>
    private void AbortSnapshot()
    {
        var job = _snapshotJob;
        if (job is null) return;
        job.Aborted = true;
        if (!job.Chunks.IsAddingCompleted) job.Chunks.CompleteAdding();
        try { job.SaveTask?.Wait(TimeSpan.FromSeconds(10)); } catch (AggregateException) { }
        _snapshotJob = null;
    }

    /// <summary>True while a snapshot is being written.</summary>
    public bool SnapshotInProgress => _snapshotJob is not null;

    private SnapshotJob? _snapshotJob;

    private sealed class SnapshotJob(SnapshotWriter writer)
    {
        public const int NodesPerSlice = 2048;
        public const int MaxQueuedChunks = 64;
        public readonly SnapshotWriter Writer = writer;
        public readonly System.Collections.Concurrent.BlockingCollection<ReadOnlyMemory<byte>> Chunks = new(MaxQueuedChunks * 2);
        public readonly ByteBuffer Buffer = new(1 << 18);
        public Task? SaveTask;
        public volatile bool Aborted;
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
                        if (s is not null)
                        {
                            // Back on an expiry timer, so an expired session is retried rather than kept forever.
                            s.Closing = false;
                            Sessions.Touch(s, Monotonic());
                        }
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
