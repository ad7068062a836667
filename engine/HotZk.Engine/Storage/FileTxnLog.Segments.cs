using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace HotZk.Engine.Storage;

public sealed partial class FileTxnLog
{
    /// <inheritdoc/>
    /// <remarks>Sees only txns durable when the enumeration starts. Each <see cref="LoggedTxn.Txn"/> is a fresh array.</remarks>
    /// <exception cref="TxnLogCorruptException">A record fails its checksum.</exception>
    public IEnumerable<LoggedTxn> ReadAfter(long afterZxid)
    {
        (string Path, long End)[] parts;
        lock (_gate)
        {
            int first = 0;
            for (int i = 0; i < _segments.Count; i++)
            {
                if (_segments[i].StartZxid - 1 <= afterZxid)
                {
                    first = i;
                }
            }

            parts = new (string, long)[_segments.Count - first];
            for (int i = first; i < _segments.Count; i++)
            {
                parts[i - first] = (_segments[i].Path, _segments[i].End);
            }
        }

        return ReadParts(parts, afterZxid);
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Appends were made while truncating.</exception>
    public void TruncateAfter(long zxid)
    {
        Flush();
        lock (_ioLock)
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (!_pending.IsEmpty)
                {
                    throw new InvalidOperationException("TruncateAfter requires that no appends are in flight.");
                }
            }

            bool deleted = false;
            while (_segments.Count > 0 && _segments[^1].StartZxid > zxid)
            {
                var doomed = _segments[^1];
                doomed.CloseHandle();
                File.Delete(doomed.Path);
                lock (_gate)
                {
                    _segments.RemoveAt(_segments.Count - 1);
                }

                deleted = true;
            }

            if (deleted)
            {
                NativeFile.SyncDirectory(_directory);
            }

            _current = null;
            long tip = 0;
            if (_segments.Count > 0)
            {
                var segment = _segments[^1];
                var handle = segment.OpenForWrite();
                if (segment.LastZxid > zxid)
                {
                    var (cut, last) = FindCut(handle, segment, zxid);
                    RandomAccess.SetLength(handle, cut);
                    RandomAccess.FlushToDisk(handle);
                    lock (_gate)
                    {
                        segment.End = cut;
                        segment.LastZxid = last;
                    }

                    segment.AllocatedEnd = cut;
                    Log($"txn log: truncated {segment} after zxid 0x{last:x}");
                }

                segment.DirtyTail = segment.AllocatedEnd > segment.End && !SegmentScanner.IsZeroRange(handle, segment.End, segment.AllocatedEnd);
                _current = segment;
                tip = segment.LastZxid;
            }

            lock (_gate)
            {
                _lastAppendedZxid = tip;
                Volatile.Write(ref _durableZxid, tip);
                _failedFrom = 0;
            }
        }
    }

    /// <inheritdoc/>
    public void PurgeBefore(long zxid)
    {
        List<TxnLogSegment> victims;
        lock (_gate)
        {
            int keepFrom = 0;
            for (int i = 0; i < _segments.Count; i++)
            {
                if (_segments[i].StartZxid - 1 <= zxid)
                {
                    keepFrom = i; // the segment that holds zxid + 1 (if it exists) and everything after
                }
            }

            if (keepFrom == 0)
            {
                return;
            }

            victims = _segments.GetRange(0, keepFrom);
            _segments.RemoveRange(0, keepFrom);
        }

        foreach (var segment in victims)
        {
            try
            {
                File.Delete(segment.Path);
            }
            catch (IOException ex)
            {
                Log($"txn log: could not purge {segment}: {ex.Message}");
            }
        }

        NativeFile.SyncDirectory(_directory);
    }

    private IEnumerable<LoggedTxn> ReadParts((string Path, long End)[] parts, long afterZxid)
    {
        foreach (var (path, end) in parts)
        {
            SafeFileHandle handle;
            try
            {
                handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException ex)
            {
                throw new InvalidOperationException($"Segment {path} was purged while being read.", ex);
            }

            using (handle)
            {
                var scanner = new SegmentScanner(handle, TxnLogFormat.FileHeaderSize, end, _options.MaxRecordSize);
                while (true)
                {
                    var result = ReadOne(scanner, afterZxid, out long zxid, out byte[]? txn);
                    if (result == ScanResult.End)
                    {
                        break;
                    }

                    if (result == ScanResult.Corrupt)
                    {
                        throw new TxnLogCorruptException($"Txn log segment {path} is damaged at offset {scanner.Position}: {scanner.Problem}.");
                    }

                    if (txn is not null)
                    {
                        yield return new LoggedTxn(zxid, txn);
                    }
                }
            }
        }
    }

    private static ScanResult ReadOne(SegmentScanner scanner, long afterZxid, out long zxid, out byte[]? txn)
    {
        var result = scanner.Next(out zxid, out var payload);
        txn = result == ScanResult.Record && zxid > afterZxid ? payload.ToArray() : null;
        return result;
    }

    private (long Cut, long LastZxid) FindCut(SafeFileHandle handle, TxnLogSegment segment, long zxid)
    {
        var scanner = new SegmentScanner(handle, TxnLogFormat.FileHeaderSize, segment.End, _options.MaxRecordSize);
        long cut = TxnLogFormat.FileHeaderSize;
        long last = 0;
        while (scanner.Next(out long recordZxid, out _) == ScanResult.Record && recordZxid <= zxid)
        {
            cut = scanner.Position;
            last = recordZxid;
        }

        return (cut, last);
    }

    /// <summary>
    /// Scans every segment in zxid order, validating each record. A damaged tail of the last
    /// segment is cut off; any other damage, or a zxid that does not follow its predecessor, throws.
    /// </summary>
    private void Recover()
    {
        if (!System.IO.Directory.Exists(_directory))
        {
            System.IO.Directory.CreateDirectory(_directory);
            NativeFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(_directory))!);
        }

        // Spares of an earlier run are remade in the background.
        File.Delete(SparePath);
        File.Delete(BuildingPath);

        var files = new List<(long Zxid, string Path)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, TxnLogFormat.FilePrefix + "*"))
        {
            if (TxnLogFormat.TryParseSegmentFileName(Path.GetFileName(path), out long zxid))
            {
                files.Add((zxid, path));
            }
        }

        files.Sort((a, b) => a.Zxid.CompareTo(b.Zxid));
        long previousZxid = 0;
        string? previousName = null;
        for (int i = 0; i < files.Count; i++)
        {
            bool isLast = i == files.Count - 1;
            var segment = new TxnLogSegment(files[i].Path, files[i].Zxid);
            if (!ScanSegment(segment, isLast, ref previousZxid, ref previousName))
            {
                Log($"txn log: removing {segment}, which holds no records");
                File.Delete(segment.Path);
                NativeFile.SyncDirectory(_directory);
                continue;
            }

            _segments.Add(segment);
        }

        _lastAppendedZxid = previousZxid;
        _durableZxid = previousZxid;
        if (_segments.Count == 0)
        {
            return;
        }

        var current = _segments[^1];
        current.OpenForWrite();
        if (current.AllocatedEnd != current.End)
        {
            // Drop the torn tail (if any) and the old preallocation; the next batch rolls into a
            // freshly reserved segment.
            CutTail(current);
        }

        _current = current;
    }

    /// <summary>Validates one segment; returns false when it holds no records.</summary>
    private bool ScanSegment(TxnLogSegment segment, bool isLast, ref long previousZxid, ref string? previousName)
    {
        using var handle = File.OpenHandle(segment.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read | FileShare.Delete);
        long length = RandomAccess.GetLength(handle);
        Span<byte> header = stackalloc byte[TxnLogFormat.FileHeaderSize];
        int got = length >= TxnLogFormat.FileHeaderSize ? RandomAccess.Read(handle, header, 0) : 0;
        if (got < TxnLogFormat.FileHeaderSize
            || BinaryPrimitives.ReadInt32BigEndian(header) != TxnLogFormat.Magic
            || BinaryPrimitives.ReadInt32BigEndian(header[4..]) != TxnLogFormat.Version)
        {
            if (isLast && (got < TxnLogFormat.FileHeaderSize || !header.ContainsAnyExcept((byte)0)))
            {
                return false; // crashed while creating it: nothing in it was ever acknowledged
            }

            throw new TxnLogCorruptException($"Txn log segment {segment.Path} has no valid HZLG v{TxnLogFormat.Version} header.");
        }

        var scanner = new SegmentScanner(handle, TxnLogFormat.FileHeaderSize, length, _options.MaxRecordSize);
        while (true)
        {
            var result = scanner.Next(out long zxid, out _);
            if (result == ScanResult.End)
            {
                break;
            }

            if (result == ScanResult.Corrupt)
            {
                if (!isLast)
                {
                    throw new TxnLogCorruptException(
                        $"Txn log segment {segment.Path} is damaged at offset {scanner.Position} ({scanner.Problem}) but is not the last segment: the log has a hole.");
                }

                Log($"txn log: torn tail in {segment} at offset {scanner.Position} ({scanner.Problem}); truncating {length - scanner.Position} bytes");
                break;
            }

            if (!segment.HasRecords && zxid != segment.StartZxid)
            {
                throw new TxnLogCorruptException($"Txn log segment {segment.Path} starts with zxid 0x{zxid:x}, not the zxid in its name.");
            }

            if (previousZxid != 0 && !TxnLogFormat.IsValidSuccessor(previousZxid, zxid, _options.RequireContiguousZxids))
            {
                string where = segment.HasRecords ? $"inside {segment}" : $"between {previousName} and {segment}";
                throw new TxnLogCorruptException(
                    $"The txn log has a hole: zxid 0x{zxid:x} follows 0x{previousZxid:x} {where} (offset {scanner.Position}).");
            }

            previousZxid = zxid;
            segment.LastZxid = zxid;
            segment.End = scanner.Position;
        }

        if (!isLast && segment.End < length)
        {
            // A finished segment ends at EOF; zeros are a preallocation left by a crash during the roll.
            if (!SegmentScanner.IsZeroRange(handle, segment.End, length))
            {
                throw new TxnLogCorruptException(
                    $"Txn log segment {segment.Path} has data after its end marker at offset {segment.End} but is not the last segment: the log has a hole.");
            }

            RandomAccess.SetLength(handle, segment.End);
            RandomAccess.FlushToDisk(handle);
        }

        if (segment.HasRecords)
        {
            previousName = segment.ToString();
        }

        return segment.HasRecords;
    }
}
