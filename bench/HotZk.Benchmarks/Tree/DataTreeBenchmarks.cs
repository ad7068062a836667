using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Benchmarks.Tree;

/// <summary>
/// <see cref="DataTree"/> operations on a tree that also holds a parent with 100k children. Paths are
/// built in setup, so only the tree's own allocations count (a decoded path is counted by the decode suite).
/// </summary>
[MemoryDiagnoser]
public class DataTreeBenchmarks
{
    private const int BigChildren = 100_000;
    private const string Node = "/bench/node";
    private const string Churn = "/bench/churn";
    private const string Big = "/big";

    private DataTree _tree = null!;
    private Txn _setDataTxn = null!;
    private Txn _createTxn = null!;
    private Txn _deleteTxn = null!;
    private long _zxid;

    [GlobalSetup]
    public void Setup()
    {
        _tree = new DataTree();
        _zxid = 1L << 32;
        Check(_tree.CreateNode("/bench", [], Acl.OpenAclUnsafe, 0, -1, ++_zxid, 1, out _));
        Check(_tree.CreateNode(Node, Fixtures.Value1K, Acl.OpenAclUnsafe, 0, -1, ++_zxid, 1, out _));
        Check(_tree.CreateNode(Big, [], Acl.OpenAclUnsafe, 0, -1, ++_zxid, 1, out _));
        for (int i = 0; i < BigChildren; i++)
        {
            Check(_tree.CreateNode($"{Big}/child-{i:D10}", Fixtures.MakeValue(16), Acl.OpenAclUnsafe, 0, -1, ++_zxid, 1, out _));
        }
        _setDataTxn = new Txn { Type = OpCode.SetData, Path = Node, Data = Fixtures.Value1K, Time = 1 };
        _createTxn = new Txn { Type = OpCode.Create, Path = Churn, Data = Fixtures.Value1K, Acl = Acl.OpenAclUnsafe, ParentCversion = -1, Time = 1 };
        _deleteTxn = new Txn { Type = OpCode.Delete, Path = Churn, Time = 1 };
    }

    private static void Check(ErrorCode code)
    {
        if (code != ErrorCode.Ok) throw new InvalidOperationException($"setup failed: {code}");
    }

    /// <summary>Looking a node up by path and reading its stat, as every read does (GetNode itself returns a detached copy for tools).</summary>
    [Benchmark]
    public int GetNode()
    {
        int id = _tree.Find(Node);
        return id < 0 ? -1 : _tree.StatOf(id).Version;
    }

    [Benchmark]
    public ErrorCode SetData() => _tree.SetData(Node, Fixtures.Value1K, 1, ++_zxid, 2, out _);

    /// <summary>One create and one delete of the same node (the tree must stay the same size).</summary>
    [Benchmark]
    public ErrorCode CreateThenDelete()
    {
        _tree.CreateNode(Churn, Fixtures.Value1K, Acl.OpenAclUnsafe, 0, -1, ++_zxid, 2, out _);
        return _tree.DeleteNode(Churn, ++_zxid);
    }

    /// <summary>What the engine does for getChildren on a 100k-child parent: look up, copy the UTF-8 names into the request's buffer.</summary>
    [Benchmark]
    public int GetChildren100k()
    {
        int id = _tree.Find(Big);
        _childrenResult.BeginChildNames();
        foreach (var name in _tree.ChildNamesOf(id)) _childrenResult.AddChildName(name);
        return _childrenResult.ChildNameCount;
    }

    private readonly HotZk.Engine.Processing.Request _childrenResult = new();

    /// <summary>The apply step of a committed setData txn (what <c>ZkEngine</c> does per durable write).</summary>
    [Benchmark]
    public ErrorCode ApplySetDataTxn()
    {
        _setDataTxn.Zxid = ++_zxid;
        return _tree.ProcessTxn(_setDataTxn).Err;
    }

    /// <summary>Apply of a create txn then of a delete txn of the same node.</summary>
    [Benchmark]
    public ErrorCode ApplyCreateThenDeleteTxn()
    {
        _createTxn.Zxid = ++_zxid;
        _tree.ProcessTxn(_createTxn);
        _deleteTxn.Zxid = ++_zxid;
        return _tree.ProcessTxn(_deleteTxn).Err;
    }
}
