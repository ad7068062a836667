using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace HotZk.Engine.Storage;

/// <summary>How an Apache ZooKeeper snapshot file is stored, from its name's suffix (<c>zookeeper.snapshot.compression.method</c>).</summary>
public enum ApacheSnapshotFormat
{
    /// <summary><c>snapshot.&lt;hex&gt;</c>: the jute stream as is.</summary>
    Plain,

    /// <summary><c>snapshot.&lt;hex&gt;.gz</c>: one gzip member over the whole jute stream.</summary>
    Gzip,

    /// <summary><c>snapshot.&lt;hex&gt;.snappy</c>: snappy-java's block stream (see <see cref="XerialSnappy"/>).</summary>
    Snappy,
}

/// <summary>Decompresses whole Apache ZooKeeper snapshot files in memory.</summary>
public static class ApacheSnapshotDecompressor
{
    /// <summary>The jute bytes of a snapshot file stored as <paramref name="format"/>.</summary>
    /// <exception cref="InvalidDataException">Damaged, truncated, or too large to hold in memory.</exception>
    public static byte[] Decompress(byte[] file, ApacheSnapshotFormat format) => format switch
    {
        ApacheSnapshotFormat.Plain => file,
        ApacheSnapshotFormat.Gzip => Gunzip(file),
        ApacheSnapshotFormat.Snappy => XerialSnappy.Decompress(file),
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };

    /// <summary>
    /// Inflates the single gzip member <c>java.util.zip.GZIPOutputStream</c> writes, then checks its
    /// 8-byte trailer (CRC-32 and length of the content, little-endian) against what came out:
    /// <see cref="GZipStream"/> reports some truncations (a file cut inside the trailer, or just before
    /// it) as a clean end of stream.
    /// </summary>
    private static byte[] Gunzip(byte[] file)
    {
        if (file.Length < 2 || file[0] != 0x1F || file[1] != 0x8B)
        {
            throw new InvalidDataException("no gzip header");
        }

        byte[] content;
        try
        {
            using var gz = new GZipStream(new MemoryStream(file, writable: false), CompressionMode.Decompress);
            using var output = new MemoryStream(Math.Min(file.Length, Array.MaxLength / 8) * 4);
            gz.CopyTo(output);
            content = output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"gzip stream damaged: {ex.Message}", ex);
        }
        catch (IOException ex)
        {
            throw new InvalidDataException($"gzip stream too large to import in memory: {ex.Message}", ex);
        }
        catch (OutOfMemoryException ex)
        {
            throw new InvalidDataException("gzip stream too large to import in memory", ex);
        }

        if (file.Length < 18 // 10-byte header + 8-byte trailer
            || BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 8)) != Crc32.HashToUInt32(content)
            || BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(file.Length - 4)) != (uint)content.Length)
        {
            throw new InvalidDataException("gzip stream truncated or damaged: its trailer does not match the content");
        }

        return content;
    }
}

/// <summary>
/// Reader for the stream <c>org.xerial.snappy.SnappyOutputStream</c> writes (ZooKeeper's <c>.snappy</c>
/// snapshots): a 16-byte header (8-byte magic <c>82 'SNAPPY' 00</c>, big-endian int32 version and
/// minimum compatible version), then blocks of [big-endian int32 compressed length][raw snappy block].
/// A header may repeat between blocks (concatenated streams). Not the framed format of <c>snappy-framed</c>.
/// </summary>
public static class XerialSnappy
{
    private const int HeaderLength = 16;
    private static ReadOnlySpan<byte> Magic => [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];

    /// <summary>Whether <paramref name="file"/> starts with the snappy-java magic.</summary>
    public static bool HasMagic(ReadOnlySpan<byte> file) => file.StartsWith(Magic);

    /// <summary>The concatenated content of every block.</summary>
    /// <exception cref="InvalidDataException">Missing header, truncated block, or a damaged block.</exception>
    public static byte[] Decompress(ReadOnlySpan<byte> file)
    {
        if (!HasMagic(file) || file.Length < HeaderLength)
        {
            throw new InvalidDataException("no snappy-java stream header");
        }

        CheckVersion(file);
        int pos = HeaderLength;
        long total = 0;
        var blocks = new List<(int Start, int Length, int Uncompressed)>();
        while (pos < file.Length)
        {
            if (file.Length - pos < 4)
            {
                throw new InvalidDataException($"snappy stream truncated in a block length at offset {pos}");
            }

            if (file[pos..].StartsWith(Magic))
            {
                if (file.Length - pos < HeaderLength)
                {
                    throw new InvalidDataException($"snappy stream truncated in a repeated header at offset {pos}");
                }

                CheckVersion(file[pos..]);
                pos += HeaderLength;
                continue;
            }

            int length = BinaryPrimitives.ReadInt32BigEndian(file[pos..]);
            pos += 4;
            if (length <= 0 || length > file.Length - pos)
            {
                throw new InvalidDataException(length <= 0
                    ? $"snappy block at offset {pos - 4} has invalid length {length}"
                    : $"snappy stream truncated: block at offset {pos - 4} needs {length} bytes, {file.Length - pos} left");
            }

            int uncompressed = SnappyBlock.GetUncompressedLength(file.Slice(pos, length));
            total += uncompressed;
            if (total > Array.MaxLength)
            {
                throw new InvalidDataException("snappy stream too large to import in memory");
            }

            blocks.Add((pos, length, uncompressed));
            pos += length;
        }

        var output = new byte[total];
        int at = 0;
        foreach (var (start, length, uncompressed) in blocks)
        {
            try
            {
                SnappyBlock.Decode(file.Slice(start, length), output.AsSpan(at, uncompressed));
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"snappy block at offset {start - 4}: {ex.Message}", ex);
            }

            at += uncompressed;
        }

