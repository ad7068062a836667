using System.Buffers;
using HotZk.Protocol;

namespace HotZk.Protocol.Tests;

public class FrameReaderTests
{
    private static readonly byte[][] Payloads = [[1, 2, 3], [], [9], Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), [4, 5]];

    private static byte[] Stream()
    {
        var all = new List<byte>();
        foreach (var p in Payloads)
        {
            all.AddRange([(byte)(p.Length >> 24), (byte)(p.Length >> 16), (byte)(p.Length >> 8), (byte)p.Length]);
            all.AddRange(p);
        }
        return all.ToArray();
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory) => Memory = memory;

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory) { RunningIndex = RunningIndex + Memory.Length };
            Next = next;
            return next;
        }
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        var first = new Segment(bytes.AsMemory(0, cuts.Length > 0 ? cuts[0] : bytes.Length));
        var last = first;
        for (int i = 0; i < cuts.Length; i++)
        {
            int end = i + 1 < cuts.Length ? cuts[i + 1] : bytes.Length;
            last = last.Append(bytes.AsMemory(cuts[i], end - cuts[i]));
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static List<byte[]> Drain(ReadOnlySequence<byte> seq)
    {
        var frames = new List<byte[]>();
        for (int guard = 0; guard < 100; guard++)
        {
            var status = FrameReader.TryReadFrame(ref seq, 1000, out var payload);
            if (status == FrameStatus.Incomplete) break;
            Assert.Equal(FrameStatus.Complete, status);
            frames.Add(payload.ToArray());
        }
        Assert.Equal(0, seq.Length);
        return frames;
    }

    private static void AssertAllFrames(List<byte[]> frames)
    {
        Assert.Equal(Payloads.Length, frames.Count);
        for (int i = 0; i < Payloads.Length; i++) Assert.Equal(Payloads[i], frames[i]);
    }

    [Fact]
    public void SingleSegmentStreamYieldsEveryFrame() => AssertAllFrames(Drain(new ReadOnlySequence<byte>(Stream())));

    [Fact]
    public void TwoSegmentsSplitAtEveryOffsetYieldEveryFrame()
    {
        var bytes = Stream();
        for (int cut = 0; cut <= bytes.Length; cut++) AssertAllFrames(Drain(Split(bytes, cut)));
    }

    [Fact]
    public void ThreeSegmentsSplitAtEveryPairOfOffsetsYieldEveryFrame()
    {
        var bytes = Stream();
        // Every pair would be ~170k drains; a stride on the first cut still crosses every header and boundary shape.
        for (int a = 0; a <= bytes.Length; a += 3)
        {
            for (int b = a; b <= bytes.Length; b++) AssertAllFrames(Drain(Split(bytes, a, b)));
        }
    }

    [Fact]
    public void IncrementalArrivalNeverConsumesAPartialFrame()
    {
        // Simulates a pipe that delivers one more byte at a time: the unconsumed tail plus the new byte.
        var bytes = Stream();
        var frames = new List<byte[]>();
        int consumed = 0;
        for (int available = 0; available <= bytes.Length; available++)
        {
            var seq = new ReadOnlySequence<byte>(bytes, consumed, available - consumed);
            while (true)
            {
                long before = seq.Length;
                var status = FrameReader.TryReadFrame(ref seq, 1000, out var payload);
                if (status == FrameStatus.Incomplete)
                {
                    Assert.Equal(before, seq.Length);
                    break;
                }
                Assert.Equal(FrameStatus.Complete, status);
                frames.Add(payload.ToArray());
                consumed = available - (int)seq.Length;
            }
        }
        AssertAllFrames(frames);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    [InlineData(1001)]
    [InlineData(int.MaxValue)]
    public void NegativeOrOversizeLengthIsInvalidAndConsumesNothing(int length)
    {
        var bytes = new byte[] { (byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, 0, 0 };
        foreach (var seq0 in new[] { new ReadOnlySequence<byte>(bytes), Split(bytes, 2) })
        {
            var seq = seq0;
            Assert.Equal(FrameStatus.Invalid, FrameReader.TryReadFrame(ref seq, 1000, out _));
            Assert.Equal(bytes.Length, seq.Length);
        }
    }

    [Fact]
    public void LengthEqualToTheLimitIsAccepted()
    {
        var bytes = new byte[4 + 1000];
        bytes[2] = 0x03; bytes[3] = 0xe8;
        var seq = new ReadOnlySequence<byte>(bytes);
        Assert.Equal(FrameStatus.Complete, FrameReader.TryReadFrame(ref seq, 1000, out var payload));
        Assert.Equal(1000, payload.Length);
    }

    [Fact]
    public void FewerThanFourBytesIsIncomplete()
    {
        var seq = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0 });
        Assert.Equal(FrameStatus.Incomplete, FrameReader.TryReadFrame(ref seq, 1000, out _));
        Assert.Equal(3, seq.Length);
    }
}
