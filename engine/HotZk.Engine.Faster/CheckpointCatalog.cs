using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace HotZk.Engine.Faster;

/// <summary>
/// HotZk's own record of which FASTER checkpoints are complete and intact. After FASTER reports a
/// checkpoint persisted, every file of it is fsync'd and hashed (XxHash64) into
/// <c>hotzk.manifest</c> inside the checkpoint's log folder, written by temp file + fsync +
/// rename. A checkpoint without a manifest (crash mid-checkpoint) or whose files no longer match
/// it (damage) is not a recovery candidate.
/// </summary>
internal sealed class CheckpointCatalog
{
    internal const string ManifestName = "hotzk.manifest";
    private const string Magic = "hotzk-faster-checkpoint 1";

    private readonly string _root;

    public CheckpointCatalog(string root)
    {
        _root = root;
        LogBase = Path.Combine(root, "cpr-checkpoints");
        IndexBase = Path.Combine(root, "index-checkpoints");
    }

    /// <summary>Folder of hybrid-log checkpoints (FASTER's default naming scheme).</summary>
    public string LogBase { get; }

    /// <summary>Folder of index checkpoints.</summary>
    public string IndexBase { get; }

    public string LogDir(Guid token) => Path.Combine(LogBase, token.ToString());

    public string IndexDir(Guid token) => Path.Combine(IndexBase, token.ToString());

    public string ManifestPath(Guid token) => Path.Combine(LogDir(token), ManifestName);

    /// <summary>The engine's attachment (sessions, ACLs) stored with the checkpoint; hashed like FASTER's files.</summary>
    public string AttachmentPath(Guid token) => Path.Combine(LogDir(token), "hotzk-attachment.dat");

    internal sealed record Entry(Guid Token, long Sequence, long Zxid, long Count, bool HasIndex, long Bytes);

