using System.Text;
using HotZk.Client;
using HotZk.Common;

namespace HotZk.Ensemble.Tests;

/// <summary>Reads through one chosen server, after a sync so the read reflects every committed write.</summary>
public static class ClusterReads
{
    /// <summary>
    /// Connects to server <paramref name="id"/> alone, syncs <paramref name="root"/> and returns every
    /// node under it (not the root itself) with its data as UTF-8 (null for no data).
    /// </summary>
    public static async Task<SortedDictionary<string, string?>> TreeViaAsync(EnsembleHarness h, int id, string root)
    {
        await using var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), id);
        await zk.SyncAsync(root).WaitAsync(TimeSpan.FromSeconds(10));
        return await TreeAsync(zk, root);
    }

    /// <summary>Every node under <paramref name="root"/> with its data; bounded to 100 000 nodes.</summary>
    public static async Task<SortedDictionary<string, string?>> TreeAsync(ZkClient zk, string root)
    {
        var result = new SortedDictionary<string, string?>(StringComparer.Ordinal);
        var pending = new Queue<string>();
        pending.Enqueue(root);
        while (pending.Count > 0 && result.Count < 100_000)
        {
            string parent = pending.Dequeue();
            var children = await zk.GetChildrenAsync(parent).WaitAsync(TimeSpan.FromSeconds(10));
            var paths = children.Select(c => parent == "/" ? "/" + c : parent + "/" + c).ToList();
            // Pipelined reads in chunks: the client keeps them in order on one connection.
            foreach (var chunk in paths.Chunk(256))
            {
                var reads = chunk.Select(async p =>
                {
                    try
                    {
                        var (data, stat) = await zk.GetDataAsync(p);
                        return (p, data, stat.NumChildren, Exists: true);
                    }
                    catch (ZkException e) when (e.Code == ErrorCode.NoNode)
                    {
                        return (p, (byte[]?)null, 0, Exists: false); // deleted between the listing and the read
                    }
                }).ToList();
                foreach (var (p, data, numChildren, exists) in await Task.WhenAll(reads).WaitAsync(TimeSpan.FromSeconds(30)))
                {
                    if (!exists) continue;
                    result[p] = data is null ? null : Encoding.UTF8.GetString(data);
                    if (numChildren > 0) pending.Enqueue(p);
                }
            }
        }
        return result;
    }

    /// <summary>True when server <paramref name="id"/> (after a sync) has <paramref name="path"/>.</summary>
    public static async Task<bool> ExistsViaAsync(EnsembleHarness h, int id, string path)
    {
        await using var zk = await h.ConnectAsync(TimeSpan.FromSeconds(10), id);
        await zk.SyncAsync("/").WaitAsync(TimeSpan.FromSeconds(10));
        return await zk.ExistsAsync(path).WaitAsync(TimeSpan.FromSeconds(10)) is not null;
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
