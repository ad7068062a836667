using HotZk.Common;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Engine.Processing;

public sealed partial class ZkEngine
{
    private void Recover()
    {
        long now = Monotonic();
        bool replaced = false;
        if (_snapshots is not null)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            // Newest first; each image's checksum is verified while it is read (a damaged one throws at its end).
            foreach (var snap in _snapshots.ListCandidates())
            {
                clock.Restart();
                SnapshotImage image;
                try
                {
                    using var stream = _snapshots.Open(snap);
                    image = SnapshotSerializer.ReadImage(stream, _options.ExtendedTypesEnabled);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // A damaged image can fail anywhere in its parse; the checksum at its end is only the last line of defence.
                    _logSink($"WARN snapshot {snap.Path} is unreadable, trying an older one: {e.Message}");
                    continue;
                }
                InstallRecovered(image.Tree, image.Sessions, now);
                replaced = true;
                _logSink($"INFO loaded snapshot 0x{image.Zxid:x} ({Tree.NodeCount} nodes, {image.Sessions.Count} sessions) from {snap.Path} in {clock.ElapsedMilliseconds} ms");
                try
                {
                    ReplayLog(image.Zxid, image.DigestZxid, image.Digest, now);
                    return;
                }
                catch (TreeDigestMismatchException e)
                {
                    // The image (or the log after it) does not rebuild the tree it was taken from: an older image and a longer replay might.
                    _logSink($"WARN snapshot {snap.Path}: {e.Message}; trying an older one");
                    image.Tree.Dispose();
                }
            }
        }
        if (replaced) InstallRecovered(new DataTree(_options.ExtendedTypesEnabled), [], now);
        ReplayLog(0, null, 0, now);
    }

    private void InstallRecovered(DataTree tree, List<(long Id, int Timeout)> sessions, long now)
    {
        InstallTree(tree);
        foreach (var id in Sessions.Sessions.Keys.ToList()) Sessions.Remove(id);
        foreach (var (id, timeout) in sessions) Sessions.Add(id, timeout, now);
    }

    /// <summary>
    /// Replays the log after <paramref name="fromZxid"/>. When the image recorded a digest, the tree
    /// must have exactly that digest once the replay reaches <paramref name="digestZxid"/>.
    /// </summary>
    private void ReplayLog(long fromZxid, long? digestZxid, ulong digest, long now)
    {
        bool verified = digestZxid is null;
        if (!verified && digestZxid <= fromZxid)
        {
            VerifyDigest(digestZxid!.Value, digest);
            verified = true;
        }
        int replayed = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool first = true;
        foreach (var batch in ReadLogAhead(fromZxid))
        {
            foreach (var txn in batch)
            {
                if (first)
                {
                    first = false;
                    // The log must continue exactly where the image ends (zxids are contiguous within an
                    // epoch); a gap means segments are missing, and serving the tree would hide lost writes.
                    bool continues = fromZxid == 0 ? (txn.Zxid & 0xFFFFFFFFL) == 1 : Storage.TxnLogFormat.IsValidSuccessor(fromZxid, txn.Zxid, requireContiguous: true);
                    if (!continues)
                        throw new InvalidDataException($"the txn log has a hole: the image ends at zxid 0x{fromZxid:x} but the log continues at 0x{txn.Zxid:x}; refusing to serve a partial tree");
                }
                ApplyRecovered(txn, now);
                replayed++;
                if (!verified && txn.Zxid >= digestZxid)
                {
                    if (txn.Zxid == digestZxid) VerifyDigest(txn.Zxid, digest);
                    else _logSink($"WARN the log has no txn 0x{digestZxid:x} (the snapshot's digest point); digest not checked");
                    verified = true;
                }
            }
        }
        if (!verified) _logSink($"WARN the log ends before 0x{digestZxid:x} (the snapshot's digest point; forceSync=no?); digest not checked");
        var orphans = Tree.FindOrphans();
        if (orphans.Count > 0)
        {
            // A node whose parent is gone can only come from a damaged image or log: refuse to serve it.
            throw new InvalidDataException($"recovered tree is inconsistent: {orphans.Count} node(s) without a parent, e.g. {orphans[0]}");
        }
        _lastZxid = Math.Max(Tree.LastProcessedZxid, _log.LastAppendedZxid);
        Volatile.Write(ref _lastApplied, Tree.LastProcessedZxid);
        _txnsSinceSnapshot = replayed;
        _logSink($"INFO recovered to zxid 0x{Tree.LastProcessedZxid:x}: snapshot 0x{fromZxid:x} + {replayed} txns from the log in {clock.ElapsedMilliseconds} ms; {Tree.NodeCount} nodes, {Sessions.Count} sessions, digest {Tree.Digest:x16}");
    }

    /// <summary>
    /// The log after <paramref name="fromZxid"/>, read, checked and decoded on a second thread in
    /// batches while this one applies (replay is the other half of a restart). Errors of the reader
    /// (a hole, a damaged record) surface here in order; the reader stops when the caller does.
    /// </summary>
    private IEnumerable<List<Txn>> ReadLogAhead(long fromZxid)
    {
        const int BatchSize = 512;
        using var cancel = new CancellationTokenSource();
        using var batches = new System.Collections.Concurrent.BlockingCollection<List<Txn>>(boundedCapacity: 16);
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
        var reader = Task.Factory.StartNew(() =>
        {
            try
            {
                var batch = new List<Txn>(BatchSize);
                foreach (var logged in _log.ReadAfter(fromZxid))
                {
                    batch.Add(TxnSerializer.Read(logged.Txn.Span));
                    if (batch.Count == BatchSize)
                    {
                        batches.Add(batch, cancel.Token);
                        batch = new List<Txn>(BatchSize);
                    }
                }
                if (batch.Count > 0) batches.Add(batch, cancel.Token);
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                // the applier stopped early (its own exception is on its way)
            }
            catch (Exception e)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                batches.CompleteAdding();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        try
        {
            foreach (var batch in batches.GetConsumingEnumerable()) yield return batch;
        }
        finally
        {
            cancel.Cancel();
            reader.Wait();
        }
        failure?.Throw();
    }

    private void VerifyDigest(long zxid, ulong expected)
    {
        if (Tree.Digest != expected)
            throw new TreeDigestMismatchException($"tree digest at zxid 0x{zxid:x} is {Tree.Digest:x16}, the snapshot recorded {expected:x16}");
        _logSink($"INFO tree digest verified at zxid 0x{zxid:x} ({expected:x16})");
    }

    /// <summary>Image plus log did not rebuild the tree the image recorded.</summary>
    private sealed class TreeDigestMismatchException(string message) : Exception(message);

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
        long bytes = _options.SnapSizeLimitBytes;
        _snapBytesThreshold = bytes <= 0 ? long.MaxValue : (bytes / 2) + _random.NextInt64(Math.Max(1, bytes / 2));
    }

    private void MaybeSnapshot()
    {
        if (_snapshots is null || _snapshotJob is not null) return;
        // ZooKeeper's rule: snapCount txns or snapSizeLimitInKb of log, each with its own jitter.
        if (_txnsSinceSnapshot < _snapThreshold && _log.BytesSinceRoll < _snapBytesThreshold) return;
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
                foreach (var (chunk, length) in job.Chunks.GetConsumingEnumerable())
                {
                    stream.Write(chunk, 0, length);
                    System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
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
        // Pooled chunks: a 1M-node image is ~200 MB, and fresh arrays for it would pile up on the large object heap.
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(buf.WrittenSpan.Length);
        buf.WrittenSpan.CopyTo(chunk);
        job.Chunks.Add((chunk, buf.WrittenSpan.Length));
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
    private long _snapBytesThreshold = long.MaxValue;

    private sealed class SnapshotJob(SnapshotWriter writer)
    {
        public const int NodesPerSlice = 2048;
        public const int MaxQueuedChunks = 64;
        public readonly SnapshotWriter Writer = writer;
        public readonly System.Collections.Concurrent.BlockingCollection<(byte[] Chunk, int Length)> Chunks = new(MaxQueuedChunks * 2);
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
