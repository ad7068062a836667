using HotZk.Common;
using HotZk.Protocol;
using HotZk.Protocol.Records;

namespace HotZk.Client;

public sealed partial class ZkClient
{
    /// <summary>Creates a node and returns its actual path (with any sequential suffix).</summary>
    /// <remarks>Uses op 1, or 19 for <see cref="CreateMode.Container"/> and 21 for the TTL modes, as the Java client does.</remarks>
    public async Task<string> CreateAsync(string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode = CreateMode.Persistent, long ttl = 0)
    {
        if (mode == CreateMode.Container || mode.IsTtl())
        {
            return (await Create2Async(path, data, acl, mode, ttl).ConfigureAwait(false)).Path;
        }
        return await Submit(OpCode.Create, path, new CreateRequest(ToServerPath(path), data, acl, mode),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => c.ToClientPath(CreateResponse.Read(ref r).Path)).ConfigureAwait(false);
    }

    /// <summary>Creates a node and returns its path and Stat (op 15; 19 for containers, 21 for TTL modes).</summary>
    public Task<(string Path, Stat Stat)> Create2Async(string path, byte[]? data, IReadOnlyList<Acl> acl, CreateMode mode = CreateMode.Persistent, long ttl = 0)
    {
        ReplyParser<(string, Stat)> parser = static (ZkClient c, in ReplyHeader h, ref JuteReader r) =>
        {
            var resp = Create2Response.Read(ref r);
            return (c.ToClientPath(resp.Path), resp.Stat);
        };
        string server = ToServerPath(path);
        if (mode.IsTtl())
            return Submit(OpCode.CreateTtl, path, new CreateTtlRequest(server, data, acl, mode, ttl), parser);
        var op = mode == CreateMode.Container ? OpCode.CreateContainer : OpCode.Create2;
        return Submit(op, path, new CreateRequest(server, data, acl, mode), parser);
    }

    /// <summary>Deletes a node; <paramref name="version"/> -1 matches any version.</summary>
    public Task DeleteAsync(string path, int version = -1) =>
        Submit(OpCode.Delete, path, new DeleteRequest(ToServerPath(path), version), static (ZkClient c, in ReplyHeader h, ref JuteReader r) => true);

    /// <summary>Returns the node's Stat, or null if it does not exist; <paramref name="watch"/> registers the default watcher.</summary>
    public Task<Stat?> ExistsAsync(string path, bool watch = false) => ExistsAsync(path, watch ? _options.DefaultWatcher : null, watch);

    /// <summary>Returns the node's Stat or null; the watcher fires on NodeCreated, NodeDataChanged or NodeDeleted.</summary>
    public Task<Stat?> ExistsAsync(string path, Action<WatchedEvent>? watcher) => ExistsAsync(path, watcher, watcher is not null);

