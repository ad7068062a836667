namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// The safety properties of a ZooKeeper ensemble, judged after a run against the final history
/// (the converged leader's applied txns): servers agree on one history, acknowledged writes are in
/// it exactly once at the zxid they were acknowledged with, writes are ordered in real time,
/// every read saw a prefix of it, and a session never goes back in time.
/// </summary>
internal static class SimChecker
{
    private const int MaxReports = 12;

    public static List<string> Check(SimCheckInput input)
    {
        var errors = new List<string>();
        void Report(string e)
        {
            if (errors.Count < MaxReports) errors.Add(e);
            else if (errors.Count == MaxReports) errors.Add("... (more violations not shown)");
        }

        var leader = input.Nodes.FirstOrDefault(n => n.Id == input.LeaderId) ?? input.Nodes.MaxBy(n => n.AppliedZxids.Count);
        if (leader is null)
        {
            errors.Add("no server is up at the end");
            return errors;
        }
        var history = leader.AppliedZxids;

        // The final history: increasing zxids of created txns, with the digest and values after each.
        var index = new Dictionary<long, int>(history.Count);
        var txns = new List<SimTxn>(history.Count);
        var digests = new ulong[history.Count];
        ulong digest = 0;
        for (int i = 0; i < history.Count; i++)
        {
            long z = history[i];
            if (i > 0 && z <= history[i - 1]) Report($"the history of n{leader.Id} is not increasing at 0x{history[i - 1]:x}, 0x{z:x}");
            if (!input.Txns.TryGetValue(z, out var bytes))
            {
                Report($"the history of n{leader.Id} contains 0x{z:x}, which no leader created");
                return errors;
            }
            index[z] = i;
            txns.Add(SimTxn.Decode(bytes));
            digest = SimTxn.Chain(digest, z, bytes);
            digests[i] = digest;
        }

        CheckAgreement(input, leader, history, digests, txns, Report);
        CheckWrites(input, index, txns, history, Report);
        CheckReads(input, index, digests, txns, Report);
        CheckSessions(input, Report);
        return errors;
    }

    /// <summary>Every server's applied sequence is a prefix of the final history (or extends it), with the matching state.</summary>
    private static void CheckAgreement(SimCheckInput input, SimFinalNode leader, IReadOnlyList<long> history, ulong[] digests, List<SimTxn> txns, Action<string> report)
    {
        foreach (var node in input.Nodes)
        {
            if (ReferenceEquals(node, leader)) continue;
            var mine = node.AppliedZxids;
            int common = Math.Min(mine.Count, history.Count);
            for (int i = 0; i < common; i++)
            {
                if (mine[i] != history[i])
                {
                    report($"n{node.Id} and leader n{leader.Id} disagree at position {i}: 0x{mine[i]:x} vs 0x{history[i]:x} " +
                        $"(n{node.Id} applied ..{Around(mine, i)}; n{leader.Id} ..{Around(history, i)})");
                    break;
                }
            }
            if (mine.Count > history.Count) continue;
            ulong expected = mine.Count == 0 ? 0 : digests[mine.Count - 1];
            if (node.Digest != expected) report($"n{node.Id}'s state digest at 0x{(mine.Count == 0 ? 0 : mine[^1]):x} differs from the history's");
            var values = new Dictionary<int, long>();
            for (int i = 0; i < mine.Count; i++) values[txns[i].Key] = txns[i].Value;
            foreach (var (k, v) in node.Values)
            {
                if (values.GetValueOrDefault(k) != v) report($"n{node.Id} holds k{k}={v}, the history says {values.GetValueOrDefault(k)}");
            }
        }
    }

