using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>
/// Deduplicates ACL lists: every node stores a long reference, identical lists share one entry
/// (ZooKeeper's ReferenceCountedACLCache). -1 stands for world:anyone ALL without an entry.
/// </summary>
public sealed class AclCache
{
    /// <summary>The reference of OPEN_ACL_UNSAFE.</summary>
    public const long OpenAclRef = -1;

    private readonly Dictionary<long, Entry> _byRef = [];
    private readonly Dictionary<string, long> _byKey = new(StringComparer.Ordinal);
    private long _next = 1;

    private static readonly ulong OpenHash = HashKey(KeyOf(Acl.OpenAclUnsafe));

    private sealed class Entry(Acl[] acl, string key)
    {
        public readonly Acl[] Acl = acl;
        public readonly string Key = key;
        public readonly ulong Hash = HashKey(key);
        public long RefCount;
    }

    /// <summary>Number of distinct lists held.</summary>
    public int Count => _byRef.Count;

    /// <summary>Returns (and references) the entry for <paramref name="acl"/>.</summary>
    public long Add(Acl[]? acl)
    {
        if (acl is null || IsOpen(acl)) return OpenAclRef;
        string key = KeyOf(acl);
        if (!_byKey.TryGetValue(key, out long r))
        {
            r = _next++;
            _byKey[key] = r;
            _byRef[r] = new Entry(acl, key);
        }
        _byRef[r].RefCount++;
        return r;
    }

    /// <summary>Registers an entry under a fixed reference (snapshot load).</summary>
    public void AddWithRef(long r, Acl[] acl)
    {
        string key = KeyOf(acl);
        _byKey[key] = r;
        _byRef[r] = new Entry(acl, key);
        if (r >= _next) _next = r + 1;
    }

    /// <summary>Adds one reference to an existing entry (snapshot load).</summary>
    public void AddRef(long r)
    {
        if (r != OpenAclRef && _byRef.TryGetValue(r, out var e)) e.RefCount++;
    }

    /// <summary>Drops one reference; the entry goes when none remain.</summary>
    public void Release(long r)
    {
        if (r == OpenAclRef || !_byRef.TryGetValue(r, out var e)) return;
        if (--e.RefCount <= 0)
        {
            _byRef.Remove(r);
            if (_byKey.TryGetValue(e.Key, out long current) && current == r) _byKey.Remove(e.Key);
        }
    }

    /// <summary>True when the reference is OPEN_ACL_UNSAFE or a held entry.</summary>
    public bool Contains(long r) => r == OpenAclRef || _byRef.ContainsKey(r);

    /// <summary>Drops entries no node references (after a load registered a whole table).</summary>
    public void DropUnreferenced()
    {
        List<long>? dead = null;
        foreach (var (r, e) in _byRef)
        {
            if (e.RefCount <= 0) (dead ??= []).Add(r);
        }
        if (dead is null) return;
        foreach (var r in dead)
        {
            var e = _byRef[r];
            _byRef.Remove(r);
            if (_byKey.TryGetValue(e.Key, out long current) && current == r) _byKey.Remove(e.Key);
        }
    }

    /// <summary>The list behind a reference.</summary>
    public Acl[] Get(long r)
    {
        if (r == OpenAclRef) return Acl.OpenAclUnsafe;
        return _byRef.TryGetValue(r, out var e) ? e.Acl : Acl.OpenAclUnsafe;
    }

    /// <summary>A hash of the list's content (not of its reference), for the tree digest.</summary>
    public ulong ContentHash(long r)
    {
        if (r == OpenAclRef) return OpenHash;
        return _byRef.TryGetValue(r, out var e) ? e.Hash : OpenHash;
    }

    private static ulong HashKey(string key) =>
        System.IO.Hashing.XxHash3.HashToUInt64(System.Runtime.InteropServices.MemoryMarshal.AsBytes(key.AsSpan()));

    /// <summary>All entries (for snapshots).</summary>
    public IEnumerable<KeyValuePair<long, Acl[]>> Entries()
    {
        foreach (var kv in _byRef) yield return new(kv.Key, kv.Value.Acl);
    }

    private static bool IsOpen(Acl[] acl) =>
        acl.Length == 1 && acl[0].Perms == Perms.All && acl[0].Id == Id.AnyoneIdUnsafe;

    private static string KeyOf(Acl[] acl)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var a in acl) sb.Append((int)a.Perms).Append('\u0001').Append(a.Id.Scheme).Append('\u0001').Append(a.Id.Ident).Append('\u0002');
        return sb.ToString();
    }
}
