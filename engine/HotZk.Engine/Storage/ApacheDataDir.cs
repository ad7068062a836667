using System.Buffers.Binary;
using System.Globalization;
using HotZk.Common;

namespace HotZk.Engine.Storage;

/// <summary>Adler-32 (RFC 1950), the checksum Apache ZooKeeper uses for txn log entries and snapshots.</summary>
public static class Adler32
{
    private const uint Mod = 65521;
    private const int MaxRun = 5552; // largest n with 255n(n+1)/2 + (n+1)(Mod-1) < 2^32

    /// <summary>Continues <paramref name="adler"/> (1 for a fresh checksum) over <paramref name="data"/>.</summary>
    public static uint Update(uint adler, ReadOnlySpan<byte> data)
    {
        uint a = adler & 0xFFFF;
        uint b = adler >> 16;
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, MaxRun);
            foreach (byte x in data[..n])
            {
                a += x;
                b += a;
            }

            a %= Mod;
            b %= Mod;
            data = data[n..];
        }

        return (b << 16) | a;
    }

    /// <summary>The Adler-32 of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Update(1, data);
}

/// <summary>One entry of an Apache ZooKeeper txn log.</summary>
/// <param name="Zxid">zxid from the TxnHeader.</param>
/// <param name="ClientId">Session id.</param>
/// <param name="Cxid">Client xid.</param>
/// <param name="Time">Wall-clock ms.</param>
/// <param name="Type">Txn type (zk-protocol.md §12.3).</param>
/// <param name="Payload">The whole entry: TxnHeader + txn record (+ digest), as HotZk logs txns too.</param>
public readonly record struct ApacheTxn(long Zxid, long ClientId, int Cxid, long Time, int Type, byte[] Payload);

/// <summary>Reads txn log files of an Apache ZooKeeper data log dir (<c>version-2/log.&lt;hex&gt;</c>).</summary>
public static class ApacheTxnLogReader
{
    private const int Magic = 0x5A4B4C47; // "ZKLG"

    /// <summary>The <c>log.*</c> files in <paramref name="versionDir"/>, ordered by their start zxid.</summary>
    public static IReadOnlyList<(long StartZxid, string Path)> ListLogs(string versionDir) => ListByHex(versionDir, "log.");

    /// <summary>
    /// Yields the entries of one log file in order. Stops quietly at the zero padding, at EOF and at a
    /// partial last entry (short read, missing 'B' marker), as ZooKeeper does.
    /// </summary>
    /// <exception cref="InvalidDataException">Bad file header, or an entry whose Adler-32 does not match.</exception>
    public static IEnumerable<ApacheTxn> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
        var header = new byte[16];
        if (!ReadExactly(stream, header) || BinaryPrimitives.ReadInt32BigEndian(header) != Magic)
        {
            throw new InvalidDataException($"{path} is not a ZooKeeper txn log (no ZKLG header).");
        }

        var entryHeader = new byte[12];
        for (long entry = 0; ; entry++)
        {
            if (!ReadExactly(stream, entryHeader))
            {
                yield break;
            }

            long checksum = BinaryPrimitives.ReadInt64BigEndian(entryHeader);
            int length = BinaryPrimitives.ReadInt32BigEndian(entryHeader.AsSpan(8));
            if (length == 0)
            {
                yield break; // preallocated zeros
            }

            if (length < 0 || length > stream.Length - stream.Position)
            {
                yield break; // partial entry
            }

            var payload = new byte[length];
            if (!ReadExactly(stream, payload) || stream.ReadByte() != 'B')
            {
                yield break;
            }

            if (Adler32.Compute(payload) != (ulong)checksum)
            {
                throw new InvalidDataException($"{path}: entry {entry} fails its Adler-32 checksum.");
            }

            yield return Parse(payload);
        }
    }

    private static ApacheTxn Parse(byte[] payload)
    {
        var r = new JuteReader(payload);
        long clientId = r.ReadLong();
        int cxid = r.ReadInt();
        long zxid = r.ReadLong();
        long time = r.ReadLong();
        int type = r.ReadInt();
        return new ApacheTxn(zxid, clientId, cxid, time, type, payload);
    }

    private static IReadOnlyList<(long, string)> ListByHex(string dir, string prefix)
    {
        var files = new List<(long, string)>();
        foreach (string path in Directory.EnumerateFiles(dir, prefix + "*"))
        {
            if (long.TryParse(Path.GetFileName(path).AsSpan(prefix.Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long zxid))
            {
                files.Add((zxid, path)); // any suffix fails the parse and is skipped
            }
        }

        files.Sort((x, y) => x.Item1.CompareTo(y.Item1));
        return files;
    }

    private static bool ReadExactly(Stream stream, byte[] buffer)
    {
        int got = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        return got == buffer.Length;
    }
}

