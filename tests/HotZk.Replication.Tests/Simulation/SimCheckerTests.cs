namespace HotZk.Replication.Tests.Simulation;

/// <summary>The checkers can fail: hand-made histories with known defects, and a run on a disk that lies.</summary>
[Collection("Simulation")]
public class SimCheckerTests
{
    private static readonly long Z1 = (1L << 32) | 1;
    private static readonly long Z2 = (1L << 32) | 2;
    private static readonly SimTxn W1 = new(0, 1_000_001, 1, 1);
    private static readonly SimTxn W2 = new(1, 1_000_002, 1, 2);

    private static Dictionary<long, byte[]> Txns() => new() { [Z1] = W1.Encode(), [Z2] = W2.Encode() };

    private static SimOp Write(SimTxn t, long invoked, long completed, SimOutcome outcome, long zxid) => new()
    {
        ClientId = t.ClientId, OpId = t.OpId, Kind = SimOpKind.Write, Key = t.Key, Value = t.Value, Node = 1,
        InvokedAt = invoked, CompletedAt = completed, Outcome = outcome, Zxid = zxid,
    };

    private static SimOp Read(long client, long opId, int key, long value, long zxid, ulong digest, long sessionZxid = 0) => new()
    {
        ClientId = client, OpId = opId, Kind = SimOpKind.Read, Key = key, Value = value, Node = 2,
        InvokedAt = 30, CompletedAt = 31, Outcome = SimOutcome.Ok, Zxid = zxid, Digest = digest, SessionZxid = sessionZxid,
    };

    private static SimFinalNode Node(long id, params long[] applied)
    {
        var txns = Txns();
        ulong digest = 0;
        var values = new Dictionary<int, long>();
        foreach (long z in applied)
        {
            digest = SimTxn.Chain(digest, z, txns[z]);
            var t = SimTxn.Decode(txns[z]);
            values[t.Key] = t.Value;
        }
        return new SimFinalNode(id, applied, digest, values);
    }

    private static ulong DigestAfter(params long[] zxids) => Node(0, zxids).Digest;

    [Fact]
    public void AConsistentHistoryPasses()
    {
        var ops = new List<SimOp>
        {
            Write(W1, 0, 10, SimOutcome.Ok, Z1),
            Write(W2, 11, 20, SimOutcome.Ok, Z2),
            Read(2, 1, 0, W1.Value, Z1, DigestAfter(Z1)),
        };
        var errors = SimChecker.Check(new SimCheckInput(ops, Txns(), 1, [Node(1, Z1, Z2), Node(2, Z1)]));
        Assert.Empty(errors);
    }

    [Fact]
    public void ALostAcknowledgedWriteIsCaught()
    {
        var ops = new List<SimOp> { Write(W1, 0, 10, SimOutcome.Ok, Z1), Write(W2, 11, 20, SimOutcome.Ok, Z2) };
        var errors = SimChecker.Check(new SimCheckInput(ops, Txns(), 1, [Node(1, Z1)]));
        Assert.Contains(errors, e => e.Contains("acknowledged write lost") && e.Contains("c1#2"));
    }

    [Fact]
    public void AReadOfANeverWrittenValueIsCaught()
    {
        var ops = new List<SimOp> { Write(W1, 0, 10, SimOutcome.Ok, Z1), Read(2, 1, 0, 777, Z1, DigestAfter(Z1)) };
        var errors = SimChecker.Check(new SimCheckInput(ops, Txns(), 1, [Node(1, Z1)]));
        Assert.Contains(errors, e => e.Contains("returned 777"));
    }

    [Fact]
    public void AReadOfAnUncommittedStateIsCaught()
    {
        // The reader's server had applied Z2, which the final history does not contain.
        var ops = new List<SimOp> { Write(W1, 0, 10, SimOutcome.Ok, Z1), Read(2, 1, 1, W2.Value, Z2, DigestAfter(Z1, Z2)) };
        var errors = SimChecker.Check(new SimCheckInput(ops, Txns(), 1, [Node(1, Z1)]));
        Assert.Contains(errors, e => e.Contains("not in the final history"));
    }

    [Fact]
    public void DivergentServersAreCaught()
    {
        var ops = new List<SimOp> { Write(W1, 0, 10, SimOutcome.Unknown, 0), Write(W2, 11, 20, SimOutcome.Unknown, 0) };
        var errors = SimChecker.Check(new SimCheckInput(ops, Txns(), 1, [Node(1, Z1), Node(2, Z2)]));
        Assert.Contains(errors, e => e.Contains("disagree"));
    }

    [Fact]
    public void WritesOutOfRealTimeOrderAreCaught()
    {
        // W2 was acknowledged (at Z2) before W1 was even invoked, yet W1 got the smaller zxid.
        var ops = new List<SimOp> { Write(W2, 0, 10, SimOutcome.Ok, Z2), Write(W1, 15, 20, SimOutcome.Ok, Z1) };
        var errors = SimChecker.Check(new SimCheckInput(ops, Txns(), 1, [Node(1, Z1, Z2)]));
        Assert.Contains(errors, e => e.Contains("real-time order"));
    }

    [Fact]
    public void ASessionGoingBackInTimeIsCaught()
    {
        var ops = new List<SimOp> { Write(W1, 0, 10, SimOutcome.Ok, Z1), Write(W2, 11, 20, SimOutcome.Ok, Z2), Read(1, 3, 0, 0, 0, 0, sessionZxid: Z2) };
        var errors = SimChecker.Check(new SimCheckInput(ops, Txns(), 1, [Node(1, Z1, Z2)]));
        Assert.Contains(errors, e => e.Contains("session order"));
    }

    [Fact]
    public void ARunOnADiskThatLosesAcknowledgedWritesFails()
    {
        // The same simulation with fsync lying: some seeds must end in a lost write or servers that disagree.
        var caught = new List<string>();
        for (int seed = 1; seed <= 40 && caught.Count == 0; seed++)
        {
            var result = new EnsembleSimulation(SimulationTests.ConfigFor(seed) with { LyingDisk = true }).Run();
            caught.AddRange(result.Failures.Where(f => f.Contains("acknowledged write lost") || f.Contains("disagree") || f.Contains("not in the final history")));
        }
        Assert.True(caught.Count > 0, "40 seeds on a lying disk passed the safety checks");
    }
}
