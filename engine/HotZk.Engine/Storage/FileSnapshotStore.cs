using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;

namespace HotZk.Engine.Storage;

/// <summary>
/// Snapshots as files <c>dataDir/hotzk-snap/snap.&lt;16 hex zxid&gt;</c>: the engine's content followed by
/// a 24-byte trailer (long content length, ulong XxHash3-64 of the content, int version, int magic "HZSN").
/// </summary>
/// <remarks>
/// <see cref="Save"/> writes <c>snap.&lt;zxid&gt;.tmp</c>, fsyncs it, renames it into place and fsyncs the
/// directory, so a crash leaves either the complete snapshot or none. <see cref="ListValid"/> checks
/// every candidate's full checksum (results are cached per file size and write time). Thread-safe;
/// a <see cref="Save"/> may run on a background thread while the other members are used.
/// </remarks>
public sealed class FileSnapshotStore : ISnapshotStore
{
    /// <summary>Trailer size in bytes.</summary>
    public const int TrailerSize = 24;

    private const int Magic = 0x485A534E; // "HZSN"
    private const int Version = 1;
    private const string Prefix = "snap.";
    private const string TempSuffix = ".tmp";

    private readonly string _directory;
    private readonly Action<string>? _log;
    private readonly Dictionary<string, (long Length, DateTime WriteTime, bool Valid)> _verified = new();