/// <summary>One znode of an Apache ZooKeeper snapshot (StatPersisted fields included).</summary>
/// <param name="Path">Path; the root is <c>""</c>.</param>
/// <param name="Data">Data; null when stored as a null buffer.</param>
/// <param name="AclIndex">Index into the ACL cache; -1 means world:anyone ALL.</param>
/// <param name="Czxid">Created zxid.</param>
/// <param name="Mzxid">Modified zxid.</param>
/// <param name="Ctime">Created time (ms).</param>
/// <param name="Mtime">Modified time (ms).</param>
/// <param name="Version">Data version.</param>
/// <param name="Cversion">Stored child version.</param>
/// <param name="Aversion">ACL version.</param>
/// <param name="EphemeralOwner">Owner session, or a container/TTL encoding.</param>
/// <param name="Pzxid">Last child change zxid.</param>
public sealed record ApacheZnode(
    string Path, byte[]? Data, long AclIndex, long Czxid, long Mzxid, long Ctime, long Mtime,
    int Version, int Cversion, int Aversion, long EphemeralOwner, long Pzxid);

/// <summary>The content of one Apache ZooKeeper snapshot file.</summary>
/// <param name="Sessions">Session id → timeout.</param>
/// <param name="AclCache">ACL cache index → ACL list.</param>
/// <param name="Nodes">Nodes in file order (parents before children).</param>
public sealed record ApacheSnapshot(
    IReadOnlyDictionary<long, int> Sessions,
    IReadOnlyDictionary<long, Acl[]> AclCache,
    IReadOnlyList<ApacheZnode> Nodes);

/// <summary>Reads Apache ZooKeeper snapshot files (<c>version-2/snapshot.&lt;hex&gt;</c>, optionally <c>.gz</c> or <c>.snappy</c>).</summary>
/// <remarks>Loads the whole file (and its decompressed form) into memory; fine for the import of test and small production trees.</remarks>
public static class ApacheSnapshotReader
{
    private const int Magic = 0x5A4B534E; // "ZKSN"
    private const string Prefix = "snapshot.";

    /// <summary>
    /// The <c>snapshot.&lt;hex&gt;</c>, <c>snapshot.&lt;hex&gt;.gz</c> and <c>snapshot.&lt;hex&gt;.snappy</c>
    /// files in <paramref name="versionDir"/>, newest zxid first whatever their compression (ZooKeeper
    /// writes the form <c>zookeeper.snapshot.compression.method</c> selects, and reads all three).
    /// Other names are ignored.
    /// </summary>
    public static IReadOnlyList<(long Zxid, string Path)> ListSnapshots(string versionDir)
    {
        var files = new List<(long, string)>();
        foreach (string path in Directory.EnumerateFiles(versionDir, Prefix + "*"))
        {
            if (TryParseName(Path.GetFileName(path), out long zxid, out _))
            {
                files.Add((zxid, path));
            }
        }

        // Newest first; for one zxid in two forms (compression changed across a restart) a fixed order.
        files.Sort((x, y) => x.Item1 != y.Item1 ? y.Item1.CompareTo(x.Item1) : string.CompareOrdinal(x.Item2, y.Item2));
        return files;
    }

