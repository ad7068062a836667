using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using FASTER.core;

namespace HotZk.Engine.Faster;

/// <summary>
/// A FASTER-backed store of znode records: key = the path's UTF-8 bytes, value = a
/// <see cref="NodeMeta"/> (72 bytes) followed by the data bytes. Records live in FASTER's hybrid
/// log (native memory, spilling to <c>{Directory}/log</c> when larger than
/// <see cref="FasterNodeStoreOptions.MemorySizeBits"/>), so neither the data nor the stat fields are
/// on the managed heap.
/// </summary>
/// <remarks>
/// <para><b>Threading.</b> Single writer: one thread (the engine thread) owns the store's one
/// FASTER session and makes every call except <see cref="CheckpointTask"/> awaiting and
/// <see cref="Dispose"/> after that thread stopped. Calls must not overlap; an overlapping call
/// throws <see cref="InvalidOperationException"/>. Checkpoints complete on a background task while
/// the engine thread keeps calling.</para>
/// <para><b>Serial numbers.</b> Every write passes its txn zxid, which becomes the operation's CPR
/// serial number; zxids must not decrease. A checkpoint begun between two txns persists exactly
/// the writes up to the last zxid, and <see cref="Recover"/> returns that zxid.</para>
/// <para><b>Allocation.</b> The span-based calls allocate nothing in steady state; operations that
/// must read from disk (tree larger than memory) allocate FASTER's pending-I/O bookkeeping.</para>
/// </remarks>
public sealed class FasterNodeStore : IDisposable
{
    /// <summary>Name of the engine's FASTER session, persisted in every checkpoint.</summary>
    public const string SessionName = "hotzk-engine";

    /// <summary>Version of the record layout and checkpoint cookie.</summary>
    public const int FormatVersion = 1;

    private const uint CookieMagic = 0x4B5A_4831; // "1HZK" little-endian
    private const int MaxStackPath = 512;
    private static readonly byte[] StampKey = [0]; // never a valid znode path

    private readonly FasterNodeStoreOptions _options;
    private readonly CheckpointCatalog _catalog;
    private readonly NodeFunctions _functions = new();
    private readonly SessionVariableLengthStructSettings<SpanByte, NodeInput> _varLen = new() { valueLength = new NodeValueLength() };
    private IDevice _logDevice = null!;
    private DeviceLogCommitCheckpointManager _checkpointManager = null!;
    private FasterKV<SpanByte, SpanByte> _kv = null!;
    private ClientSession<SpanByte, SpanByte, NodeInput, NodeOutput, Empty, NodeFunctions>? _session;
    private long _serial;
    private long _count;
    private long _sequence;
    private int _busy;
    private bool _recovered;
    private bool _disposed;
    private Task<CheckpointInfo>? _checkpoint;

    /// <summary>Opens (without recovering) a store in <see cref="FasterNodeStoreOptions.Directory"/>.</summary>
    public FasterNodeStore(FasterNodeStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("The record layout is little-endian.");
        _options = options;
        Directory.CreateDirectory(options.Directory);
        _catalog = new CheckpointCatalog(CheckpointDirectory);
        _sequence = _catalog.MaxSequence();
        CreateKv();
    }

    /// <summary>Folder of the hybrid log segments.</summary>
    public string LogDirectory => Path.Combine(_options.Directory, "log");

    /// <summary>Folder of the checkpoints.</summary>
    public string CheckpointDirectory => Path.Combine(_options.Directory, "checkpoints");

    /// <summary>Number of live nodes.</summary>
    public long Count => _count;

    /// <summary>Highest zxid passed to a write (or restored by <see cref="Recover"/>).</summary>
    public long LastZxid => _serial;

    /// <summary>The checkpoint in flight, if any; completes on a background task.</summary>
    public Task<CheckpointInfo>? CheckpointTask => _checkpoint;

    /// <summary>Whether a checkpoint has been begun and not yet collected by <see cref="TryCompleteCheckpoint"/>.</summary>
    public bool CheckpointInFlight => _checkpoint is not null;

    /// <summary>Hybrid log addresses (begin, head, read-only, tail): where memory ends and disk begins.</summary>
    public (long Begin, long Head, long ReadOnly, long Tail) LogAddresses =>
        (_kv.Log.BeginAddress, _kv.Log.HeadAddress, _kv.Log.ReadOnlyAddress, _kv.Log.TailAddress);

