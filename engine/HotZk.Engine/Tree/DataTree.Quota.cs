using HotZk.Common;

namespace HotZk.Engine.Tree;

/// <summary>Quota bookkeeping: <c>zookeeper_stats</c> nodes kept current as covered subtrees change.</summary>
public sealed partial class DataTree
{
    /// <summary>Paths that carry a quota (a <c>zookeeper_limits</c> node exists for them).</summary>
    public IReadOnlyCollection<string> QuotaPaths => _quotaPaths;

    /// <summary>The deepest path with a quota that covers <paramref name="path"/>, or null.</summary>
    public string? MaxPrefixWithQuota(string path)
    {
        if (_quotaPaths.Count == 0 || path.StartsWith(ZookeeperPath + "/", StringComparison.Ordinal) || path == ZookeeperPath) return null;
        string p = path;
        while (p.Length > 0)
        {
            if (_quotaPaths.Contains(p)) return p;
            if (p == "/") break;
            p = PathValidator.Parent(p);
        }
        return null;
    }

    /// <summary>Current stats and limits of a quota path (stats from its stats node, limits from its limits node).</summary>
    public (QuotaStats Stats, QuotaStats Limits) QuotaOf(string quotaPath) =>
        (QuotaStats.Parse(GetNode(QuotaStats.StatPath(quotaPath))?.Data), QuotaStats.Parse(GetNode(QuotaStats.LimitPath(quotaPath))?.Data));

    private void OnQuotaCreate(string path, string parentPath, int dataLength)
    {
        if (parentPath.StartsWith(QuotaPath + "/", StringComparison.Ordinal))
        {
            string quotaPath = parentPath[QuotaPath.Length..];
            string name = PathValidator.Name(path);
            if (name == QuotaStats.LimitNode) _quotaPaths.Add(quotaPath);
            else if (name == QuotaStats.StatNode) RecountQuota(quotaPath);
            return;
        }
        UpdateQuota(path, 1, dataLength);
    }

    private void OnQuotaDelete(string path, string parentPath, int dataLength)
    {
        if (parentPath.StartsWith(QuotaPath + "/", StringComparison.Ordinal))
        {
            if (PathValidator.Name(path) == QuotaStats.LimitNode) _quotaPaths.Remove(parentPath[QuotaPath.Length..]);
            return;
        }
        UpdateQuota(path, -1, -dataLength);
    }

    /// <summary>Keeps <c>zookeeper_stats</c> of the covering quota current (data only; its version does not move, as in ZooKeeper).</summary>
    private void UpdateQuota(string path, long countDiff, long bytesDiff)
    {
        string? q = MaxPrefixWithQuota(path);
        if (q is null) return;
        int stat = Find(QuotaStats.StatPath(q));
        if (stat < 0) return;
        var cur = QuotaStats.Parse(_table[stat].DataLength < 0 ? null : _table.DataOf(stat).ToArray());
        var next = new QuotaStats(Math.Max(0, cur.Count) + countDiff, Math.Max(0, cur.Bytes) + bytesDiff);
        ReplaceData(stat, next.ToStatsBytes());
    }

    private void ReplaceData(int id, byte[] bytes)
    {
        ApproximateDataSize += bytes.Length - Math.Max(0, _table[id].DataLength);
        _table.SetData(id, bytes, false);
        Rehash(id);
    }

    /// <summary>Counts a quota'd subtree (the node itself included) into its stats node.</summary>
    private void RecountQuota(string quotaPath)
    {
        int stat = Find(QuotaStats.StatPath(quotaPath));
        if (stat < 0) return;
        long count = 0, bytes = 0;
        int root = Find(quotaPath);
        if (root >= 0)
        {
            var stack = new Stack<int>();
            stack.Push(root);
            while (stack.Count > 0)
            {
                int n = stack.Pop();
                count++;
                bytes += Math.Max(0, _table[n].DataLength);
                for (int c = _table[n].FirstChild; c >= 0; c = _table[c].NextSibling) stack.Push(c);
            }
        }
        ReplaceData(stat, new QuotaStats(count, bytes).ToStatsBytes());
    }

    private static readonly byte[] LimitNodeUtf8 = System.Text.Encoding.UTF8.GetBytes(QuotaStats.LimitNode);

    /// <summary>Re-derives the quota path set after a snapshot load.</summary>
    public void RebuildQuotaIndex()
    {
        _quotaPaths.Clear();
        int quota = Find(QuotaPath);
        if (quota < 0) return;
        var stack = new Stack<int>();
        stack.Push(quota);
        while (stack.Count > 0)
        {
            int n = stack.Pop();
            for (int c = _table[n].FirstChild; c >= 0; c = _table[c].NextSibling)
            {
                if (_table.NameOf(c).SequenceEqual(LimitNodeUtf8))
                    _quotaPaths.Add(PathOf(n)[QuotaPath.Length..]);
                stack.Push(c);
            }
        }
    }
}
