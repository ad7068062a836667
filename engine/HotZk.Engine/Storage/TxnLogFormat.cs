using System.Buffers.Binary;
using System.Globalization;
using System.IO.Hashing;

namespace HotZk.Engine.Storage;

/// <summary>
/// Byte layout of HotZk txn log segments (see engine/STORAGE-FORMAT.md). All integers big-endian.
/// </summary>
/// <remarks>
/// File header (16 bytes): int magic "HZLG", int version, long reserved (0).
/// Record: int length (payload bytes, &gt; 0), long zxid, payload, uint CRC-32 (IEEE, System.IO.Hashing.Crc32)
/// over length + zxid + payload. A zero length, a short read or a checksum mismatch ends the data.
/// </remarks>
internal static class TxnLogFormat
{
    public const int Magic = 0x485A4C47; // "HZLG"
    public const int Version = 1;
    public const int FileHeaderSize = 16;
    public const int RecordHeaderSize = 12;
    public const int RecordTrailerSize = 4;
    public const int RecordOverhead = RecordHeaderSize + RecordTrailerSize;
    public const string DirectoryName = "hotzk-log";
    public const string FilePrefix = "log.";

    public static string SegmentFileName(long firstZxid) =>
        FilePrefix + firstZxid.ToString("x16", CultureInfo.InvariantCulture);

    public static bool TryParseSegmentFileName(string fileName, out long firstZxid)
    {
        firstZxid = 0;
        return fileName.Length == FilePrefix.Length + 16
            && fileName.StartsWith(FilePrefix, StringComparison.Ordinal)
            && long.TryParse(fileName.AsSpan(FilePrefix.Length), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out firstZxid);
    }

    public static void WriteFileHeader(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, Magic);
        BinaryPrimitives.WriteInt32BigEndian(destination[4..], Version);
        BinaryPrimitives.WriteInt64BigEndian(destination[8..], 0);
    }

    /// <summary>Encodes one record into <paramref name="destination"/> (which must hold payload + 16 bytes).</summary>
    public static void WriteRecord(Span<byte> destination, long zxid, ReadOnlySpan<byte> payload)
    {
        BinaryPrimitives.WriteInt32BigEndian(destination, payload.Length);
        BinaryPrimitives.WriteInt64BigEndian(destination[4..], zxid);
        payload.CopyTo(destination[RecordHeaderSize..]);
        int covered = RecordHeaderSize + payload.Length;
        uint crc = Crc32.HashToUInt32(destination[..covered]);
        BinaryPrimitives.WriteUInt32BigEndian(destination[covered..], crc);
    }

    /// <summary>The epoch half of a zxid.</summary>
    public static long Epoch(long zxid) => (long)((ulong)zxid >> 32);

    /// <summary>
    /// True when <paramref name="next"/> may follow <paramref name="previous"/> in one log: strictly
    /// larger, and exactly one larger inside an epoch (ZooKeeper numbers every txn of an epoch).
    /// </summary>
    public static bool IsValidSuccessor(long previous, long next, bool requireContiguous) =>
        next > previous && (!requireContiguous || Epoch(next) != Epoch(previous) || next == previous + 1);
}
