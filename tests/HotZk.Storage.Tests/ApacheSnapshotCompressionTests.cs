using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using HotZk.Common;
using HotZk.Engine.Import;
using HotZk.Engine.Storage;
using Xunit;

namespace HotZk.Storage.Tests;

/// <summary>
/// The raw Snappy block decoder, snappy-java's block stream, gzip, and the snapshot reader and
/// importer on <c>snapshot.&lt;hex&gt;[.gz|.snappy]</c> files, including damaged and truncated input.
/// Files from a real ZooKeeper are covered by <c>ApacheImportTests</c> in the integration tests.
/// </summary>
public sealed class ApacheSnapshotCompressionTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void SnappyBlockDecodesEveryElementKind()
    {
        var b = new BlockBuilder();
        b.Literal("abcd"u8);                                    // short literal
        b.Literal(Enumerable.Range(0, 100).Select(i => (byte)i).ToArray()); // 1-byte extended length
        b.Literal(Enumerable.Range(0, 300).Select(i => (byte)(i * 7)).ToArray()); // 2-byte extended length
        b.Copy1(offset: 4 + 100, length: 11);                   // 11-bit offset
        b.Copy2(offset: 300, length: 64);                       // 16-bit offset
        b.Copy4(offset: 400, length: 33);                       // 32-bit offset
        b.Copy1(offset: 1, length: 9);                          // overlapping: repeats the last byte
        b.Copy2(offset: 3, length: 20);                         // overlapping: repeats a 3-byte pattern
        Assert.Equal(b.Expected.ToArray(), DecodeBlock(b.Build()));
    }

    [Fact]
    public void SnappyBlockDecodesRandomValidBlocks()
    {
        var random = new Random(1234);
        for (int round = 0; round < 300; round++)
        {
            var b = RandomBlock(random, random.Next(1, 60));
            Assert.Equal(b.Expected.ToArray(), DecodeBlock(b.Build()));
        }
    }

    [Fact]
    public void SnappyBlockRejectsEveryTruncation()
    {
        var random = new Random(99);
        for (int round = 0; round < 20; round++)
        {
            byte[] block = RandomBlock(random, 12).Build();
            for (int cut = 0; cut < block.Length; cut++)
            {
                Assert.Throws<InvalidDataException>(() => DecodeBlock(block.AsSpan(0, cut).ToArray()));
            }
        }
    }

    [Fact]
    public void SnappyBlockSurvivesCorruptionWithInvalidDataOrSomeOutput()
    {
        // A flipped byte either breaks the block (InvalidDataException) or decodes to other bytes,
        // which the snapshot's Adler-32 seal then catches; never any other exception, never a hang.
        var random = new Random(7);
        int rejected = 0;
        for (int round = 0; round < 2000; round++)
        {
            byte[] block = RandomBlock(random, 10).Build();
            block[random.Next(block.Length)] ^= (byte)(1 << random.Next(8));
            try
            {
                DecodeBlock(block);
            }
            catch (InvalidDataException)
            {
                rejected++;
            }
        }

        Assert.True(rejected > 50, $"only {rejected} of 2000 corruptions detected in the block itself"); // most flips hit literal bytes
    }

    [Fact]
    public void SnappyBlockRejectsImpossibleLengthsBeforeAllocating()
    {
        // Declares 4 GiB - 1 from a 6-byte block: refused up front, no 4 GiB buffer.
        byte[] block = [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00];
        var ex = Assert.Throws<InvalidDataException>(() => SnappyBlock.GetUncompressedLength(block));
        Assert.Contains("impossible", ex.Message);
        Assert.Throws<InvalidDataException>(() => SnappyBlock.GetUncompressedLength([0x80, 0x80, 0x80, 0x80, 0x80, 0x01])); // 6-byte varint
        Assert.Throws<InvalidDataException>(() => SnappyBlock.Decode([0x02, 0x05, 0x00], new byte[2])); // copy with distance 0... of nothing
        Assert.Throws<InvalidDataException>(() => SnappyBlock.Decode([0x05, 0x00, (byte)'a', 0x01 | (0 << 2), 0x02], new byte[5])); // copy from before the start
    }

    [Fact]
    public void XerialStreamReadsBlocksAndRepeatedHeaders()
    {
        byte[] data = SampleBytes(100_000);
        byte[] stream = XerialStream(data, blockSize: 32 * 1024, repeatHeaderAt: 2);
        Assert.Equal(data, XerialSnappy.Decompress(stream));
        Assert.Empty(XerialSnappy.Decompress(XerialStream([], 32 * 1024)));
    }

    [Fact]
    public void XerialStreamTruncatedAnywhereThrowsOrEndsAtABlockBoundary()
    {
        byte[] data = SampleBytes(5000);
        byte[] stream = XerialStream(data, blockSize: 1000);
        for (int cut = 0; cut < stream.Length; cut++)
        {
            try
            {
                byte[] got = XerialSnappy.Decompress(stream.AsSpan(0, cut));
                // Cut exactly between blocks: a clean shorter stream (the snapshot parser or seal catches that).
                Assert.True(got.Length % 1000 == 0 && data.AsSpan(0, got.Length).SequenceEqual(got), $"cut at {cut}");
            }
            catch (InvalidDataException)
            {
            }
        }

        var noMagic = Assert.Throws<InvalidDataException>(() => XerialSnappy.Decompress(data));
        Assert.Contains("header", noMagic.Message);
        byte[] badLength = stream.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(badLength.AsSpan(16), int.MaxValue);
        Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => XerialSnappy.Decompress(badLength)).Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".gz")]
    [InlineData(".snappy")]
    [InlineData(".GZ")]
    public void SnapshotReaderReadsEveryForm(string suffix)
    {
        byte[] jute = SnapshotBytes(nodes: 50, seed: 1);
        string path = WriteSnapshot(_dir.Path, 0x1a, suffix, jute);
        var snap = ApacheSnapshotReader.Read(path);
        Assert.Equal(52, snap.Nodes.Count); // "", /app and 50 children
        Assert.Equal("v49", Encoding.UTF8.GetString(snap.Nodes.Single(n => n.Path == "/app/n49").Data!));
        Assert.Equal(30_000, snap.Sessions[0x1234]);
    }

    [Theory]
    [InlineData(".gz")]
    [InlineData(".snappy")]
    public void TruncatedCompressedSnapshotThrowsInvalidDataNamingTheFile(string suffix)
    {
        byte[] jute = SnapshotBytes(nodes: 400, seed: 2);
        string full = WriteSnapshot(_dir.Path, 0x20, suffix, jute);
        byte[] bytes = File.ReadAllBytes(full);
        string path = _dir.Sub("snapshot.21" + suffix);
        foreach (int cut in new[] { 0, 1, 5, 10, 17, 20, bytes.Length / 3, bytes.Length / 2, bytes.Length - 9, bytes.Length - 4, bytes.Length - 1 })
        {
            File.WriteAllBytes(path, bytes.AsSpan(0, cut).ToArray());
            var ex = Assert.Throws<InvalidDataException>(() => ApacheSnapshotReader.Read(path));
            Assert.Contains(path, ex.Message);
        }
    }

    [Theory]
    [InlineData(".gz")]
    [InlineData(".snappy")]
    public void CorruptedCompressedSnapshotThrowsInvalidDataNamingTheFile(string suffix)
    {
        byte[] jute = SnapshotBytes(nodes: 400, seed: 3);
        byte[] bytes = File.ReadAllBytes(WriteSnapshot(_dir.Path, 0x30, suffix, jute));
        string path = _dir.Sub("snapshot.31" + suffix);
        var random = new Random(5);
        int accepted = 0;
        for (int round = 0; round < 200; round++)
        {
            byte[] damaged = bytes.ToArray();
            int at = random.Next(suffix == ".snappy" ? 16 : 10, damaged.Length); // past the headers: the content
            damaged[at] ^= (byte)(1 << random.Next(8));
            File.WriteAllBytes(path, damaged);
            try
            {
                ApacheSnapshotReader.Read(path);
                // Accepted only if the flip did not change the content, e.g. a copy now taken from
                // another earlier occurrence of the same bytes.
                accepted++;
                Assert.Equal(jute, ApacheSnapshotDecompressor.Decompress(damaged, suffix == ".gz" ? ApacheSnapshotFormat.Gzip : ApacheSnapshotFormat.Snappy));
            }
            catch (InvalidDataException ex)
            {
                Assert.Contains(path, ex.Message);
            }
        }

        Assert.True(accepted < 50, $"{accepted} of 200 damaged files accepted"); // the rest: same-content copies
    }

    [Theory]
    [InlineData(".gz")]
    [InlineData(".snappy")]
    public void CompressedSnapshotWithABadSealIsRejected(string suffix)
    {
        byte[] jute = SnapshotBytes(nodes: 5, seed: 4);
        jute[^6] ^= 1; // inside the seal: the compressed stream is intact, the Adler-32 of its content is not
        string path = WriteSnapshot(_dir.Path, 0x40, suffix, jute);
        Assert.Contains("seal", Assert.Throws<InvalidDataException>(() => ApacheSnapshotReader.Read(path)).Message);
    }

    [Fact]
    public void SnapshotNamesParseAndListNewestFirstWhateverTheCompression()
    {
        string v2 = _dir.Sub("version-2");
        Directory.CreateDirectory(v2);
        foreach (string name in new[] { "snapshot.5", "snapshot.1f.gz", "snapshot.a.snappy", "snapshot.1f", "snapshot.3.lz4", "snapshot.", "snapshot.zz.gz", "log.1", "snapshot.b.gz.tmp" })
        {
            File.WriteAllBytes(Path.Combine(v2, name), [0]);
        }

        Assert.Equal(new[] { "snapshot.1f", "snapshot.1f.gz", "snapshot.a.snappy", "snapshot.5" },
            ApacheSnapshotReader.ListSnapshots(v2).Select(s => Path.GetFileName(s.Path)));
        Assert.Equal(new long[] { 0x1f, 0x1f, 0xa, 5 }, ApacheSnapshotReader.ListSnapshots(v2).Select(s => s.Zxid));
        Assert.True(ApacheSnapshotReader.TryParseName("snapshot.100.snappy", out long z, out var f));
        Assert.Equal((0x100L, ApacheSnapshotFormat.Snappy), (z, f));
        Assert.False(ApacheSnapshotReader.TryParseName("snapshot.100.zip", out _, out _));
    }

    [Fact]
    public void ImporterPicksTheNewestValidSnapshotWhateverItsCompression()
    {
        string v2 = _dir.Sub("zk/version-2");
        Directory.CreateDirectory(v2);
        WriteSnapshot(v2, 0x10, "", SnapshotBytes(nodes: 3, seed: 10));
        WriteSnapshot(v2, 0x20, ".gz", SnapshotBytes(nodes: 4, seed: 11));
        string newest = WriteSnapshot(v2, 0x30, ".snappy", SnapshotBytes(nodes: 5, seed: 12));
        byte[] good = File.ReadAllBytes(newest);
        File.WriteAllBytes(newest, good.AsSpan(0, good.Length - 7).ToArray()); // torn, as by a crash mid-write

        var logged = new List<string>();
        var (tree, _, result) = ApacheImporter.Load(_dir.Sub("zk"), null, extendedTypesEnabled: false, logged.Add);
        Assert.Equal(0x20, result.SnapshotZxid);
        Assert.True(tree.GetNode("/app/n3") is not null && tree.GetNode("/app/n4") is null, "the tree of snapshot.20.gz");
        int nodesAt20 = result.Nodes;
        Assert.Contains(logged, l => l.Contains("skipping unreadable snapshot snapshot.30.snappy", StringComparison.Ordinal));
        Assert.Contains(logged, l => l.Contains("loaded Apache snapshot snapshot.20.gz", StringComparison.Ordinal));

        File.WriteAllBytes(newest, good);
        (_, _, result) = ApacheImporter.Load(_dir.Sub("zk"), null, extendedTypesEnabled: false);
        Assert.Equal((0x30L, nodesAt20 + 1), (result.SnapshotZxid, result.Nodes));
    }

    private static byte[] DecodeBlock(byte[] block)
    {
        var output = new byte[SnappyBlock.GetUncompressedLength(block)];
        SnappyBlock.Decode(block, output);
        return output;
    }

    private static BlockBuilder RandomBlock(Random random, int elements)
    {
        var b = new BlockBuilder();
        for (int i = 0; i < elements; i++)
        {
            int produced = b.Expected.Count;
            if (produced == 0 || random.Next(3) == 0)
            {
                int length = random.Next(4) switch { 0 => random.Next(1, 61), 1 => random.Next(61, 257), 2 => random.Next(257, 3000), _ => random.Next(1, 8) };
                var bytes = new byte[length];
                random.NextBytes(bytes);
                b.Literal(bytes);
                continue;
            }

            switch (random.Next(3))
            {
                case 0:
                    b.Copy1(random.Next(1, Math.Min(produced, 2047) + 1), random.Next(4, 12));
                    break;
                case 1:
                    b.Copy2(random.Next(1, Math.Min(produced, 65535) + 1), random.Next(1, 65));
                    break;
                default:
                    b.Copy4(random.Next(1, produced + 1), random.Next(1, 65));
                    break;
            }
        }

        return b;
    }

    /// <summary>Writes snapshot.&lt;zxid&gt;&lt;suffix&gt; compressed as the suffix says, as ZooKeeper would.</summary>
    private static string WriteSnapshot(string dir, long zxid, string suffix, byte[] jute)
    {
        string path = Path.Combine(dir, $"snapshot.{zxid:x}{suffix}");
        byte[] content = suffix.ToLowerInvariant() switch
        {
            "" => jute,
            ".gz" => Gzip(jute),
            ".snappy" => XerialStream(jute, blockSize: 1024),
            _ => throw new ArgumentException(suffix),
        };
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] Gzip(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(data);
        }

        return ms.ToArray();
    }

    /// <summary>snappy-java's stream layout; each block is a literal plus, where the data repeats, copies.</summary>
    private static byte[] XerialStream(byte[] data, int blockSize, int repeatHeaderAt = -1)
    {
        var ms = new MemoryStream();
        byte[] header = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0, 0, 0, 0, 1, 0, 0, 0, 1];
        ms.Write(header);
        int index = 0;
        for (int start = 0; start < data.Length; start += blockSize, index++)
        {
            if (index == repeatHeaderAt)
            {
                ms.Write(header);
            }

            byte[] block = CompressNaively(data.AsSpan(start, Math.Min(blockSize, data.Length - start)));
            var len = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(len, block.Length);
            ms.Write(len);
            ms.Write(block);
        }

        return ms.ToArray();
    }

    /// <summary>A tiny greedy Snappy encoder (4-byte hash of the last position), enough to produce real copies.</summary>
    private static byte[] CompressNaively(ReadOnlySpan<byte> input)
    {
        var b = new BlockBuilder();
        var last = new Dictionary<int, int>();
        int literalStart = 0;
        int i = 0;
        while (i + 4 <= input.Length)
        {
            int key = BinaryPrimitives.ReadInt32LittleEndian(input[i..]);
            if (last.TryGetValue(key, out int candidate) && i - candidate <= 65535)
            {
                int length = 4;
                while (i + length < input.Length && length < 64 && input[candidate + length] == input[i + length])
                {
                    length++;
                }

                if (i > literalStart)
                {
                    b.Literal(input[literalStart..i]);
                }

                b.Copy2(i - candidate, length);
                last[key] = i;
                i += length;
                literalStart = i;
                continue;
            }

            last[key] = i;
            i++;
        }

        if (input.Length > literalStart)
        {
            b.Literal(input[literalStart..]);
        }

        byte[] block = b.Build();
        Assert.Equal(input.ToArray(), DecodeBlock(block)); // the encoder is test code: check it too
        return block;
    }

    private static byte[] SampleBytes(int length)
    {
        var text = new StringBuilder();
        for (int i = 0; text.Length < length; i++)
        {
            text.Append(CultureInvariant($"/app/node-{i % 97}/child-{i}:{i * 31 % 1000};"));
        }

        return Encoding.UTF8.GetBytes(text.ToString())[..length];
    }

    private static string CultureInvariant(FormattableString s) => FormattableString.Invariant(s);

    /// <summary>A small snapshot in ZooKeeper's jute layout: header, sessions, ACL cache, nodes, "/" marker, seal.</summary>
    private static byte[] SnapshotBytes(int nodes, int seed)
    {
        var w = new JuteWriter(new ByteBuffer());
        w.WriteInt(0x5A4B534E);
        w.WriteInt(2);
        w.WriteLong(-1);
        w.WriteInt(1);
        w.WriteLong(0x1234);
        w.WriteInt(30_000);
        w.WriteInt(1);
        w.WriteLong(1);
        Acl.WriteList(w, Acl.OpenAclUnsafe);
        WriteNode(w, "", null, 0);
        WriteNode(w, "/app", Encoding.UTF8.GetBytes("app" + seed), 1);
        for (int i = 0; i < nodes; i++)
        {
            WriteNode(w, $"/app/n{i}", Encoding.UTF8.GetBytes("v" + i), 2 + i);
        }

        w.WriteString("/");
        w.WriteLong(Adler32.Compute(w.Buffer.WrittenSpan));
        w.WriteString("/");
        return w.Buffer.WrittenSpan.ToArray();
    }

    private static void WriteNode(JuteWriter w, string path, byte[]? data, long zxid)
    {
        w.WriteString(path);
        w.WriteBuffer(data);
        w.WriteLong(1);
        w.WriteLong(zxid); // czxid
        w.WriteLong(zxid); // mzxid
        w.WriteLong(1000 + zxid);
        w.WriteLong(1000 + zxid);
        w.WriteInt(0);
        w.WriteInt(0);
        w.WriteInt(0);
        w.WriteLong(0);
        w.WriteLong(zxid); // pzxid
    }

    /// <summary>Builds a raw Snappy block element by element, tracking the bytes it decodes to.</summary>
    private sealed class BlockBuilder
    {
        private readonly List<byte> _elements = [];

        public List<byte> Expected { get; } = [];

        public void Literal(ReadOnlySpan<byte> bytes)
        {
            int n = bytes.Length - 1;
            if (n < 60)
            {
                _elements.Add((byte)(n << 2));
            }
            else
            {
                int extra = n < 1 << 8 ? 1 : n < 1 << 16 ? 2 : n < 1 << 24 ? 3 : 4;
                _elements.Add((byte)((59 + extra) << 2));
                for (int i = 0; i < extra; i++)
                {
                    _elements.Add((byte)(n >> (8 * i)));
                }
            }

            _elements.AddRange(bytes.ToArray());
            Expected.AddRange(bytes.ToArray());
        }

        public void Copy1(int offset, int length)
        {
            Assert.InRange(length, 4, 11);
            Assert.InRange(offset, 1, 2047);
            _elements.Add((byte)(1 | ((length - 4) << 2) | ((offset >> 8) << 5)));
            _elements.Add((byte)offset);
            Repeat(offset, length);
        }

        public void Copy2(int offset, int length)
        {
            Assert.InRange(length, 1, 64);
            _elements.Add((byte)(2 | ((length - 1) << 2)));
            _elements.Add((byte)offset);
            _elements.Add((byte)(offset >> 8));
            Repeat(offset, length);
        }

        public void Copy4(int offset, int length)
        {
            Assert.InRange(length, 1, 64);
            _elements.Add((byte)(3 | ((length - 1) << 2)));
            for (int i = 0; i < 4; i++)
            {
                _elements.Add((byte)(offset >> (8 * i)));
            }

            Repeat(offset, length);
        }

        public byte[] Build()
        {
            var block = new List<byte>();
            uint n = (uint)Expected.Count;
            while (n >= 0x80)
            {
                block.Add((byte)(n | 0x80));
                n >>= 7;
            }

            block.Add((byte)n);
            block.AddRange(_elements);
            return block.ToArray();
        }

        private void Repeat(int offset, int length)
        {
            for (int i = 0; i < length; i++)
            {
                Expected.Add(Expected[^offset]);
            }
        }
    }
}