    private Task<Stat?> ExistsAsync(string path, Action<WatchedEvent>? watcher, bool watch) =>
        Submit(OpCode.Exists, path, new PathWatchRequest(ToServerPath(path), watch),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) =>
            {
                if (h.Err == ErrorCode.NoNode) return (Stat?)null;
                if (h.Err != ErrorCode.Ok) throw new ZkException(h.Err);
                return Stat.Read(ref r);
            },
            Watch(WatchKind.Exists, path, watcher), parseErrors: true);

    /// <summary>Reads data and Stat; data is null when the node was created with null data.</summary>
    public Task<(byte[]? Data, Stat Stat)> GetDataAsync(string path, bool watch = false) => GetDataAsync(path, watch ? _options.DefaultWatcher : null, watch);

    /// <summary>Reads data and Stat; the watcher fires on NodeDataChanged or NodeDeleted.</summary>
    public Task<(byte[]? Data, Stat Stat)> GetDataAsync(string path, Action<WatchedEvent>? watcher) => GetDataAsync(path, watcher, watcher is not null);

    private Task<(byte[]? Data, Stat Stat)> GetDataAsync(string path, Action<WatchedEvent>? watcher, bool watch) =>
        Submit(OpCode.GetData, path, new PathWatchRequest(ToServerPath(path), watch),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) =>
            {
                var resp = GetDataResponse.Read(ref r);
                return (resp.Data, resp.Stat);
            },
            Watch(WatchKind.Data, path, watcher));

    /// <summary>Replaces the node's data; returns the new Stat.</summary>
    public Task<Stat> SetDataAsync(string path, byte[]? data, int version = -1) =>
        Submit(OpCode.SetData, path, new SetDataRequest(ToServerPath(path), data, version), ReadStat);

    /// <summary>Reads the ACL and Stat.</summary>
    public Task<(IReadOnlyList<Acl> Acl, Stat Stat)> GetAclAsync(string path) =>
        Submit(OpCode.GetAcl, path, new PathRequest(ToServerPath(path)),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) =>
            {
                var resp = GetAclResponse.Read(ref r);
                return (resp.Acl ?? [], resp.Stat);
            });

    /// <summary>Replaces the ACL; <paramref name="version"/> is checked against aversion.</summary>
    public Task<Stat> SetAclAsync(string path, IReadOnlyList<Acl> acl, int version = -1) =>
        Submit(OpCode.SetAcl, path, new SetAclRequest(ToServerPath(path), acl, version), ReadStat);

    /// <summary>Lists child names (op 8, unsorted).</summary>
    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, bool watch = false) => GetChildrenAsync(path, watch ? _options.DefaultWatcher : null, watch);

    /// <summary>Lists child names; the watcher fires on NodeChildrenChanged or NodeDeleted.</summary>
    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, Action<WatchedEvent>? watcher) => GetChildrenAsync(path, watcher, watcher is not null);

    private Task<IReadOnlyList<string>> GetChildrenAsync(string path, Action<WatchedEvent>? watcher, bool watch) =>
        Submit(OpCode.GetChildren, path, new PathWatchRequest(ToServerPath(path), watch),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => GetChildrenResponse.Read(ref r).Children,
            Watch(WatchKind.Child, path, watcher));

    /// <summary>Lists child names with the node's Stat (op 12).</summary>
    public Task<(IReadOnlyList<string> Children, Stat Stat)> GetChildren2Async(string path, bool watch = false) => GetChildren2Async(path, watch ? _options.DefaultWatcher : null, watch);

    /// <summary>Lists child names with the node's Stat; the watcher fires on NodeChildrenChanged or NodeDeleted.</summary>
    public Task<(IReadOnlyList<string> Children, Stat Stat)> GetChildren2Async(string path, Action<WatchedEvent>? watcher) => GetChildren2Async(path, watcher, watcher is not null);

    private Task<(IReadOnlyList<string> Children, Stat Stat)> GetChildren2Async(string path, Action<WatchedEvent>? watcher, bool watch) =>
        Submit(OpCode.GetChildren2, path, new PathWatchRequest(ToServerPath(path), watch),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) =>
            {
                var resp = GetChildren2Response.Read(ref r);
                return (resp.Children, resp.Stat);
            },
            Watch(WatchKind.Child, path, watcher));

    /// <summary>Counts all descendants of the node (op 104).</summary>
    public Task<int> GetAllChildrenNumberAsync(string path) =>
        Submit(OpCode.GetAllChildrenNumber, path, new PathRequest(ToServerPath(path)),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => GetAllChildrenNumberResponse.Read(ref r).TotalNumber);

    /// <summary>Lists this session's ephemeral nodes whose path starts with the prefix (op 103).</summary>
    public Task<IReadOnlyList<string>> GetEphemeralsAsync(string prefixPath = "/") =>
        Submit(OpCode.GetEphemerals, prefixPath, new GetEphemeralsRequest(ToServerPath(prefixPath)),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) =>
            {
                var list = GetEphemeralsResponse.Read(ref r).Ephemerals;
                if (c._chroot is null) return list;
                var mapped = new string[list.Count];
                for (int i = 0; i < mapped.Length; i++) mapped[i] = c.ToClientPath(list[i]);
                return (IReadOnlyList<string>)mapped;
            });

    /// <summary>Waits until the server this client is connected to has caught up with the leader; returns the path.</summary>
    public Task<string> SyncAsync(string path) =>
        Submit(OpCode.Sync, path, new PathRequest(ToServerPath(path)),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => c.ToClientPath(PathRequest.Read(ref r).Path));

    /// <summary>Runs write ops atomically (op 14); returns one result per op. Failures come back as error results, not exceptions.</summary>
    public Task<IReadOnlyList<MultiResult>> MultiAsync(IReadOnlyList<MultiOp> ops) => MultiCore(OpCode.Multi, ops);

    /// <summary>Runs getData/getChildren ops in one round trip (op 22); each op succeeds or fails on its own.</summary>
    public Task<IReadOnlyList<MultiResult>> MultiReadAsync(IReadOnlyList<MultiOp> ops) => MultiCore(OpCode.MultiRead, ops);

    /// <summary>Like <see cref="MultiAsync"/>, but throws the first failing op's error as the Java client's multi() does.</summary>
    /// <exception cref="ZkException">The first non-zero error result, with <see cref="ZkException.Results"/> holding all results.</exception>
    public async Task<IReadOnlyList<MultiResult>> MultiOrThrowAsync(IReadOnlyList<MultiOp> ops)
    {
        var results = await MultiAsync(ops).ConfigureAwait(false);
        for (int i = 0; i < results.Count; i++)
        {
            if (results[i].IsError && results[i].Err != ErrorCode.Ok)
                throw new ZkException(results[i].Err, i < ops.Count ? ops[i].Path : null) { Results = results };
        }
        return results;
    }

    private Task<IReadOnlyList<MultiResult>> MultiCore(OpCode op, IReadOnlyList<MultiOp> ops)
    {
        IReadOnlyList<MultiOp> serverOps = ops;
        if (_chroot is not null)
        {
            var mapped = new MultiOp[ops.Count];
            for (int i = 0; i < mapped.Length; i++) mapped[i] = ops[i] with { Path = ToServerPath(ops[i].Path) };
            serverOps = mapped;
        }
        return Submit(op, null, new MultiRequest(serverOps),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) =>
            {
                var results = MultiResponse.Read(ref r).Results;
                if (c._chroot is null) return results;
                var mapped = new MultiResult[results.Count];
                for (int i = 0; i < mapped.Length; i++)
                    mapped[i] = results[i].Path is { } p ? results[i] with { Path = c.ToClientPath(p) } : results[i];
                return (IReadOnlyList<MultiResult>)mapped;
            });
    }

    /// <summary>
    /// Adds credentials to the connection (xid -4, op 100); completes when the server accepts them.
    /// The credential is re-sent on every reconnect.
    /// </summary>
    /// <exception cref="ZkException">AuthFailed when rejected (the server then closes the connection).</exception>
    public Task AddAuthAsync(string scheme, byte[] auth)
    {
        var packet = new AuthPacket(0, scheme, auth);
        lock (_authInfo) _authInfo.Add(packet);
        return Submit(OpCode.Auth, scheme, packet, static (ZkClient c, in ReplyHeader h, ref JuteReader r) => true, kind: RequestKind.Auth);
    }

    /// <summary>Adds a persistent (or persistent-recursive) watch that stays until removed (op 106).</summary>
    public Task AddWatchAsync(string path, AddWatchMode mode, Action<WatchedEvent> watcher)
    {
        ArgumentNullException.ThrowIfNull(watcher);
        var kind = mode == AddWatchMode.PersistentRecursive ? WatchKind.PersistentRecursive : WatchKind.Persistent;
        return Submit(OpCode.AddWatch, path, new AddWatchRequest(ToServerPath(path), mode),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => true, new WatchRegistration(kind, path, watcher));
    }

    /// <summary>Removes this connection's watches of <paramref name="type"/> on the path (op 18); local watchers get a *WatchRemoved event.</summary>
    /// <exception cref="ZkException">NoWatcher when the server had none.</exception>
    public async Task RemoveWatchesAsync(string path, WatcherType type)
    {
        await Submit(OpCode.RemoveWatches, path, new CheckWatchesRequest(ToServerPath(path), type),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => true).ConfigureAwait(false);
        RemoveLocalWatches(path, type);
    }

    /// <summary>Asks the server whether this connection has watches of <paramref name="type"/> on the path (op 17).</summary>
    /// <exception cref="ZkException">NoWatcher when it has none.</exception>
    public Task CheckWatchesAsync(string path, WatcherType type) =>
        Submit(OpCode.CheckWatches, path, new CheckWatchesRequest(ToServerPath(path), type),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => true);

    /// <summary>Returns the identities the server associates with this connection (op 107).</summary>
    public Task<IReadOnlyList<ClientInfo>> WhoAmIAsync() =>
        Submit(OpCode.WhoAmI, null, new EmptyBody(),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => WhoAmIResponse.Read(ref r).ClientInfo);

    /// <summary>
    /// Sends an arbitrary request with the next xid and returns the reply header and raw body without
    /// interpreting errors (for server tests). Paths inside the body are not chroot-mapped.
    /// </summary>
    public Task<(ReplyHeader Header, byte[] Body)> SendRawAsync(OpCode op, Action<JuteWriter>? writeBody) =>
        Submit(op, null, new RawBody(writeBody),
            static (ZkClient c, in ReplyHeader h, ref JuteReader r) => (h, r.Rest.ToArray()), parseErrors: true);

    private static readonly ReplyParser<Stat> ReadStat = static (ZkClient c, in ReplyHeader h, ref JuteReader r) => Stat.Read(ref r);

    private static WatchRegistration? Watch(WatchKind kind, string path, Action<WatchedEvent>? watcher) =>
        watcher is null ? null : new WatchRegistration(kind, path, watcher);
}
