using System.Text;
using HotZk.Common;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>
/// The off-heap node storage under <see cref="DataTree"/>: the block arena, the slot table against
/// a reference model, the running digest, and fuzzy snapshots replayed to the exact tree.
/// </summary>
public sealed class NodeStorageTests
{
    [Fact]
    public void SizeClassesCoverEverySizeWithBoundedSlack()
    {
        int prev = -1;
        for (int size = 1; size <= 64 * 1024; size++)
        {
            int cls = NativeBlockArena.ClassOf(size);
            Assert.True(cls >= prev, $"class of {size} went down");
            prev = cls;
            int csize = NativeBlockArena.ClassSize(cls);
            Assert.True(csize >= size, $"class {cls} ({csize} B) cannot hold {size} B");
            // 16-byte steps up to 256 B, then at most 1/8 slack.
            Assert.True(size <= 256 ? csize - size < 16 : csize - size < size / 8 + 1, $"{size} B wastes {csize - size} B in class {cls}");
        }
        Assert.Equal(-1, NativeBlockArena.ClassOf((64 * 1024) + 1));
    }

    [Fact]
    public void ArenaReusesFreedBlocksAndAccountsForEveryByte()
    {
        using var arena = new NativeBlockArena();
        var blocks = new List<(nint Block, int Size, byte Fill)>();
        var rng = new Random(7);
        foreach (int size in new[] { 1, 15, 16, 17, 100, 255, 256, 257, 1000, 4096, 65536, 65537, 300_000 })
        {
            nint b = arena.Allocate(size);
            byte fill = (byte)rng.Next(1, 255);
            NativeBlockArena.Span(b, size).Fill(fill);
            blocks.Add((b, size, fill));
        }
        foreach (var (b, size, fill) in blocks)
        {
            Assert.True(NativeBlockArena.Span(b, size).IndexOfAnyExcept(fill) < 0, $"block of {size} B was overwritten");
        }
        long used = arena.AllocatedBytes;
        Assert.True(used >= blocks.Sum(x => (long)x.Size));
        var (block100, _, _) = blocks.First(x => x.Size == 100);
        arena.Free(block100, 100);
        Assert.Equal(block100, arena.Allocate(110)); // same class: the freed block comes back
        foreach (var (b, size, _) in blocks) arena.Free(b == block100 ? block100 : b, size == 100 ? 110 : size);
        Assert.Equal(0, arena.AllocatedBytes);
        Assert.Equal(0, arena.Allocate(0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TreeMatchesAReferenceModelThroughRandomChurn(int seed)
    {
        var gen = new Workload(seed);
        var tree = new DataTree();
        for (int i = 0; i < 6000; i++)
        {
            var txn = gen.Next(tree);
            var res = tree.ProcessTxn(txn);
            Assert.True(res.Err == ErrorCode.Ok, $"op {i} {txn.Type} {txn.Path}: {res.Err}");
            gen.Apply(txn);
            if (i % 500 == 0) AssertMatchesModel(tree, gen.Model);
        }
        AssertMatchesModel(tree, gen.Model);
        Assert.Equal(tree.ComputeDigest(), tree.Digest);
    }

    [Fact]
    public void PathsBeyondTheStackBufferAndNonAsciiNamesWork()
    {
        var tree = new DataTree();
        string longName = new('x', 3000);
        string deep = "/" + longName + "/ü名/" + longName;
        Assert.Equal(ErrorCode.Ok, tree.ProcessTxn(T.Create("/" + longName, 1)).Err);
        Assert.Equal(ErrorCode.Ok, tree.ProcessTxn(T.Create("/" + longName + "/ü名", 2, data: "ü")).Err);
        Assert.Equal(ErrorCode.Ok, tree.ProcessTxn(T.Create(deep, 3, data: "deep")).Err);
        int id = tree.Find(deep);
        Assert.True(id > 0);
        Assert.Equal(deep, tree.PathOf(id));
        Assert.Equal(id, tree.Find(Encoding.UTF8.GetBytes(deep)));
        Assert.Equal("deep", Encoding.UTF8.GetString(tree.DataOf(id)));
        Assert.Equal(["ü名"], tree.GetNode("/" + longName)!.Children);
        Assert.Equal(-1, tree.Find("/" + longName + "/ü"));
        Assert.Equal(-1, tree.Find(deep + "x"));
    }

    [Fact]
    public void NullEmptyAndLargeDataKeepTheirShapeAcrossUpdates()
    {
        var tree = new DataTree();
        Assert.Equal(ErrorCode.Ok, tree.ProcessTxn(T.Create("/n", 1, data: null)).Err);
        int id = tree.Find("/n");
        Assert.True(tree.DataIsNull(id));
        var big = new byte[1 << 20];
        new Random(3).NextBytes(big);
        var set = T.SetData("/n", "", 1, 2);
        set.Data = big;
        Assert.Equal(ErrorCode.Ok, tree.ProcessTxn(set).Err);
        Assert.True(tree.DataOf(id).SequenceEqual(big));
        Assert.Equal(1 << 20, tree.StatOf(id).DataLength);
        Assert.Equal(ErrorCode.Ok, tree.ProcessTxn(T.SetData("/n", "", 2, 3)).Err);
        Assert.False(tree.DataIsNull(id));
        Assert.Equal(0, tree.DataOf(id).Length);
        Assert.Equal("/n", tree.PathOf(id)); // the name survived the block moves
    }

    [Fact]
    public void DigestDependsOnContentNotOnAclReferenceNumbers()
    {
        DataTree Build(bool extraAclFirst)
        {
            var t = new DataTree();
            if (extraAclFirst) t.Acls.Add(T.Ip("192.168.0.1")); // shifts every later reference number
            t.ProcessTxn(T.Create("/a", 1, data: "x", acl: T.Digest("bob:pw")));
            t.ProcessTxn(T.Create("/a/b", 2, data: "y", acl: T.Ip("10.0.0.0/8")));
            return t;
        }
        var a = Build(false);
        var b = Build(true);
        Assert.NotEqual(a.MetaOf(a.Find("/a")).AclRef, b.MetaOf(b.Find("/a")).AclRef);
        Assert.Equal(a.Digest, b.Digest);

        b.ProcessTxn(T.SetData("/a/b", "z", 1, 3));
        Assert.NotEqual(a.Digest, b.Digest);
        a.ProcessTxn(T.SetData("/a/b", "z", 1, 3));
        Assert.Equal(a.Digest, b.Digest);
        a.ProcessTxn(T.SetAcl("/a", T.Digest("eve:pw"), 1, 4));
        Assert.NotEqual(a.Digest, b.Digest);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(14)]
    [InlineData(15)]
    public void FuzzySnapshotPlusReplayRebuildsTheExactTreeAndDigest(int seed)
    {
        var gen = new Workload(seed);
        var live = new DataTree();
        var all = new List<Txn>();
        void Step()
        {
            var txn = gen.Next(live);
            Assert.Equal(ErrorCode.Ok, live.ProcessTxn(txn).Err);
            gen.Apply(txn);
            all.Add(txn);
        }
        for (int i = 0; i < 3000; i++) Step();

        var writer = new SnapshotWriter(live, live.LastProcessedZxid, [(0x42, 30000)]);
        using var buf = new ByteBuffer(1 << 16);
        var image = new MemoryStream();
        while (true)
        {
            bool done = writer.WriteSlice(buf, 7);
            image.Write(buf.WrittenSpan);
            buf.Clear();
            if (done) break;
            for (int k = 0; k < 5; k++) Step(); // writes between slices make the image fuzzy
        }
        long digestZxid = writer.DigestZxid;
        ulong digestThen = writer.Digest;
        Assert.True(digestZxid > writer.Zxid, "the workload must have run while the image was written");
        for (int i = 0; i < 500; i++) Step();

        image.Position = 0;
        var back = SnapshotSerializer.ReadImage(image, false);
        Assert.Equal(writer.Zxid, back.Zxid);
        Assert.Equal(digestZxid, back.DigestZxid);
        Assert.Equal(digestThen, back.Digest);
        var tree = back.Tree;
        bool checkedDigest = false;
        foreach (var txn in all)
        {
            if (txn.Zxid <= back.Zxid) continue;
            tree.ProcessTxn(txn);
            if (txn.Zxid == digestZxid)
            {
                Assert.Equal(digestThen, tree.Digest);
                checkedDigest = true;
            }
        }
        Assert.True(checkedDigest);
        Assert.Empty(tree.FindOrphans());
        AssertSameTree(live, tree);
        Assert.Equal(live.Digest, tree.Digest);
        Assert.Equal(tree.ComputeDigest(), tree.Digest);
    }

    [Fact]
    public void ReplayedDeleteOfANodeTheImageShowsWithChildrenKeepsThemForTheRecreate()
    {
        // The image holds /p (a later incarnation) with its child; the log still deletes the old /p
        // and then re-creates it, as a container's parent churns during a snapshot.
        var image = new DataTree();
        Assert.Equal(ErrorCode.Ok, image.ProcessTxn(T.Create("/p", 5)).Err);
        Assert.Equal(ErrorCode.Ok, image.ProcessTxn(T.Create("/p/c", 6)).Err);
        var reference = new DataTree();
        reference.ProcessTxn(T.Create("/p", 5));
        reference.ProcessTxn(T.Create("/p/c", 6));

        Assert.Equal(ErrorCode.Ok, image.DeleteNode("/p", 3)); // the old incarnation's delete, replayed
        Assert.Equal(-1, image.Find("/p/c"));
        Assert.Equal(["/p/c"], image.FindOrphans());
        image.ProcessTxn(T.Create("/p", 5));
        Assert.Empty(image.FindOrphans());
        Assert.Equal(ErrorCode.NodeExists, image.ProcessTxn(T.Create("/p/c", 6, parentCversion: 1)).Err);
        Assert.True(image.Find("/p/c") > 0);
        Assert.Equal(reference.StatOf(reference.Find("/p/c")), image.StatOf(image.Find("/p/c")));
    }

    private static void AssertMatchesModel(DataTree tree, Dictionary<string, byte[]?> model)
    {
        Assert.Equal(model.Count + 4, tree.NodeCount); // plus /, /zookeeper, /zookeeper/quota, /zookeeper/config
        foreach (var (path, data) in model)
        {
            int id = tree.Find(path);
            Assert.True(id > 0, $"{path} missing");
            Assert.Equal(id, tree.Find(Encoding.UTF8.GetBytes(path)));
            Assert.Equal(path, tree.PathOf(id));
            Assert.Equal(data is null, tree.DataIsNull(id));
            Assert.True(tree.DataOf(id).SequenceEqual(data ?? []), $"{path} data differs");
            var expectedChildren = model.Keys.Where(k => PathValidator.Parent(k) == path).Select(PathValidator.Name).Order(StringComparer.Ordinal);
            Assert.Equal(expectedChildren, tree.GetNode(path)!.Children.Order(StringComparer.Ordinal));
            Assert.Equal(tree.GetNode(path)!.Children.Count, tree.ChildCountOf(id));
        }
    }

    private static void AssertSameTree(DataTree expected, DataTree actual)
    {
        Assert.Equal(expected.NodeCount, actual.NodeCount);
        foreach (var (path, n) in expected.Nodes)
        {
            var m = actual.GetNode(path);
            Assert.True(m is not null, $"{path} missing");
            Assert.Equal(expected.StatOf(n), actual.StatOf(m));
            Assert.Equal(n.Data, m.Data);
            Assert.Equal(expected.GetAcl(n), actual.GetAcl(m));
            Assert.Equal(n.Children.Order(StringComparer.Ordinal), m.Children.Order(StringComparer.Ordinal));
        }
    }

    /// <summary>
    /// Valid txns against the current tree, as prep would log them (explicit parent cversion), over
    /// a small name space so paths are deleted and re-created often.
    /// </summary>
    private sealed class Workload(int seed)
    {
        private static readonly string[] Names = ["a", "b", "c", "d", "ü", "名", "e-1", "f_2"];
        private static readonly Acl[][] Acls = [Acl.OpenAclUnsafe, T.Digest("bob:pw"), T.Ip("10.0.0.0/8"), Acl.ReadAclUnsafe];
        private readonly Random _rng = new(seed);
        private long _zxid;

        public Dictionary<string, byte[]?> Model { get; } = new(StringComparer.Ordinal);

        public Txn Next(DataTree tree)
        {
            _zxid++;
            var paths = Model.Keys.ToList();
            int roll = _rng.Next(100);
            if (roll < 45 || paths.Count < 3)
            {
                for (int attempt = 0; ; attempt++)
                {
                    string parent = paths.Count == 0 || _rng.Next(4) == 0 ? "/" : paths[_rng.Next(paths.Count)];
                    string name = Names[_rng.Next(Names.Length)] + (_rng.Next(50) == 0 ? new string('L', 700) : "");
                    string path = (parent == "/" ? "" : parent) + "/" + name;
                    if (Model.ContainsKey(path) || path.Count(c => c == '/') > 5) continue;
                    var t = T.Create(path, _zxid, parentCversion: tree.MetaOf(tree.Find(parent)).Cversion + 1, acl: Acls[_rng.Next(Acls.Length)]);
                    t.Data = RandomData();
                    return t;
                }
            }
            string target = paths[_rng.Next(paths.Count)];
            int id = tree.Find(target);
            if (roll < 70)
            {
                // delete a leaf (walk down to one)
                while (tree.ChildCountOf(id) > 0)
                {
                    var kids = new List<string>();
                    tree.AddChildNames(id, kids);
                    target = (target == "/" ? "" : target) + "/" + kids[_rng.Next(kids.Count)];
                    id = tree.Find(target);
                }
                return T.Delete(target, _zxid);
            }
            if (roll < 90)
            {
                var t = T.SetData(target, "", tree.MetaOf(id).Version + 1, _zxid);
                t.Data = RandomData();
                return t;
            }
            return T.SetAcl(target, Acls[_rng.Next(Acls.Length)], tree.MetaOf(id).Aversion + 1, _zxid);
        }

        public void Apply(Txn txn)
        {
            switch (txn.Type)
            {
                case OpCode.Create: Model[txn.Path] = txn.Data; break;
                case OpCode.Delete: Model.Remove(txn.Path); break;
                case OpCode.SetData: Model[txn.Path] = txn.Data; break;
            }
        }

        private byte[]? RandomData()
        {
            int r = _rng.Next(100);
            int len = r < 5 ? -1 : r < 10 ? 0 : r < 70 ? _rng.Next(1, 40) : r < 97 ? _rng.Next(40, 3000) : _rng.Next(60_000, 140_000);
            if (len < 0) return null;
            var b = new byte[len];
            _rng.NextBytes(b);
            return b;
        }
    }
}
