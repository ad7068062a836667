using Microsoft.Win32.SafeHandles;

namespace HotZk.Engine.Storage;

public sealed partial class FileTxnLog
{
    private const long InlineReserve = 256 << 10;
    private static readonly byte[] Zeros = new byte[1 << 20];
    private readonly List<Outcome> _outcomes = new(8);

    private readonly record struct Outcome(bool Durable, long From, long To, Exception? Error);

    private void FlusherLoop()
    {
        while (true)
        {
            AppendBatch batch;
            lock (_gate)
            {
                while (_pending.IsEmpty && !_stopping)
                {
                    _flusherWaiting = true;
                    Monitor.Wait(_gate);
                    _flusherWaiting = false;
                }

                if (_pending.IsEmpty)
                {
                    return; // stopping, and everything appended has been handled
                }

                // The swap is the whole critical section: appends go on into the other buffer
                // and form the next batch while this one is written and synced.
                (_pending, _flushing) = (_flushing, _pending);
                batch = _flushing;
            }

            long handled = batch.TotalCount;
            _outcomes.Clear();
            lock (_ioLock)
            {
                handled += WriteBatch(batch);
            }

            batch.Clear();
            Report();
            lock (_gate)
            {
                _processedCount += handled;
                if (_flushWaiters > 0)
                {
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    /// <summary>
    /// Writes the batch, one part per segment it touches. Returns how many further appends (taken
    /// from the pending buffer after a failure) it accounted for.
    /// </summary>
    private int WriteBatch(AppendBatch batch)
    {
        if (batch.DoomedCount > 0)
        {
            _outcomes.Add(new Outcome(false, batch.DoomedFrom, batch.DoomedTo, ChainBroken(CurrentFailedFrom())));
        }

        if (batch.Count == 0)
        {
            return 0;
        }

        var breaks = batch.Breaks;
        int nextBreak = 0;
        int startIndex = 0;
        int startOffset = 0;
        bool startsSegment = false;
        if (breaks.Count > 0 && breaks[0].Index == 0)
        {
            startsSegment = true;
            nextBreak = 1;
        }

        long firstFailed = 0;
        bool rollLost = false;
        while (true)
        {
            int endIndex = nextBreak < breaks.Count ? breaks[nextBreak].Index : batch.Count;
            int endOffset = nextBreak < breaks.Count ? breaks[nextBreak].Offset : batch.Length;
            long from = batch.ZxidAt(startIndex);
            long to = batch.ZxidAt(endIndex - 1);
            if (firstFailed != 0)
            {
                _outcomes.Add(new Outcome(false, from, to, ChainBroken(firstFailed)));
                rollLost |= startsSegment;
            }
            else
            {
                try
                {
                    WritePart(batch.Bytes[startOffset..endOffset], from, to, startsSegment);
                    _outcomes.Add(new Outcome(true, from, to, null));
                }
                catch (Exception ex)
                {
                    firstFailed = from;
                    rollLost |= startsSegment;
                    _outcomes.Add(new Outcome(false, from, to, ex));
                    Log($"txn log: batch 0x{from:x}..0x{to:x} failed: {ex.Message}");
                    RollBackCurrent();
                }
            }

            if (endIndex == batch.Count)
            {
                break;
            }

            startIndex = endIndex;
            startOffset = endOffset;
            startsSegment = true;
            nextBreak++;
        }

        return firstFailed == 0 ? 0 : FailQueuedAppends(firstFailed, rollLost);
    }

    private long CurrentFailedFrom()
    {
        lock (_gate)
        {
            return _failedFrom;
        }
    }

    /// <summary>
    /// After a failed batch: rewinds the append position to the durable tip and fails everything
    /// already queued behind the batch, since those txns were built on the failed ones.
    /// </summary>
    private int FailQueuedAppends(long firstFailed, bool rollLost)
    {
        lock (_gate)
        {
            _lastAppendedZxid = _durableZxid;
            _failedFrom = firstFailed;
            var queued = _pending;
            int count = queued.TotalCount;
            if (queued.DoomedCount > 0)
            {
                _outcomes.Add(new Outcome(false, queued.DoomedFrom, queued.DoomedTo, ChainBroken(firstFailed)));
            }

            if (queued.Count > 0)
            {
                _outcomes.Add(new Outcome(false, queued.FirstZxid, queued.LastZxid, ChainBroken(firstFailed)));
                rollLost |= queued.Breaks.Count > 0;
            }

            queued.Clear();
            _rollRequested |= rollLost;
            return count;
        }
    }

    private void WritePart(ReadOnlySpan<byte> bytes, long from, long to, bool startsSegment)
    {
        _options.BeforeBatchWrite?.Invoke(from, to);
        if (_current is { DirtyTail: true } dirty)
        {
            CutTail(dirty);
        }

        // A full segment is not grown: the batch goes to a fresh, already reserved segment.
        if (startsSegment || _current is null || _current.End + bytes.Length > _current.AllocatedEnd)
        {
            StartSegment(from);
        }

        var segment = _current!;
        var handle = segment.Handle!;
        EnsureAllocated(segment, segment.End + bytes.Length); // only a batch larger than a whole segment
        RandomAccess.Write(handle, bytes, segment.End);
        if (_options.ForceSync)
        {
            NativeFile.Sync(handle, _options.UseFdatasync);
        }

        lock (_gate)
        {
            segment.End += bytes.Length;
            segment.LastZxid = to;
            Volatile.Write(ref _durableZxid, to);
        }
    }

    private void StartSegment(long firstZxid)
    {
        if (_current is { } previous)
        {
            if (previous.HasRecords)
            {
                // A finished segment carries no preallocated tail, so recovery can tell that its
                // data must run to EOF.
                CutTail(previous);
                previous.CloseHandle();
            }
            else
            {
                DeleteSegment(previous);
            }

            _current = null;
        }

        var segment = new TxnLogSegment(Path.Combine(_directory, TxnLogFormat.SegmentFileName(firstZxid)), firstZxid);
        bool fromSpare = TakeSpare(segment);
        SafeFileHandle handle;
        if (fromSpare)
        {
            handle = segment.OpenForWrite();
        }
        else
        {
            handle = segment.Create();
        }

        lock (_gate)
        {
            _segments.Add(segment);
        }

        _current = segment;
        if (!fromSpare)
        {
            // No spare ready: reserve space the fast way (never a long zero-fill on the commit path).
            Span<byte> header = stackalloc byte[TxnLogFormat.FileHeaderSize];
            TxnLogFormat.WriteFileHeader(header);
            RandomAccess.Write(handle, header, 0);
            segment.AllocatedEnd = TxnLogFormat.FileHeaderSize;

            // Keep it small, so the log moves to a properly prepared segment soon.
            EnsureAllocated(segment, TxnLogFormat.FileHeaderSize + Math.Min(_options.PreallocationSize, InlineReserve));
            if (_options.ForceSync)
            {
                RandomAccess.FlushToDisk(handle);
            }
        }

        if (_options.ForceSync)
        {
            NativeFile.SyncDirectory(_directory);
        }

        RequestSpare();
    }

    /// <summary>Undoes a failed write: the current segment goes back to its last durable byte.</summary>
    private void RollBackCurrent()
    {
        var segment = _current;
        if (segment is null)
        {
            return;
        }

        if (!segment.HasRecords)
        {
            DeleteSegment(segment);
            _current = null;
            return;
        }

        try
        {
            CutTail(segment);
        }
        catch (Exception ex)
        {
            segment.DirtyTail = true;
            Log($"txn log: could not cut {segment} back to {segment.End} after a failed write (will retry before the next write): {ex.Message}");
        }
    }

    private void DeleteSegment(TxnLogSegment segment)
    {
        segment.CloseHandle();
        lock (_gate)
        {
            _segments.Remove(segment);
        }

        try
        {
            File.Delete(segment.Path);
            NativeFile.SyncDirectory(_directory);
        }
        catch (Exception ex)
        {
            // Harmless: a segment without records is dropped by recovery or overwritten on reuse.
            Log($"txn log: could not delete empty segment {segment}: {ex.Message}");
        }
    }

    /// <summary>Shrinks the file to the durable end, dropping preallocation and any partial write.</summary>
    private void CutTail(TxnLogSegment segment)
    {
        var handle = segment.Handle!;
        RandomAccess.SetLength(handle, segment.End);
        segment.AllocatedEnd = segment.End;
        RandomAccess.FlushToDisk(handle);
        segment.DirtyTail = false;
    }

    private void EnsureAllocated(TxnLogSegment segment, long needed)
    {
        if (needed <= segment.AllocatedEnd)
        {
            return;
        }

        long step = Math.Min(_options.PreallocationSize, InlineReserve);
        long steps = (needed - segment.AllocatedEnd + step - 1) / step;
        long newEnd = segment.AllocatedEnd + (steps * step);
        var mode = _options.Preallocation == TxnLogPreallocation.ZeroFill ? TxnLogPreallocation.Allocate : _options.Preallocation;
        Reserve(segment.Handle!, segment.AllocatedEnd, newEnd, mode);
        segment.AllocatedEnd = newEnd;
    }

    /// <summary>Makes [from, to) of the file reserved zeros, the way <paramref name="mode"/> says.</summary>
    private static void Reserve(SafeFileHandle handle, long from, long to, TxnLogPreallocation mode, long syncEvery = 0)
    {
        switch (mode)
        {
            case TxnLogPreallocation.ZeroFill:
                long unsynced = 0;
                while (from < to)
                {
                    int n = (int)Math.Min(Zeros.Length, to - from);
                    RandomAccess.Write(handle, Zeros.AsSpan(0, n), from);
                    from += n;
                    unsynced += n;
                    if (syncEvery > 0 && unsynced >= syncEvery)
                    {
                        // Keep the dirty zeros small: on ext4 (data=ordered) the live segment's next
                        // fdatasync would otherwise wait for all 64 MB of a freshly allocated spare.
                        RandomAccess.FlushToDisk(handle);
                        unsynced = 0;
                    }
                }

                break;
            case TxnLogPreallocation.Allocate when NativeFile.TryAllocate(handle, from, to - from):
                break;
            default:
                RandomAccess.SetLength(handle, to);
                break;
        }
    }

    private void Report()
    {
        var listener = Listener;
        for (int i = 0; i < _outcomes.Count; i++)
        {
            var o = _outcomes[i];
            try
            {
                if (o.Durable)
                {
                    // One OnDurable per batch, even when a roll split it into two writes.
                    if (i + 1 < _outcomes.Count && _outcomes[i + 1].Durable)
                    {
                        continue;
                    }

                    listener?.OnDurable(o.To);
                }
                else
                {
                    listener?.OnFailed(o.From, o.To, o.Error!);
                }
            }
            catch (Exception ex)
            {
                Log($"txn log: listener threw: {ex}");
            }
        }

        _outcomes.Clear();
    }

    private static IOException ChainBroken(long firstFailed) => new(
        $"Not logged: appended on top of txns from zxid 0x{firstFailed:x} that failed to be logged. " +
        "Rewind and append again from DurableZxid + 1.");
}
