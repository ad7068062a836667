using System.Text;
using HotZk.Common;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>The decoders' string table: same object for a repeated path, exactly UTF-8's decoding, bounded.</summary>
public sealed class PathInternerTests
{
    [Theory]
    [InlineData("/bench/node-0000000001")]
    [InlineData("/")]
    [InlineData("/é/日本/🙂")]
    public void RepeatedPathReturnsTheSameStringEqualToUtf8Decoding(string path)
    {
        var table = new PathInterner(64);
        byte[] utf8 = Encoding.UTF8.GetBytes(path);
        string first = table.Get(utf8);
        string second = table.Get((byte[])utf8.Clone());
        Assert.Equal(path, first);
        Assert.Same(first, second);
        Assert.Same(first, table.Get(path.AsSpan()));
    }

    [Theory]
    [InlineData(new byte[] { (byte)'/', (byte)'a', 0xFF })]
    [InlineData(new byte[] { (byte)'/', 0xC3 })]
    [InlineData(new byte[] { (byte)'/', 0xED, 0xA0, 0x80, (byte)'x' })]
    [InlineData(new byte[] { (byte)'/', 0xF0, 0x9F, (byte)'/' })]
    public void InvalidUtf8DecodesExactlyAsEncodingUtf8GetString(byte[] utf8)
    {
        var table = new PathInterner(64);
        string expected = Encoding.UTF8.GetString(utf8);
        Assert.Equal(expected, table.Get(utf8));
        Assert.Equal(expected, table.Get(utf8)); // the cached copy too
        Assert.False(PathValidator.IsValid(table.Get(utf8))); // replacement chars keep such paths invalid
    }

    [Fact]
    public void EmptyInputIsTheEmptyString()
    {
        var table = new PathInterner(4);
        Assert.Same(string.Empty, table.Get(ReadOnlySpan<byte>.Empty));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public void TableNeverHoldsMoreThanItsCapacity()
    {
        var table = new PathInterner(5);
        Assert.Equal(8, table.Capacity); // rounded up to a power of two
        for (int i = 0; i < 1000; i++)
        {
            string path = $"/node-{i}";
            Assert.Equal(path, table.Get(Encoding.UTF8.GetBytes(path)));
            Assert.True(table.Count <= table.Capacity);
        }
        Assert.True(table.Count > 0);
    }

    [Fact]
    public void PathsLongerThanTheLimitAreDecodedButNotCached()
    {
        var table = new PathInterner(64);
        string path = "/" + new string('x', PathInterner.MaxLength);
        byte[] utf8 = Encoding.UTF8.GetBytes(path);
        string a = table.Get(utf8);
        Assert.Equal(path, a);
        Assert.NotSame(a, table.Get(utf8));
        Assert.Equal(0, table.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/a")]
    [InlineData("/a/b")]
    [InlineData("/a/b/c")]
    [InlineData("a")]
    public void ParentIsPathValidatorsParent(string path)
    {
        var table = new PathInterner(64);
        Assert.Equal(PathValidator.Parent(path), table.Parent(path));
        if (path.Count(c => c == '/') > 1) Assert.Same(table.Parent(path), table.Parent(path));
    }

    [Fact]
    public void ConcurrentLookupsAlwaysReturnTheRightString()
    {
        // A small table and many paths, so threads keep overwriting each other's slots.
        var table = new PathInterner(16);
        var paths = Enumerable.Range(0, 200).Select(i => $"/p/{i}/ü").ToArray();
        var encoded = paths.Select(Encoding.UTF8.GetBytes).ToArray();
        int wrong = 0;
        Parallel.For(0, 8, t =>
        {
            for (int n = 0; n < 20_000; n++)
            {
                int i = (n * 7 + t) % paths.Length;
                if (table.Get(encoded[i]) != paths[i]) Interlocked.Increment(ref wrong);
            }
        });
        Assert.Equal(0, wrong);
    }
}
