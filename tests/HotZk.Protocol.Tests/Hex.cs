using HotZk.Common;
using HotZk.Protocol;

namespace HotZk.Protocol.Tests;

internal static class Hex
{
    /// <summary>Parses hex allowing spaces and '|' separators (as written in zk-protocol.md).</summary>
    public static byte[] Parse(string hex) =>
        Convert.FromHexString(hex.Replace(" ", "").Replace("|", "").Replace("\n", ""));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    public static T Decode<T>(byte[] bytes, bool requireEnd = true) where T : IJuteRecord<T>
    {
        var r = new JuteReader(bytes);
        var value = T.Read(ref r);
        if (requireEnd) Assert.True(r.End, $"{typeof(T).Name} left {r.Remaining} bytes unread");
        return value;
    }

    public static byte[] Frame(Action<JuteWriter> body)
    {
        using var buffer = new ByteBuffer();
        var w = new JuteWriter(buffer);
        int start = FrameWriter.Begin(w);
        body(w);
        FrameWriter.End(w, start);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The Stat used in the golden vectors (values chosen to catch byte order and sign errors).</summary>
    public static readonly Stat SampleStat = new(0x100000001, 0x100000002, 1700000000000, 1700000000001, 5, -1, 7, 0x0100000839300000, 9, 10, 0x100000003);

    public const string SampleStatHex = "0000000100000001 0000000100000002 0000018bcfe56800 0000018bcfe56801 00000005 ffffffff 00000007 0100000839300000 00000009 0000000a 0000000100000003";
}