    /// <summary>Splits a snapshot file name into its zxid and its storage format.</summary>
    /// <returns>False for names that are not <c>snapshot.&lt;hex&gt;[.gz|.snappy]</c>.</returns>
    public static bool TryParseName(string fileName, out long zxid, out ApacheSnapshotFormat format)
    {
        zxid = 0;
        format = ApacheSnapshotFormat.Plain;
        if (!fileName.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> rest = fileName.AsSpan(Prefix.Length);
        int dot = rest.IndexOf('.');
        if (dot >= 0)
        {
            ReadOnlySpan<char> suffix = rest[(dot + 1)..];
            if (suffix.Equals("gz", StringComparison.OrdinalIgnoreCase))
            {
                format = ApacheSnapshotFormat.Gzip;
            }
            else if (suffix.Equals("snappy", StringComparison.OrdinalIgnoreCase))
            {
                format = ApacheSnapshotFormat.Snappy;
            }
            else
            {
                return false;
            }

            rest = rest[..dot];
        }

        return rest.Length > 0 && long.TryParse(rest, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out zxid);
    }

    /// <summary>
    /// Parses a snapshot in any of the three forms and checks its first seal (Adler-32 of the
    /// uncompressed bytes before it, as ZooKeeper's checked stream computes it over the decompressed data).
    /// </summary>
    /// <exception cref="InvalidDataException">Not a snapshot, a damaged or truncated file or compressed stream, or the seal does not match; the message names the file.</exception>
    public static ApacheSnapshot Read(string path)
    {
        if (!TryParseName(Path.GetFileName(path), out _, out var format))
        {
            format = ApacheSnapshotFormat.Plain;
        }

        byte[] file = File.ReadAllBytes(path);
        try
        {
            return Parse(ApacheSnapshotDecompressor.Decompress(file, format));
        }
        catch (JuteException ex)
        {
            throw new InvalidDataException($"{path} is damaged: {ex.Message}", ex);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"{path}: {ex.Message}", ex);
        }
    }

    private static ApacheSnapshot Parse(byte[] bytes)
    {
        var r = new JuteReader(bytes);
        if (r.ReadInt() != Magic)
        {
            throw new InvalidDataException("no ZKSN header");
        }

        r.ReadInt(); // version
        r.ReadLong(); // dbid

        int sessionCount = r.ReadInt();
        var sessions = new Dictionary<long, int>(Math.Max(0, sessionCount));
        for (int i = 0; i < sessionCount; i++)
        {
            long id = r.ReadLong();
            sessions[id] = r.ReadInt();
        }

        int aclCount = r.ReadInt();
        var acls = new Dictionary<long, Acl[]>(Math.Max(0, aclCount));
        for (int i = 0; i < aclCount; i++)
        {
            long index = r.ReadLong();
            acls[index] = Acl.ReadList(ref r) ?? [];
        }

        var nodes = new List<ApacheZnode>();
        while (true)
        {
            string path = r.ReadStringNotNull();
            if (path == "/")
            {
                break;
            }

            byte[]? data = r.ReadBufferArray();
            long aclIndex = r.ReadLong();
            nodes.Add(new ApacheZnode(path, data, aclIndex,
                Czxid: r.ReadLong(), Mzxid: r.ReadLong(), Ctime: r.ReadLong(), Mtime: r.ReadLong(),
                Version: r.ReadInt(), Cversion: r.ReadInt(), Aversion: r.ReadInt(),
                EphemeralOwner: r.ReadLong(), Pzxid: r.ReadLong()));
        }

        uint expected = Adler32.Compute(bytes.AsSpan(0, r.Position));
        long seal = r.ReadLong();
        if ((ulong)seal != expected)
        {
            throw new InvalidDataException("the Adler-32 seal does not match");
        }

        // ZooKeeper reads the "/" written after each seal too; it is the last byte a compressed stream
        // can lose at a block boundary without failing to decompress.
        if (r.ReadStringNotNull() != "/")
        {
            throw new InvalidDataException("no \"/\" after the seal");
        }

        return new ApacheSnapshot(sessions, acls, nodes);
    }
}