    /// <summary>
    /// fsyncs the hybrid log segments (a checkpoint's records below its flushed address live
    /// there), fsyncs and hashes the checkpoint's own files, then writes its manifest atomically.
    /// </summary>
    public long WriteManifest(Guid token, long sequence, long zxid, long count, bool hasIndex, string? hybridLogDir = null)
    {
        if (hybridLogDir is not null && Directory.Exists(hybridLogDir))
        {
            foreach (var segment in Directory.GetFiles(hybridLogDir))
                FsyncFile(segment);
            FsyncDirectory(hybridLogDir);
        }
        var sb = new StringBuilder();
        sb.Append(Magic).Append('\n');
        sb.Append("token ").Append(token.ToString()).Append('\n');
        sb.Append("sequence ").Append(sequence.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("zxid ").Append(zxid.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("count ").Append(count.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("index ").Append(hasIndex ? '1' : '0').Append('\n');
        long bytes = 0;
        foreach (var file in FilesOf(token, hasIndex))
        {
            var (len, hash) = HashFile(file, fsync: true);
            bytes += len;
            sb.Append("file ").Append(Path.GetRelativePath(_root, file).Replace('\\', '/')).Append(' ')
              .Append(len.ToString(CultureInfo.InvariantCulture)).Append(' ')
              .Append(hash.ToString("x16", CultureInfo.InvariantCulture)).Append('\n');
        }
        var body = sb.ToString();
        var text = body + "end " + XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(body)).ToString("x16", CultureInfo.InvariantCulture) + "\n";
        var path = ManifestPath(token);
        var tmp = path + ".tmp";
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            fs.Write(Encoding.UTF8.GetBytes(text));
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
        FsyncDirectory(LogDir(token));
        return bytes;
    }

    /// <summary>
    /// All checkpoints with a manifest, newest (highest sequence) first. With
    /// <paramref name="verify"/> each one's files are re-hashed; failures go to
    /// <paramref name="rejected"/>.
    /// </summary>
    public List<Entry> List(bool verify, List<string>? rejected)
    {
        var result = new List<Entry>();
        if (!Directory.Exists(LogBase)) return result;
        foreach (var dir in Directory.GetDirectories(LogBase))
        {
            if (!Guid.TryParse(Path.GetFileName(dir), out var token)) continue;
            var manifest = Path.Combine(dir, ManifestName);
            if (!File.Exists(manifest))
            {
                rejected?.Add($"{token}: no manifest (incomplete checkpoint)");
                continue;
            }
            try
            {
                result.Add(Read(token, manifest, verify));
            }
            catch (Exception e) when (e is InvalidDataException or IOException or FormatException)
            {
                rejected?.Add($"{token}: {e.Message}");
            }
        }
        result.Sort((a, b) => b.Sequence.CompareTo(a.Sequence));
        return result;
    }

    /// <summary>Highest sequence number of any manifest, or 0.</summary>
    public long MaxSequence()
    {
        long max = 0;
        foreach (var e in List(verify: false, rejected: null)) max = Math.Max(max, e.Sequence);
        return max;
    }

    /// <summary>
    /// Deletes everything but the <paramref name="keep"/> newest valid checkpoints (and
    /// <paramref name="protect"/>, a checkpoint in flight). Returns the tokens deleted.
    /// </summary>
    public List<Guid> ApplyRetention(int keep, Guid? protect)
    {
        var valid = List(verify: false, rejected: null);
        var keepSet = new HashSet<Guid>(valid.Take(keep).Select(e => e.Token));
        if (protect is { } p) keepSet.Add(p);
        // Everything else goes, including folders without a manifest: checkpoints run one at a
        // time and this runs after the current one was sealed, so those were abandoned by a crash.
        var deleted = new List<Guid>();
        foreach (var baseDir in new[] { LogBase, IndexBase })
        {
            if (!Directory.Exists(baseDir)) continue;
            foreach (var dir in Directory.GetDirectories(baseDir))
            {
                if (!Guid.TryParse(Path.GetFileName(dir), out var token) || keepSet.Contains(token)) continue;
                try
                {
                    Directory.Delete(dir, recursive: true);
                    if (!deleted.Contains(token)) deleted.Add(token);
                }
                catch (IOException) { }
                catch (UnauthorizedAccessException) { }
            }
        }
        return deleted;
    }

    private Entry Read(Guid token, string manifest, bool verify)
    {
        var text = File.ReadAllText(manifest, Encoding.UTF8);
        int endAt = text.LastIndexOf("end ", StringComparison.Ordinal);
        if (!text.StartsWith(Magic + "\n", StringComparison.Ordinal) || endAt < 0)
            throw new InvalidDataException("manifest: bad header or no end line");
        var body = text[..endAt];
        var expected = text[(endAt + 4)..].Trim();
        var actual = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(body)).ToString("x16", CultureInfo.InvariantCulture);
        if (!string.Equals(expected, actual, StringComparison.Ordinal))
            throw new InvalidDataException("manifest: checksum mismatch");
        long seq = -1, zxid = -1, count = -1, bytes = 0;
        bool hasIndex = false;
        Guid recorded = Guid.Empty;
        foreach (var line in body.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            switch (parts[0])
            {
                case "token": recorded = Guid.Parse(parts[1]); break;
                case "sequence": seq = long.Parse(parts[1], CultureInfo.InvariantCulture); break;
                case "zxid": zxid = long.Parse(parts[1], CultureInfo.InvariantCulture); break;
                case "count": count = long.Parse(parts[1], CultureInfo.InvariantCulture); break;
                case "index": hasIndex = parts[1] == "1"; break;
                case "file":
                {
                    long len = long.Parse(parts[2], CultureInfo.InvariantCulture);
                    bytes += len;
                    if (!verify) break;
                    var path = Path.Combine(_root, parts[1]);
                    if (!File.Exists(path)) throw new InvalidDataException($"missing {parts[1]}");
                    var (alen, hash) = HashFile(path, fsync: false);
                    if (alen != len) throw new InvalidDataException($"{parts[1]}: length {alen}, manifest says {len}");
                    if (!string.Equals(hash.ToString("x16", CultureInfo.InvariantCulture), parts[3], StringComparison.Ordinal))
                        throw new InvalidDataException($"{parts[1]}: checksum mismatch");
                    break;
                }
            }
        }
        if (recorded != token || seq < 0 || zxid < 0 || count < 0)
            throw new InvalidDataException("manifest: missing fields");
        return new Entry(token, seq, zxid, count, hasIndex, bytes);
    }

    private IEnumerable<string> FilesOf(Guid token, bool hasIndex)
    {
        var dirs = hasIndex ? new[] { LogDir(token), IndexDir(token) } : new[] { LogDir(token) };
        foreach (var d in dirs)
        {
            if (!Directory.Exists(d)) throw new InvalidDataException($"checkpoint folder {d} missing");
            foreach (var f in Directory.GetFiles(d, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(f);
                if (name == ManifestName || name.EndsWith(".tmp", StringComparison.Ordinal)) continue;
                yield return f;
            }
        }
    }

    private static (long Length, ulong Hash) HashFile(string path, bool fsync)
    {
        var h = new XxHash64();
        using var fs = new FileStream(path, FileMode.Open, fsync ? FileAccess.ReadWrite : FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var buf = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long total = 0;
            int n;
            while ((n = fs.Read(buf, 0, buf.Length)) > 0)
            {
                h.Append(buf.AsSpan(0, n));
                total += n;
            }
            if (fsync) fs.Flush(flushToDisk: true);
            return (total, h.GetCurrentHashAsUInt64());
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buf);
        }
    }

    private static void FsyncFile(string path)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        RandomAccess.FlushToDisk(handle);
    }

    private static void FsyncDirectory(string dir)
    {
        if (OperatingSystem.IsWindows()) return;
        try
        {
            using var handle = File.OpenHandle(dir, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            RandomAccess.FlushToDisk(handle);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
