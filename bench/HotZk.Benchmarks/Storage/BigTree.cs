using HotZk.Common;
using HotZk.Engine.Tree;

namespace HotZk.Benchmarks.Storage;

/// <summary>
/// The large tree of the storage suites (issue 3): <c>/bench</c>, 1000 parents <c>/bench/p-NNNN</c> and
/// <c>nodes</c> children <c>/bench/p-NNNN/n-NNNNNNN</c> spread evenly over them (1000 x 1000 for 1M), each
/// child with its own 100-byte value, plus 1000 sessions. Built only through <see cref="DataTree.CreateNode(string, byte[], HotZk.Common.Acl[], long, int, long, long, out HotZk.Common.Stat)"/>.
/// </summary>
internal static class BigTree
{
    public const int Parents = 1000;
    public const int ValueSize = 100;
    public const int SessionCount = 1000;

    /// <summary>First zxid used (epoch 1); every create takes the next one.</summary>
    public const long FirstZxid = 1L << 32;

    public const long Time = 1_700_000_000_000;

    public static string ParentPath(int parent) => $"/bench/p-{parent:D4}";

    /// <summary>Path of child <paramref name="i"/> (0-based) of a tree of <paramref name="nodes"/> children.</summary>
    public static string ChildPath(int i, int nodes) => $"{ParentPath(i / ChildrenPerParent(nodes))}/n-{i:D7}";

    public static int ChildrenPerParent(int nodes)
    {
        if (nodes % Parents != 0) throw new ArgumentOutOfRangeException(nameof(nodes), nodes, $"must be a multiple of {Parents}");
        return nodes / Parents;
    }

    /// <summary>A distinct 100-byte value per node (as a real tree holds one array per znode).</summary>
    public static byte[] Value(int i)
    {
        var v = new byte[ValueSize];
        for (int k = 0; k < v.Length; k++) v[k] = (byte)('a' + ((i + k) % 26));
        return v;
    }

    /// <summary>Sessions as a snapshot lists them: ids of server 1, 30 s timeouts.</summary>
    public static List<(long Id, int Timeout)> Sessions()
    {
        var sessions = new List<(long Id, int Timeout)>(SessionCount);
        for (int i = 0; i < SessionCount; i++) sessions.Add(((1L << 56) | (uint)(i + 1), 30_000));
        return sessions;
    }

    /// <summary>Builds the tree; returns it with the zxid of its last create.</summary>
    public static (DataTree Tree, long LastZxid) Build(int nodes)
    {
        int perParent = ChildrenPerParent(nodes);
        var tree = new DataTree();
        long zxid = FirstZxid;
        Check(tree.CreateNode("/bench", [], Acl.OpenAclUnsafe, 0, -1, zxid, Time, out _), "/bench");
        for (int p = 0; p < Parents; p++)
        {
            string parent = ParentPath(p);
            Check(tree.CreateNode(parent, [], Acl.OpenAclUnsafe, 0, -1, ++zxid, Time, out _), parent);
            for (int c = 0; c < perParent; c++)
            {
                int i = (p * perParent) + c;
                string path = $"{parent}/n-{i:D7}";
                Check(tree.CreateNode(path, Value(i), Acl.OpenAclUnsafe, 0, -1, ++zxid, Time + i, out _), path);
            }
        }
        return (tree, zxid);
    }

    private static void Check(ErrorCode code, string path)
    {
        if (code != ErrorCode.Ok) throw new InvalidOperationException($"setup: create {path} failed: {code}");
    }
}
