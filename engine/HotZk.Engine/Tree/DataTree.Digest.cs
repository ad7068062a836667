using System.Buffers.Binary;
using System.IO.Hashing;

namespace HotZk.Engine.Tree;

/// <summary>The running tree digest: every node contributes a hash of its path, persisted stat, ACL content and data.</summary>
public sealed partial class DataTree
{
    /// <summary>Recomputes one node's digest contribution after a change.</summary>
    private void Rehash(int id)
    {
        ref var r = ref _table[id];
        _digest -= r.Digest;
        r.Digest = NodeDigest(ref r, _table.DataOf(id));
        _digest += r.Digest;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private ulong NodeDigest(ref NodeRecord r, ReadOnlySpan<byte> data)
    {
        Span<byte> f = stackalloc byte[72];
        ref var m = ref r.Meta;
        BinaryPrimitives.WriteInt64LittleEndian(f, m.Czxid);
        BinaryPrimitives.WriteInt64LittleEndian(f[8..], m.Mzxid);
        BinaryPrimitives.WriteInt64LittleEndian(f[16..], m.Ctime);
        BinaryPrimitives.WriteInt64LittleEndian(f[24..], m.Mtime);
        BinaryPrimitives.WriteInt64LittleEndian(f[32..], m.EphemeralOwner);
        BinaryPrimitives.WriteInt64LittleEndian(f[40..], m.Pzxid);
        BinaryPrimitives.WriteInt32LittleEndian(f[48..], m.Version);
        BinaryPrimitives.WriteInt32LittleEndian(f[52..], m.Cversion);
        BinaryPrimitives.WriteInt32LittleEndian(f[56..], m.Aversion);
        BinaryPrimitives.WriteInt32LittleEndian(f[60..], r.DataLength);
        BinaryPrimitives.WriteUInt64LittleEndian(f[64..], Acls.ContentHash(m.AclRef));
        ulong dataHash = XxHash3.HashToUInt64(data, (long)r.PathHash);
        return XxHash3.HashToUInt64(f, (long)dataHash);
    }

    /// <summary>Recomputes the digest from every node (tests; a cross-check of the running value).</summary>
    public ulong ComputeDigest()
    {
        ulong d = 0;
        for (int id = 0; id < _table.HighWater; id++)
        {
            if (_table.IsLive(id)) d += NodeDigest(ref _table[id], _table.DataOf(id));
        }
        return d;
    }
}
