using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>What applying one txn (or one sub-txn of a multi) produced.</summary>
/// <remarks>A struct: applying a txn allocates no result object (a multi still allocates its list of sub-results).</remarks>
public struct TxnResult
{
    /// <summary>Txn type applied (for a multi sub-result: the sub-op's type, or Error).</summary>
    public OpCode Type;
    /// <summary>Error code (sub-results of a failed multi, replay mismatches).</summary>
    public ErrorCode Err;
    /// <summary>Path created (with sequence suffix) or touched.</summary>
    public string? Path;
    /// <summary>Stat after the change, where the reply carries one.</summary>
    public Stat Stat;
    /// <summary>Sub-results of a multi.</summary>
    public List<TxnResult>? Multi;
}
