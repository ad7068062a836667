using System.Text;

namespace HotZk.Common;

/// <summary>
/// Turns UTF-8 paths (and the other short strings clients repeat, such as ACL ids) into strings,
/// returning the same string object for one seen recently, so decoding a request for a hot path
/// allocates nothing. The result is always exactly
/// <see cref="Encoding.UTF8"/>'s decoding (invalid bytes become U+FFFD, as GetString makes them).
/// </summary>
/// <remarks>
/// A fixed-size, direct-mapped table of strings: a path hashes to one slot; a hit is a slot whose
/// string has the same characters, a miss makes the string and overwrites the slot. So memory is
/// bounded by <see cref="Capacity"/> strings of at most <see cref="MaxLength"/> bytes, and nothing is
/// ever evicted in bulk. Decoding runs on every socket thread at once, so the table is lock-free:
/// a slot holds one immutable string reference, read and written atomically; two threads racing on
/// a slot at worst each make a string (or overwrite the other's), never return a wrong one, since a
/// hit is always checked character by character.
/// </remarks>
public sealed class PathInterner
{
    /// <summary>Paths longer than this many UTF-8 bytes are not cached (and decode on the stack otherwise).</summary>
    public const int MaxLength = 512;

    /// <summary>The process-wide table the request and txn decoders share.</summary>
    public static readonly PathInterner Shared = new(8192);

    private readonly string?[] _slots;
    private readonly int _mask;

    /// <summary>Creates a table of <paramref name="capacity"/> slots (rounded up to a power of two).</summary>
    public PathInterner(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)capacity);
        _slots = new string?[size];
        _mask = size - 1;
    }

    /// <summary>Number of slots: the most strings the table keeps.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Number of slots holding a string (diagnostics and tests).</summary>
    public int Count
    {
        get
        {
            int n = 0;
            foreach (var s in _slots) if (s is not null) n++;
            return n;
        }
    }

    /// <summary>The string of <paramref name="utf8"/>: a cached one when the same path was decoded recently.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length == 0) return string.Empty;
        if (utf8.Length > MaxLength) return Encoding.UTF8.GetString(utf8);
        // A UTF-8 byte never decodes to more than one UTF-16 char, replacement chars included.
        Span<char> chars = stackalloc char[utf8.Length];
        return Get(chars[..Encoding.UTF8.GetChars(utf8, chars)]);
    }

    /// <summary><see cref="PathValidator.Parent"/> of <paramref name="path"/>, from the table when cached.</summary>
    public string Parent(string path)
    {
        int i = path.LastIndexOf('/');
        if (i <= 0) return path.Length <= 1 ? string.Empty : "/";
        return Get(path.AsSpan(0, i));
    }

    /// <summary>The string of <paramref name="chars"/>: a cached one when the same path was seen recently.</summary>
    public string Get(ReadOnlySpan<char> chars)
    {
        if (chars.Length == 0) return string.Empty;
        if (chars.Length > MaxLength) return new string(chars);
        ref string? slot = ref _slots[string.GetHashCode(chars) & _mask];
        var cached = Volatile.Read(ref slot);
        if (cached is not null && chars.SequenceEqual(cached)) return cached;
        var made = new string(chars);
        Volatile.Write(ref slot, made);
        return made;
    }
}
