using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace HotZk.Engine.Storage;

/// <summary>What <see cref="SegmentScanner.Next"/> found.</summary>
internal enum ScanResult
{
    /// <summary>A valid record.</summary>
    Record,

    /// <summary>A clean end: end of file or a zero length field.</summary>
    End,

    /// <summary>A record that is torn or damaged; <see cref="SegmentScanner.Problem"/> says how.</summary>
    Corrupt,
}

/// <summary>
/// Reads the records of one segment sequentially through a reusable buffer, validating lengths
/// and checksums. Never reads past <c>limit</c>.
/// </summary>
internal sealed class SegmentScanner
{
    private readonly SafeFileHandle _handle;
    private readonly long _limit;
    private readonly int _maxRecordSize;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;
    private long _position;

    public SegmentScanner(SafeFileHandle handle, long start, long limit, int maxRecordSize, int bufferSize = 1 << 20)
    {
        _handle = handle;
        _position = start;
        _limit = limit;
        _maxRecordSize = maxRecordSize;
        _buffer = new byte[bufferSize];
        _bufferStart = start;
    }

    /// <summary>Offset of the next record (after <see cref="ScanResult.Corrupt"/>: of the bad one).</summary>
    public long Position => _position;

    /// <summary>Why the last scan returned <see cref="ScanResult.Corrupt"/>.</summary>
    public string? Problem { get; private set; }

    /// <summary>Reads the next record. <paramref name="payload"/> is valid until the next call.</summary>
    public ScanResult Next(out long zxid, out ReadOnlySpan<byte> payload)
    {
        zxid = 0;
        payload = default;
        long remaining = _limit - _position;
        if (remaining <= 0)
        {
            return ScanResult.End;
        }

        int headerBytes = Fill((int)Math.Min(remaining, TxnLogFormat.RecordHeaderSize));
        Span<byte> available = _buffer.AsSpan((int)(_position - _bufferStart), headerBytes);
        if (headerBytes < 4)
        {
            return available.ContainsAnyExcept((byte)0) ? Fail("short read in the record length") : ScanResult.End;
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(available);
        if (length == 0)
        {
            return ScanResult.End;
        }

        if (length < 0 || length > _maxRecordSize)
        {
            return Fail($"invalid record length {length}");
        }

        long total = (long)length + TxnLogFormat.RecordOverhead;
        if (total > remaining)
        {
            return Fail($"record of {length} bytes extends past the end of the data ({remaining} bytes left)");
        }

        if (Fill((int)total) < total)
        {
            return Fail("short read inside the record");
        }

        Span<byte> record = _buffer.AsSpan((int)(_position - _bufferStart), (int)total);
        int covered = TxnLogFormat.RecordHeaderSize + length;
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(record[covered..]);
        if (Crc32.HashToUInt32(record[..covered]) != stored)
        {
            return Fail("checksum mismatch");
        }

        zxid = BinaryPrimitives.ReadInt64BigEndian(record[4..]);
        payload = record.Slice(TxnLogFormat.RecordHeaderSize, length);
        _position += total;
        return ScanResult.Record;
    }

    /// <summary>True when every byte in [from, to) of the file is zero.</summary>
    public static bool IsZeroRange(SafeFileHandle handle, long from, long to)
    {
        byte[] chunk = new byte[Math.Min(1 << 20, Math.Max(1, to - from))];
        while (from < to)
        {
            int n = RandomAccess.Read(handle, chunk.AsSpan(0, (int)Math.Min(chunk.Length, to - from)), from);
            if (n <= 0)
            {
                return true; // past EOF reads as nothing, not as garbage
            }

            if (chunk.AsSpan(0, n).ContainsAnyExcept((byte)0))
            {
                return false;
            }

            from += n;
        }

        return true;
    }

    private ScanResult Fail(string problem)
    {
        Problem = problem;
        return ScanResult.Corrupt;
    }

    /// <summary>Makes <paramref name="count"/> bytes from the position available (fewer at EOF); returns how many.</summary>
    private int Fill(int count)
    {
        long bufferEnd = _bufferStart + _bufferLength;
        if (_position >= _bufferStart && _position + count <= bufferEnd)
        {
            return count;
        }

        if (count > _buffer.Length)
        {
            _buffer = new byte[Math.Max(count, _buffer.Length * 2)];
        }

        int want = (int)Math.Min(_buffer.Length, _limit - _position);
        int got = 0;
        while (got < want)
        {
            int n = RandomAccess.Read(_handle, _buffer.AsSpan(got, want - got), _position + got);
            if (n <= 0)
            {
                break;
            }

            got += n;
        }

        _bufferStart = _position;
        _bufferLength = got;
        return Math.Min(count, got);
    }
}