    internal FasterKV<SpanByte, SpanByte> Kv => _kv;

    /// <summary>FASTER's checkpoint state-machine phase (REST when idle); for diagnostics.</summary>
    public string CheckpointPhase => _kv.SystemState.Phase.ToString();

    /// <summary>Bytes of native memory the hybrid log's pages occupy now.</summary>
    public long LogMemoryBytes => _kv.Log.MemorySizeBytes;

    // ---------------------------------------------------------------- writes

    /// <summary>
    /// Creates or replaces a node: <paramref name="meta"/> (its <see cref="NodeMeta.DataLength"/>
    /// is ignored) and <paramref name="data"/>, or null data when <paramref name="dataIsNull"/>.
    /// Returns true when the node did not exist.
    /// </summary>
    public unsafe bool Upsert(ReadOnlySpan<byte> path, in NodeMeta meta, ReadOnlySpan<byte> data, bool dataIsNull, long zxid)
    {
        Enter(path, zxid);
        try
        {
            var m = meta;
            fixed (byte* kp = path)
            fixed (byte* dp = data)
            {
                var key = SpanByte.FromPointer(kp, path.Length);
                var input = new NodeInput { Meta = &m, Data = dp, DataLength = dataIsNull ? -1 : data.Length, Op = NodeOp.Put };
                var output = default(NodeOutput);
                var status = _session!.RMW(ref key, ref input, ref output, Empty.Default, zxid);
                if (status.IsPending) status = CompletePendingSingle(ref output);
                ThrowIfFaulted(status, "upsert");
                _serial = zxid;
                if (status.Found) return false;
                _count++;
                return true;
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Replaces a node's meta and keeps its data (in place when the record is in the mutable region). False when the node does not exist.</summary>
    public unsafe bool UpdateMeta(ReadOnlySpan<byte> path, in NodeMeta meta, long zxid)
    {
        Enter(path, zxid);
        try
        {
            var m = meta;
            fixed (byte* kp = path)
            {
                var key = SpanByte.FromPointer(kp, path.Length);
                var input = new NodeInput { Meta = &m, Op = NodeOp.MetaOnly };
                var output = default(NodeOutput);
                var status = _session!.RMW(ref key, ref input, ref output, Empty.Default, zxid);
                if (status.IsPending) status = CompletePendingSingle(ref output);
                ThrowIfFaulted(status, "update");
                _serial = zxid;
                return status.Found;
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Deletes a node. False when it did not exist (nothing is written then).</summary>
    public unsafe bool Delete(ReadOnlySpan<byte> path, long zxid)
    {
        Enter(path, zxid);
        try
        {
            fixed (byte* kp = path)
            {
                var key = SpanByte.FromPointer(kp, path.Length);
                // FASTER's Delete is blind (it cannot tell whether an on-disk record existed), so
                // look first: the count stays exact and a missing node costs no tombstone.
                var input = new NodeInput { Op = NodeOp.ReadMeta };
                var output = default(NodeOutput);
                var status = _session!.Read(ref key, ref input, ref output, Empty.Default, zxid);
                if (status.IsPending) status = CompletePendingSingle(ref output);
                ThrowIfFaulted(status, "delete");
                _serial = zxid;
                if (!status.Found) return false;
                status = _session.Delete(ref key, Empty.Default, zxid);
                if (status.IsPending) status = CompletePendingSingle(ref output);
                ThrowIfFaulted(status, "delete");
                _count--;
                return true;
            }
        }
        finally
        {
            Exit();
        }
    }

    // ---------------------------------------------------------------- reads

    /// <summary>Reads a node's meta (including <see cref="NodeMeta.DataLength"/>) without its data.</summary>
    public unsafe bool TryGetMeta(ReadOnlySpan<byte> path, out NodeMeta meta)
    {
        Enter(path, _serial);
        try
        {
            fixed (byte* kp = path)
            {
                var key = SpanByte.FromPointer(kp, path.Length);
                var input = new NodeInput { Op = NodeOp.ReadMeta };
                var output = default(NodeOutput);
                var status = _session!.Read(ref key, ref input, ref output, Empty.Default, _serial);
                if (status.IsPending) status = CompletePendingSingle(ref output);
                ThrowIfFaulted(status, "read");
                meta = output.Meta;
                return status.Found;
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Whether the node exists.</summary>
    public bool Contains(ReadOnlySpan<byte> path) => TryGetMeta(path, out _);

    /// <summary>
    /// Reads meta and data into <paramref name="destination"/>. The data length (-1 = null) is
    /// <c>meta.DataLength</c>; when it exceeds the destination nothing is copied and
    /// <see cref="NodeReadStatus.DestinationTooSmall"/> is returned.
    /// </summary>
    public unsafe NodeReadStatus ReadData(ReadOnlySpan<byte> path, Span<byte> destination, out NodeMeta meta)
    {
        Enter(path, _serial);
        try
        {
            fixed (byte* kp = path)
            fixed (byte* dp = destination)
            {
                var key = SpanByte.FromPointer(kp, path.Length);
                var input = new NodeInput { Op = NodeOp.ReadData };
                var output = new NodeOutput { Dest = dp, DestCapacity = destination.Length };
                var status = _session!.Read(ref key, ref input, ref output, Empty.Default, _serial);
                if (status.IsPending) status = CompletePendingSingle(ref output);
                ThrowIfFaulted(status, "read");
                meta = output.Meta;
                if (!status.Found) return NodeReadStatus.NotFound;
                return output.Copied ? NodeReadStatus.Ok : NodeReadStatus.DestinationTooSmall;
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Reads meta and appends the data (if any) to <paramref name="destination"/>. False when the node does not exist.</summary>
    public unsafe bool TryReadData(ReadOnlySpan<byte> path, IBufferWriter<byte> destination, out NodeMeta meta, out bool isNull)
    {
        ArgumentNullException.ThrowIfNull(destination);
        Enter(path, _serial);
        try
        {
            fixed (byte* kp = path)
            {
                var key = SpanByte.FromPointer(kp, path.Length);
                var input = new NodeInput { Op = NodeOp.ReadData };
                var output = new NodeOutput { Writer = destination };
                var status = _session!.Read(ref key, ref input, ref output, Empty.Default, _serial);
                if (status.IsPending) status = CompletePendingSingle(ref output);
                ThrowIfFaulted(status, "read");
                meta = output.Meta;
                isNull = status.Found && meta.DataLength < 0;
                return status.Found;
            }
        }
        finally
        {
            Exit();
        }
    }

    // ------------------------------------------------------- string overloads

    /// <summary><see cref="Upsert(ReadOnlySpan{byte}, in NodeMeta, ReadOnlySpan{byte}, bool, long)"/> with a string path.</summary>
    public bool Upsert(string path, in NodeMeta meta, ReadOnlySpan<byte> data, bool dataIsNull, long zxid)
    {
        byte[]? rented = null;
        var key = Encode(path, stackalloc byte[MaxStackPath], ref rented);
        try { return Upsert(key, meta, data, dataIsNull, zxid); }
        finally { if (rented is not null) ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary><see cref="UpdateMeta(ReadOnlySpan{byte}, in NodeMeta, long)"/> with a string path.</summary>
    public bool UpdateMeta(string path, in NodeMeta meta, long zxid)
    {
        byte[]? rented = null;
        var key = Encode(path, stackalloc byte[MaxStackPath], ref rented);
        try { return UpdateMeta(key, meta, zxid); }
        finally { if (rented is not null) ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary><see cref="Delete(ReadOnlySpan{byte}, long)"/> with a string path.</summary>
    public bool Delete(string path, long zxid)
    {
        byte[]? rented = null;
        var key = Encode(path, stackalloc byte[MaxStackPath], ref rented);
        try { return Delete(key, zxid); }
        finally { if (rented is not null) ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary><see cref="TryGetMeta(ReadOnlySpan{byte}, out NodeMeta)"/> with a string path.</summary>
    public bool TryGetMeta(string path, out NodeMeta meta)
    {
        byte[]? rented = null;
        var key = Encode(path, stackalloc byte[MaxStackPath], ref rented);
        try { return TryGetMeta(key, out meta); }
        finally { if (rented is not null) ArrayPool<byte>.Shared.Return(rented); }
    }

    /// <summary><see cref="TryReadData(ReadOnlySpan{byte}, IBufferWriter{byte}, out NodeMeta, out bool)"/> with a string path.</summary>
    public bool TryReadData(string path, IBufferWriter<byte> destination, out NodeMeta meta, out bool isNull)
    {
        byte[]? rented = null;
        var key = Encode(path, stackalloc byte[MaxStackPath], ref rented);
        try { return TryReadData(key, destination, out meta, out isNull); }
        finally { if (rented is not null) ArrayPool<byte>.Shared.Return(rented); }
    }

    // ---------------------------------------------------------------- iterate

    /// <summary>
    /// Visits every live node once (in log order, not path order): for rebuilding the children
    /// index at recovery. Engine thread only, no writes during the iteration.
    /// Returns the number of nodes visited.
    /// </summary>
    /// <remarks>
    /// Scans the hybrid log from its begin address and, for each record, asks the hash index
    /// whether that record is the key's latest version (a lookup whose result address must be
    /// the scanned record's). FASTER 2.6.5's own "distinct live records" iterators (push and pull) return
    /// wrong keys for some SpanByte records, so they are not used. For records in memory the
    /// lookup is a hash probe; for a tree larger than memory, records on disk cost a random read
    /// each (see engine/FASTER-NODESTORE.md).
    /// </remarks>
    public unsafe long Iterate<TVisitor>(ref TVisitor visitor) where TVisitor : INodeVisitor
    {
        EnterNoKey();
        byte[] keyBuf = ArrayPool<byte>.Shared.Rent(256);
        try
        {
            long visited = 0;
            using var it = _kv.Log.Scan(_kv.Log.BeginAddress, _kv.Log.TailAddress);
            while (it.GetNext(out var recordInfo))
            {
                if (recordInfo.Tombstone) continue;
                long address = it.CurrentAddress;
                ref var scannedKey = ref it.GetKey();
                int keyLength = scannedKey.Length;
                if (keyLength == 1 && *scannedKey.ToPointer() == 0) continue; // stamp key, never written
                if (keyLength > keyBuf.Length)
                {
                    ArrayPool<byte>.Shared.Return(keyBuf);
                    keyBuf = ArrayPool<byte>.Shared.Rent(keyLength);
                }
                scannedKey.AsReadOnlySpan().CopyTo(keyBuf);
                var meta = NodeRecord.ReadMeta(ref it.GetValue());
                fixed (byte* kp = keyBuf)
                {
                    var key = SpanByte.FromPointer(kp, keyLength);
                    var input = new NodeInput { Op = NodeOp.ReadMeta };
                    var output = default(NodeOutput);
                    var readOptions = default(ReadOptions);
                    var status = _session!.Read(ref key, ref input, ref output, ref readOptions, out var recordMetadata, Empty.Default, _serial);
                    if (status.IsPending) status = CompletePendingSingle(ref output, out recordMetadata);
                    ThrowIfFaulted(status, "iterate");
                    if (!status.Found || recordMetadata.Address != address) continue; // superseded or deleted later
                }
                visited++;
                if (!visitor.Visit(new ReadOnlySpan<byte>(keyBuf, 0, keyLength), meta)) break;
            }
            return visited;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(keyBuf);
            Exit();
        }
    }

    /// <summary>Delegate form of <see cref="Iterate{TVisitor}(ref TVisitor)"/>.</summary>
    public long Iterate(NodeVisitor visitor)
    {
        ArgumentNullException.ThrowIfNull(visitor);
        var v = new DelegateVisitor(visitor);
        return Iterate(ref v);
    }

    private readonly struct DelegateVisitor(NodeVisitor inner) : INodeVisitor
    {
        public bool Visit(ReadOnlySpan<byte> path, in NodeMeta meta)
        {
            inner(path, meta);
            return true;
        }
    }

    // ------------------------------------------------------------ checkpoints

    /// <summary>
    /// Starts a checkpoint whose consistency point is now: call it on the engine thread between
    /// two txns, passing the zxid of the last txn applied. Returns false (and does nothing) when
    /// a checkpoint is still in flight or FASTER refused to start one. The calling thread only
    /// waits for the CPR version switch (no I/O); persisting runs on a background task
    /// (<see cref="CheckpointTask"/>, collected by <see cref="TryCompleteCheckpoint"/>).
    /// </summary>
    /// <param name="lastAppliedZxid">zxid of the last txn applied; the checkpoint's zxid.</param>
    /// <param name="attachment">
    /// Engine state that belongs to the same consistency point but not in the node store
    /// (sessions, the ACL table): stored as a file of the checkpoint, covered by its manifest, and
    /// returned by <see cref="RecoverDetailed"/>. The caller must not change the memory until the
    /// checkpoint completed.
    /// </param>
    public unsafe bool BeginCheckpoint(long lastAppliedZxid, ReadOnlyMemory<byte> attachment = default)
    {
        EnterNoKey();
        try
        {
            if (_checkpoint is not null) return false;
            if (lastAppliedZxid < _serial)
                throw new ArgumentOutOfRangeException(nameof(lastAppliedZxid), lastAppliedZxid, $"below the last write's zxid {_serial}");
            long started = Stopwatch.GetTimestamp();

            // Stamp the session's serial number with the zxid: CPR's commit point is the serial
            // number of the session's last operation before the version switch, and the last txn
            // may have touched no node. A read of a key that is never written costs no log space.
            fixed (byte* kp = StampKey)
            {
                var key = SpanByte.FromPointer(kp, StampKey.Length);
                var input = new NodeInput { Op = NodeOp.ReadMeta };
                var output = default(NodeOutput);
                var status = _session!.Read(ref key, ref input, ref output, Empty.Default, lastAppliedZxid);
                if (status.IsPending) CompletePendingSingle(ref output);
            }
            _serial = lastAppliedZxid;

            long sequence = _sequence + 1;
            long count = _count;
            _kv.CommitCookie = EncodeCookie(lastAppliedZxid, count, sequence);
            long versionBefore = _session.Version;
            Guid token;
            bool ok = _options.IncludeIndex
                ? _kv.TryInitiateFullCheckpoint(out token, _options.CheckpointType)
                : _kv.TryInitiateHybridLogCheckpoint(out token, _options.CheckpointType);
            if (!ok) return false;

            // Drive this session across the version switch now, before the next txn: every later
            // operation is in version v+1 and outside the checkpoint, so a multi-op txn can never
            // straddle it. This only exchanges epoch markers; it does no I/O.
            var spin = new SpinWait();
            long deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
            while (_session.Version <= versionBefore)
            {
                _session.Refresh();
                if (_session.Version > versionBefore) break;
                if (Stopwatch.GetTimestamp() > deadline)
                    throw new TimeoutException("FASTER checkpoint did not switch versions within 30 s");
                spin.SpinOnce(sleep1Threshold: -1);
            }
            _sequence = sequence;
            var pause = Stopwatch.GetElapsedTime(started);
            _checkpoint = Task.Run(() => CompleteCheckpointAsync(token, lastAppliedZxid, count, sequence, started, pause, attachment));
            return true;
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Collects the checkpoint in flight once it finished: true with its info, false while it is
    /// still running or when none was begun. A failed checkpoint throws here (and is cleared, so
    /// the next <see cref="BeginCheckpoint"/> can retry).
    /// </summary>
    public bool TryCompleteCheckpoint(out CheckpointInfo? info)
    {
        info = null;
        var task = _checkpoint;
        if (task is null || !task.IsCompleted) return false;
        _checkpoint = null;
        info = task.GetAwaiter().GetResult();
        return true;
    }

    /// <summary>Takes a checkpoint and waits for it (start-up, shutdown, tests). Engine thread only.</summary>
    public CheckpointInfo Checkpoint(long lastAppliedZxid, ReadOnlyMemory<byte> attachment = default)
    {
        if (_checkpoint is { } running)
        {
            running.Wait();
            TryCompleteCheckpoint(out _);
        }
        if (!BeginCheckpoint(lastAppliedZxid, attachment)) throw new InvalidOperationException("FASTER refused to start a checkpoint.");
        _checkpoint!.Wait();
        TryCompleteCheckpoint(out var info);
        return info!;
    }

    private async Task<CheckpointInfo> CompleteCheckpointAsync(Guid token, long zxid, long count, long sequence, long started, TimeSpan pause,
        ReadOnlyMemory<byte> attachment)
    {
        await _kv.CompleteCheckpointAsync().ConfigureAwait(false);
        var duration = Stopwatch.GetElapsedTime(started);
        long manifestStart = Stopwatch.GetTimestamp();
        await File.WriteAllBytesAsync(_catalog.AttachmentPath(token), attachment).ConfigureAwait(false);
        long bytes = _catalog.WriteManifest(token, sequence, zxid, count, _options.IncludeIndex, LogDirectory);
        _catalog.ApplyRetention(_options.RetainCheckpoints, protect: token);
        return new CheckpointInfo(token, zxid, count, sequence, pause, duration, Stopwatch.GetElapsedTime(manifestStart), bytes);
    }

    // --------------------------------------------------------------- recovery

    /// <summary>
    /// Restores the newest intact checkpoint and returns its zxid (0 when there is none: the
    /// store is then empty and the whole txn log must be replayed). Must be the first call on the
    /// store. Checkpoints whose files fail their manifest, or that FASTER cannot recover, are
    /// skipped in favour of the previous one.
    /// </summary>
    public long Recover() => RecoverDetailed().Zxid;

    /// <summary><see cref="Recover"/> with details of what was restored and skipped.</summary>
    public RecoveryInfo RecoverDetailed()
    {
        if (_session is not null || _recovered) throw new InvalidOperationException("Recover must be the first call on the store.");
        _recovered = true;
        long started = Stopwatch.GetTimestamp();
        var skipped = new List<string>();
        var candidates = _catalog.List(verify: true, rejected: skipped);
        foreach (var c in candidates)
        {
            try
            {
                if (c.HasIndex) _kv.Recover(c.Token, c.Token);
                else _kv.Recover(c.Token);
                var session = _kv.For(_functions).ResumeSession<NodeFunctions>(SessionName, out CommitPoint cp, _varLen);
                var (zxid, count, sequence) = DecodeCookie(_kv.RecoveredCommitCookie);
                if (cp.UntilSerialNo != zxid)
                    throw new InvalidDataException($"commit point {cp.UntilSerialNo} differs from checkpoint zxid {zxid}");
                if (cp.ExcludedSerialNos is { Count: > 0 })
                    throw new InvalidDataException($"commit point excludes {cp.ExcludedSerialNos.Count} operations");
                if (zxid != c.Zxid || count != c.Count || sequence != c.Sequence)
                    throw new InvalidDataException("commit cookie differs from the manifest");
                var attachmentPath = _catalog.AttachmentPath(c.Token);
                byte[] attachment = File.Exists(attachmentPath) ? File.ReadAllBytes(attachmentPath) : [];
                _session = session;
                _serial = zxid;
                _count = count;
                return new RecoveryInfo(zxid, c.Token, count, skipped, Stopwatch.GetElapsedTime(started)) { Attachment = attachment };
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                skipped.Add($"{c.Token}: recovery failed: {e.GetType().Name}: {e.Message}");
                // A failed recovery may have left the store half-loaded: start from a clean instance.
                DisposeKv();
                CreateKv();
            }
        }
        _session = NewSession();
        return new RecoveryInfo(0, null, 0, skipped, Stopwatch.GetElapsedTime(started));
    }

    // ------------------------------------------------------------------ misc

    /// <summary>Waits for a checkpoint in flight, then releases FASTER, its devices and files handles.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try { _checkpoint?.Wait(); }
        catch (AggregateException) { }
        _checkpoint = null;
        DisposeKv();
    }

    private void CreateKv()
    {
        Directory.CreateDirectory(LogDirectory);
        Directory.CreateDirectory(CheckpointDirectory);
        _logDevice = Devices.CreateLogDevice(Path.Combine(LogDirectory, "hlog.log"), preallocateFile: false, deleteOnClose: false, recoverDevice: true);
        // Checkpoint files are written through the page cache (FASTER's default is unbuffered
        // writes, whose disk latency then lands on whichever thread steps the checkpoint state
        // machine, the engine thread included). Durability comes from the manifest step, which
        // fsyncs every checkpoint file and the hybrid log before declaring the checkpoint valid.
        _checkpointManager = new DeviceLogCommitCheckpointManager(
            new LocalStorageNamedDeviceFactory(preallocateFile: false, deleteOnClose: false, disableFileBuffering: false),
            new DefaultCheckpointNamingScheme(CheckpointDirectory), removeOutdated: false);
        var settings = new FasterKVSettings<SpanByte, SpanByte>
        {
            IndexSize = 1L << _options.IndexSizeBits,
            LogDevice = _logDevice,
            PageSize = 1L << _options.PageSizeBits,
            MemorySize = 1L << _options.MemorySizeBits,
            SegmentSize = 1L << _options.SegmentSizeBits,
            MutableFraction = _options.MutableFraction,
            CheckpointManager = _checkpointManager,
            RemoveOutdatedCheckpoints = false,
            ReadCacheEnabled = _options.ReadCache,
            ThrottleCheckpointFlushDelayMs = _options.ThrottleCheckpointFlushDelayMs,
        };
        if (_options.ReadCache)
        {
            settings.ReadCacheMemorySize = 1L << _options.ReadCacheSizeBits;
            settings.ReadCachePageSize = 1L << _options.PageSizeBits;
        }
        _kv = new FasterKV<SpanByte, SpanByte>(settings);
    }

    private void DisposeKv()
    {
        _session?.Dispose();
        _session = null;
        _kv?.Dispose();
        _logDevice?.Dispose();
        _checkpointManager?.Dispose();
    }

    private ClientSession<SpanByte, SpanByte, NodeInput, NodeOutput, Empty, NodeFunctions> NewSession() =>
        _kv.For(_functions).NewSession<NodeFunctions>(SessionName, _varLen);

    private void Enter(ReadOnlySpan<byte> path, long zxid)
    {
        if (path.IsEmpty) throw new ArgumentException("Empty path.", nameof(path));
        if (path.Length == 1 && path[0] == 0) throw new ArgumentException("Reserved key.", nameof(path));
        EnterNoKey();
        if (zxid < _serial)
        {
            Exit();
            throw new ArgumentOutOfRangeException(nameof(zxid), zxid, $"zxids must not decrease (last {_serial})");
        }
    }

    private void EnterNoKey()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.Exchange(ref _busy, 1) != 0)
            throw new InvalidOperationException("FasterNodeStore is single-writer: overlapping calls from two threads.");
        if (_session is null)
        {
            _recovered = true;
            _session = NewSession();
        }
    }

    private void Exit() => Volatile.Write(ref _busy, 0);

    private Status CompletePendingSingle(ref NodeOutput output) => CompletePendingSingle(ref output, out _);

    private Status CompletePendingSingle(ref NodeOutput output, out RecordMetadata recordMetadata)
    {
        _session!.CompletePendingWithOutputs(out var completed, wait: true);
        Status status = default;
        recordMetadata = default;
        int n = 0;
        try
        {
            while (completed.Next())
            {
                n++;
                status = completed.Current.Status;
                output = completed.Current.Output;
                recordMetadata = completed.Current.RecordMetadata;
            }
        }
        finally
        {
            completed.Dispose();
        }
        // Exactly one operation was outstanding (every call drains its own).
        if (n != 1) throw new InvalidOperationException($"expected one completed operation, got {n}");
        return status;
    }

    private static void ThrowIfFaulted(Status status, string op)
    {
        if (status.IsFaulted || status.IsCanceled)
            throw new IOException($"FASTER {op} failed: {status}");
    }

    private static ReadOnlySpan<byte> Encode(string path, Span<byte> stack, ref byte[]? rented)
    {
        ArgumentNullException.ThrowIfNull(path);
        int max = Encoding.UTF8.GetMaxByteCount(path.Length);
        var buf = max <= stack.Length ? stack : (rented = ArrayPool<byte>.Shared.Rent(max));
        int n = Encoding.UTF8.GetBytes(path, buf);
        return buf[..n];
    }

    private static byte[] EncodeCookie(long zxid, long count, long sequence)
    {
        var b = new byte[32];
        BinaryPrimitives.WriteUInt32LittleEndian(b, CookieMagic);
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), FormatVersion);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8), zxid);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(16), count);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(24), sequence);
        return b;
    }

    private static (long Zxid, long Count, long Sequence) DecodeCookie(byte[]? b)
    {
        if (b is null || b.Length < 32 || BinaryPrimitives.ReadUInt32LittleEndian(b) != CookieMagic)
            throw new InvalidDataException("checkpoint has no HotZk commit cookie");
        int version = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(4));
        if (version != FormatVersion) throw new InvalidDataException($"record format {version}, this build reads {FormatVersion}");
        return (BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(8)), BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(16)),
            BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(24)));
    }
}