    /// <summary>Opens or creates the store under <paramref name="dataDir"/> and removes unfinished saves.</summary>
    /// <param name="dataDir">The data directory; snapshots live in its <c>hotzk-snap</c> subdirectory.</param>
    /// <param name="log">Receives notable events (damaged snapshots skipped, leftovers removed).</param>
    public FileSnapshotStore(string dataDir, Action<string>? log = null)
    {
        _directory = Path.Combine(dataDir, "hotzk-snap");
        _log = log;
        if (!System.IO.Directory.Exists(_directory))
        {
            System.IO.Directory.CreateDirectory(_directory);
            NativeFile.SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(_directory))!);
        }

        foreach (string tmp in System.IO.Directory.EnumerateFiles(_directory, Prefix + "*" + TempSuffix))
        {
            _log?.Invoke($"snapshots: removing unfinished {Path.GetFileName(tmp)}");
            File.Delete(tmp);
        }
    }

    /// <summary>The snapshot directory.</summary>
    public string Directory => _directory;

    /// <inheritdoc/>
    public void Save(long zxid, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        string final = Path.Combine(_directory, Prefix + zxid.ToString("x16", CultureInfo.InvariantCulture));
        string temp = final + TempSuffix;
        try
        {
            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var hashing = new HashingWriteStream(file);
                write(hashing);

                Span<byte> trailer = stackalloc byte[TrailerSize];
                BinaryPrimitives.WriteInt64BigEndian(trailer, hashing.Length);
                BinaryPrimitives.WriteUInt64BigEndian(trailer[8..], hashing.Hash.GetCurrentHashAsUInt64());
                BinaryPrimitives.WriteInt32BigEndian(trailer[16..], Version);
                BinaryPrimitives.WriteInt32BigEndian(trailer[20..], Magic);
                file.Write(trailer);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, final, overwrite: true);
            NativeFile.SyncDirectory(_directory);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<SnapshotInfo> ListCandidates()
    {
        var result = new List<SnapshotInfo>();
        foreach (var (zxid, path) in ListFiles())
        {
            var info = new FileInfo(path);
            if (info.Exists) result.Add(new SnapshotInfo(zxid, path, info.Length));
        }
        return result;
    }

    /// <inheritdoc/>
    public IReadOnlyList<SnapshotInfo> ListValid()
    {
        var result = new List<SnapshotInfo>();
        foreach (var (zxid, path) in ListFiles())
        {
            var info = new FileInfo(path);
            if (!info.Exists)
            {
                continue; // purged meanwhile
            }

            if (IsValid(info))
            {
                result.Add(new SnapshotInfo(zxid, path, info.Length));
            }
        }

        return result;
    }

    /// <inheritdoc/>
    /// <remarks>The stream verifies the checksum again as it is read and throws <see cref="InvalidDataException"/> at its end on a mismatch.</remarks>
    public Stream Open(SnapshotInfo snapshot)
    {
        var file = new FileStream(snapshot.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 20);
        try
        {
            var (contentLength, hash) = ReadTrailer(file) ?? throw new InvalidDataException($"Snapshot {snapshot.Path} has no valid trailer.");
            file.Position = 0;
            return new VerifyingReadStream(file, contentLength, hash, snapshot.Path);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>Retains the newest <paramref name="retainCount"/> valid snapshots; every snapshot file older than the oldest retained one is deleted.</remarks>
    public void Purge(int retainCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retainCount, 1);
        var valid = ListValid();
        if (valid.Count <= retainCount)
        {
            return;
        }

        long oldestKept = valid[retainCount - 1].Zxid;
        bool deleted = false;
        foreach (var (zxid, path) in ListFiles())
        {
            if (zxid < oldestKept)
            {
                deleted |= TryDelete(path);
                lock (_verified)
                {
                    _verified.Remove(path);
                }
            }
        }

        if (deleted)
        {
            NativeFile.SyncDirectory(_directory);
        }
    }

    /// <summary>Published snapshot files (valid or not), newest first.</summary>
    private List<(long Zxid, string Path)> ListFiles()
    {
        var files = new List<(long Zxid, string Path)>();
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, Prefix + "*"))
        {
            string name = Path.GetFileName(path);
            if (name.Length == Prefix.Length + 16
                && long.TryParse(name.AsSpan(Prefix.Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long zxid))
            {
                files.Add((zxid, path));
            }
        }

        files.Sort((a, b) => b.Zxid.CompareTo(a.Zxid));
        return files;
    }

    private bool IsValid(FileInfo info)
    {
        lock (_verified)
        {
            if (_verified.TryGetValue(info.FullName, out var known) && known.Length == info.Length && known.WriteTime == info.LastWriteTimeUtc)
            {
                return known.Valid;
            }
        }

        bool valid = Verify(info.FullName, out string? problem);
        if (!valid)
        {
            _log?.Invoke($"snapshots: skipping {info.Name}: {problem}");
        }

        lock (_verified)
        {
            _verified[info.FullName] = (info.Length, info.LastWriteTimeUtc, valid);
        }

        return valid;
    }

    private static bool Verify(string path, out string? problem)
    {
        try
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1);
            if (ReadTrailer(file) is not var (length, expected))
            {
                problem = "missing or damaged trailer (truncated or unfinished file)";
                return false;
            }

            var hash = new XxHash3();
            var buffer = new byte[1 << 20];
            long remaining = length;
            long offset = 0;
            while (remaining > 0)
            {
                int n = RandomAccess.Read(file.SafeFileHandle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, remaining)), offset);
                if (n <= 0)
                {
                    problem = "short read";
                    return false;
                }

                hash.Append(buffer.AsSpan(0, n));
                offset += n;
                remaining -= n;
            }

            if (hash.GetCurrentHashAsUInt64() != expected)
            {
                problem = "checksum mismatch";
                return false;
            }

            problem = null;
            return true;
        }
        catch (IOException ex)
        {
            problem = ex.Message;
            return false;
        }
    }

    /// <summary>Reads and checks the trailer; null when the file is too short or the trailer is not ours.</summary>
    private static (long ContentLength, ulong Hash)? ReadTrailer(FileStream file)
    {
        long fileLength = file.Length;
        if (fileLength < TrailerSize)
        {
            return null;
        }

        Span<byte> trailer = stackalloc byte[TrailerSize];
        if (RandomAccess.Read(file.SafeFileHandle, trailer, fileLength - TrailerSize) != TrailerSize)
        {
            return null;
        }

        long length = BinaryPrimitives.ReadInt64BigEndian(trailer);
        if (BinaryPrimitives.ReadInt32BigEndian(trailer[20..]) != Magic
            || BinaryPrimitives.ReadInt32BigEndian(trailer[16..]) != Version
            || length != fileLength - TrailerSize)
        {
            return null;
        }

        return (length, BinaryPrimitives.ReadUInt64BigEndian(trailer[8..]));
    }

    private bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException ex)
        {
            _log?.Invoke($"snapshots: could not delete {Path.GetFileName(path)}: {ex.Message}");
            return false;
        }
    }

    /// <summary>Write-only pass-through that hashes and counts what goes by.</summary>
    /// <remarks>
    /// It also fsyncs every <see cref="SyncEvery"/> bytes: a 1M-node image is ~200 MB, and leaving it all
    /// dirty until the final fsync makes the txn log's fdatasyncs on the same disk queue behind one huge
    /// writeback (a tail-latency spike on every write while a snapshot finishes).
    /// </remarks>
    private sealed class HashingWriteStream(FileStream inner) : Stream
    {
        private const long SyncEvery = 8 << 20;
        private long _sinceSync;

        public XxHash3 Hash { get; } = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position
        {
            get => _length;
            set => throw new NotSupportedException();
        }

        private long _length;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            Hash.Append(buffer);
            inner.Write(buffer);
            _length += buffer.Length;
            _sinceSync += buffer.Length;
            if (_sinceSync >= SyncEvery)
            {
                inner.Flush(flushToDisk: true);
                _sinceSync = 0;
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void WriteByte(byte value) => Write([value]);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>Read-only view of the content; re-checks the hash when the end is reached.</summary>
    private sealed class VerifyingReadStream(FileStream inner, long length, ulong expected, string path) : Stream
    {
        private readonly XxHash3 _hash = new();
        private long _position;
        private bool _checked;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(Span<byte> buffer)
        {
            long remaining = length - _position;
            if (remaining <= 0)
            {
                Check();
                return 0;
            }

            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, remaining)]);
            if (n == 0)
            {
                throw new InvalidDataException($"Snapshot {path} ended early.");
            }

            _hash.Append(buffer[..n]);
            _position += n;
            if (_position == length)
            {
                Check();
            }

            return n;
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private void Check()
        {
            if (_checked)
            {
                return;
            }

            _checked = true;
            if (_hash.GetCurrentHashAsUInt64() != expected)
            {
                throw new InvalidDataException($"Snapshot {path} changed on disk: checksum mismatch.");
            }
        }
    }
}