    private static void CheckWrites(SimCheckInput input, Dictionary<long, int> index, List<SimTxn> txns, IReadOnlyList<long> history, Action<string> report)
    {
        var writes = input.Ops.Where(o => o.Kind == SimOpKind.Write).ToDictionary(o => (o.ClientId, o.OpId));
        var position = new Dictionary<(long, long), int>();
        for (int i = 0; i < txns.Count; i++)
        {
            var t = txns[i];
            if (!position.TryAdd((t.ClientId, t.OpId), i))
                report($"write c{t.ClientId}#{t.OpId} is in the history twice: 0x{history[position[(t.ClientId, t.OpId)]]:x} and 0x{history[i]:x}");
            if (!writes.TryGetValue((t.ClientId, t.OpId), out var op))
                report($"the history holds {t} at 0x{history[i]:x}, which no client wrote");
            else if (op.Key != t.Key || op.Value != t.Value)
                report($"the history holds {t} at 0x{history[i]:x}, but the client wrote {op}");
            else if (op.Outcome == SimOutcome.Rejected)
                report($"a rejected write took effect at 0x{history[i]:x}: {op}");
        }

        foreach (var op in writes.Values)
        {
            if (op.Outcome != SimOutcome.Ok) continue;
            if (!position.TryGetValue((op.ClientId, op.OpId), out int at))
                report($"acknowledged write lost: {op} is not in the final history (which ends at 0x{(history.Count == 0 ? 0 : history[^1]):x})");
            else if (history[at] != op.Zxid)
                report($"acknowledged write {op} is in the final history at 0x{history[at]:x}");
        }

        // Real-time order: a write acknowledged before another was invoked has the smaller zxid.
        var acked = writes.Values.Where(o => o.Outcome == SimOutcome.Ok).OrderBy(o => o.CompletedAt).ToList();
        var prefixMax = new SimOp?[acked.Count];
        SimOp? best = null;
        for (int i = 0; i < acked.Count; i++)
        {
            if (best is null || acked[i].Zxid > best.Zxid) best = acked[i];
            prefixMax[i] = best;
        }
        foreach (var op in writes.Values)
        {
            if (!position.TryGetValue((op.ClientId, op.OpId), out int at)) continue;
            long zxid = history[at];
            // Acked writes that completed strictly before this one was invoked.
            int lo = 0, hi = acked.Count;
            while (lo < hi)
            {
                int mid = (lo + hi) >>> 1;
                if (acked[mid].CompletedAt < op.InvokedAt) lo = mid + 1;
                else hi = mid;
            }
            if (lo > 0 && prefixMax[lo - 1]!.Zxid >= zxid)
                report($"writes out of real-time order: {prefixMax[lo - 1]} was acknowledged before {op} was invoked, yet the latter is at 0x{zxid:x}");
        }
    }

    /// <summary>A read saw exactly the final history up to the zxid it reported: nothing uncommitted, nothing else.</summary>
    private static void CheckReads(SimCheckInput input, Dictionary<long, int> index, ulong[] digests, List<SimTxn> txns, Action<string> report)
    {
        // Value of each key after each position, computed once per key lazily.
        foreach (var op in input.Ops)
        {
            if (op.Kind != SimOpKind.Read || op.Outcome != SimOutcome.Ok) continue;
            if (op.Zxid == 0)
            {
                if (op.Value != 0 || op.Digest != 0) report($"read {op} saw data at zxid 0");
                continue;
            }
            if (!index.TryGetValue(op.Zxid, out int at))
            {
                report($"read {op} saw a state at 0x{op.Zxid:x}, which is not in the final history (an uncommitted or lost txn was visible)");
                continue;
            }
            if (digests[at] != op.Digest) report($"read {op} saw a state at 0x{op.Zxid:x} that differs from the final history's up to it");
            long expected = 0;
            for (int i = at; i >= 0; i--)
            {
                if (txns[i].Key == op.Key)
                {
                    expected = txns[i].Value;
                    break;
                }
            }
            if (expected != op.Value) report($"read {op} returned {op.Value}, but the history has {expected} for k{op.Key} at 0x{op.Zxid:x}");
        }
    }

    /// <summary>A session sees its own writes and never an older state than it saw before (ZooKeeper's per-client order).</summary>
    private static void CheckSessions(SimCheckInput input, Action<string> report)
    {
        foreach (var op in input.Ops)
        {
            if (op.Outcome != SimOutcome.Ok) continue;
            if (op.Kind == SimOpKind.Write ? op.Zxid <= op.SessionZxid : op.Zxid < op.SessionZxid)
                report($"session order: {op} after the client had seen 0x{op.SessionZxid:x}");
        }
    }

    private static string Around(IReadOnlyList<long> list, int i)
    {
        int from = Math.Max(0, i - 2), to = Math.Min(list.Count, i + 3);
        return string.Join(",", Enumerable.Range(from, to - from).Select(j => $"0x{list[j]:x}"));
    }
}
