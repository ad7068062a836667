using HotZk.Common;
using HotZk.Engine.Tree;

namespace HotZk.Engine.Processing;

public sealed partial class ZkEngine
{
    /// <summary>Deletes empty used containers and expired TTL nodes, like ZooKeeper's ContainerManager.</summary>
    private void ReapContainers()
    {
        if (_role is not (EngineRole.Standalone or EngineRole.Leader)) return;
        _reaping.Clear();
        long now = NowMs();
        int budget = Math.Max(1, _options.ContainerMaxPerMinute * Math.Max(1, _options.ContainerCheckIntervalMs) / 60000);
        var candidates = new List<string>();
        foreach (var path in Tree.Containers)
        {
            int id = Tree.Find(path);
            if (id < 0 || Tree.ChildCountOf(id) > 0) continue;
            ref readonly var n = ref Tree.MetaOf(id);
            bool used = n.Cversion > 0;
            bool neverUsedTooLong = _options.ContainerMaxNeverUsedIntervalMs > 0 && now - n.Mtime > _options.ContainerMaxNeverUsedIntervalMs;
            if (used || neverUsedTooLong) candidates.Add(path);
        }
        if (_options.ExtendedTypesEnabled)
        {
            foreach (var path in Tree.Ttls)
            {
                int id = Tree.Find(path);
                if (id < 0 || Tree.ChildCountOf(id) > 0) continue;
                ref readonly var n = ref Tree.MetaOf(id);
                long ttl = EphemeralTypes.TtlOf(n.EphemeralOwner);
                if (ttl != 0 && now - n.Mtime > ttl) candidates.Add(path);
            }
        }
        foreach (var path in candidates)
        {
            if (budget-- <= 0) break;
            if (!_reaping.Add(path)) continue;
            if (!TryNextZxid(out long zxid)) return;
            var req = new Request { Op = OpCode.DeleteContainer, Path = path };
            var txn = Prep.Prepare(req, zxid, NowMs());
            AppendTxn(txn, null);
        }
    }
}