        return output;
    }

    private static void CheckVersion(ReadOnlySpan<byte> header)
    {
        int version = BinaryPrimitives.ReadInt32BigEndian(header[8..]);
        if (version < 1)
        {
            throw new InvalidDataException($"unsupported snappy-java stream version {version}");
        }
    }
}

/// <summary>
/// Decoder for one raw Snappy block (google/snappy <c>format_description.txt</c>): a little-endian
/// base-128 varint of the uncompressed length, then literal and copy elements. Every length and offset
/// is checked against the input and the output, so damaged input throws instead of reading or writing
/// out of bounds.
/// </summary>
public static class SnappyBlock
{
    // The densest element is a 3-byte copy of 64 bytes: a block can never expand more than ~21.4x.
    private const int MaxExpansion = 22;

    /// <summary>The uncompressed length a block declares, checked to be achievable from its size.</summary>
    /// <exception cref="InvalidDataException">Bad varint, or a length the block cannot possibly expand to.</exception>
    public static int GetUncompressedLength(ReadOnlySpan<byte> block)
    {
        ulong length = ReadVarint(block, out int used);
        if (length > (ulong)(block.Length - used) * MaxExpansion + 64 || length > (ulong)Array.MaxLength)
        {
            throw new InvalidDataException($"snappy block of {block.Length} bytes declares an impossible uncompressed length {length}");
        }

        return (int)length;
    }

    /// <summary>Decodes <paramref name="block"/> into <paramref name="output"/>, which must be exactly the declared length.</summary>
    /// <exception cref="InvalidDataException">The block is damaged or does not fill <paramref name="output"/> exactly.</exception>
    public static void Decode(ReadOnlySpan<byte> block, Span<byte> output)
    {
        ulong declared = ReadVarint(block, out int pos);
        if (declared != (ulong)output.Length)
        {
            throw new InvalidDataException($"declared length {declared}, expected {output.Length}");
        }

        int outPos = 0;
        while (pos < block.Length)
        {
            byte tag = block[pos++];
            int length;
            int offset;
            switch (tag & 3)
            {
                case 0: // literal
                    length = tag >> 2;
                    if (length >= 60)
                    {
                        int extra = length - 59;
                        if (block.Length - pos < extra)
                        {
                            throw Truncated(pos);
                        }

                        uint n = 0;
                        for (int i = 0; i < extra; i++)
                        {
                            n |= (uint)block[pos + i] << (8 * i);
                        }

                        pos += extra;
                        if (n >= int.MaxValue)
                        {
                            throw new InvalidDataException($"literal length {n} at offset {pos} is out of range");
                        }

                        length = (int)n;
                    }

                    length++;
                    if (length > block.Length - pos || length > output.Length - outPos)
                    {
                        throw new InvalidDataException($"literal of {length} bytes at offset {pos} overruns the {(length > block.Length - pos ? "input" : "output")}");
                    }

                    block.Slice(pos, length).CopyTo(output[outPos..]);
                    pos += length;
                    outPos += length;
                    continue;
                case 1:
                    if (block.Length - pos < 1)
                    {
                        throw Truncated(pos);
                    }

                    length = 4 + ((tag >> 2) & 7);
                    offset = ((tag >> 5) << 8) | block[pos];
                    pos += 1;
                    break;
                case 2:
                    if (block.Length - pos < 2)
                    {
                        throw Truncated(pos);
                    }

                    length = 1 + (tag >> 2);
                    offset = BinaryPrimitives.ReadUInt16LittleEndian(block[pos..]);
                    pos += 2;
                    break;
                default:
                    if (block.Length - pos < 4)
                    {
                        throw Truncated(pos);
                    }

                    length = 1 + (tag >> 2);
                    uint wide = BinaryPrimitives.ReadUInt32LittleEndian(block[pos..]);
                    offset = wide > int.MaxValue ? int.MaxValue : (int)wide;
                    pos += 4;
                    break;
            }

            if (offset == 0 || offset > outPos || length > output.Length - outPos)
            {
                throw new InvalidDataException($"copy of {length} bytes from distance {offset} at output position {outPos} is out of range (input offset {pos})");
            }

            Span<byte> dst = output.Slice(outPos, length);
            if (offset >= length)
            {
                output.Slice(outPos - offset, length).CopyTo(dst);
            }
            else
            {
                for (int i = 0; i < length; i++)
                {
                    output[outPos + i] = output[outPos - offset + i]; // overlapping copy repeats a pattern
                }
            }

            outPos += length;
        }

        if (outPos != output.Length)
        {
            throw new InvalidDataException($"block ends after {outPos} of {output.Length} declared bytes");
        }
    }

    private static ulong ReadVarint(ReadOnlySpan<byte> block, out int used)
    {
        ulong value = 0;
        for (int i = 0; i < 5; i++)
        {
            if (i >= block.Length)
            {
                throw new InvalidDataException("block truncated in its length preamble");
            }

            byte b = block[i];
            value |= (ulong)(b & 0x7F) << (7 * i);
            if (b < 0x80)
            {
                used = i + 1;
                if (value > uint.MaxValue)
                {
                    break;
                }

                return value;
            }
        }

        throw new InvalidDataException("block has a bad length preamble");
    }

    private static InvalidDataException Truncated(int pos) => new($"block truncated inside the element at offset {pos}");
}
