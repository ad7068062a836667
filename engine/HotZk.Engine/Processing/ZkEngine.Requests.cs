using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Sessions;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;

namespace HotZk.Engine.Processing;

public sealed partial class ZkEngine
{
    /// <summary>Error returned to writes when the log cannot store them (disk full, I/O error).</summary>
    public const ErrorCode LogFailureError = ErrorCode.SystemError;

    private void HandleRequest(Request r)
    {
        Stats.Received();
        if (_role == EngineRole.Looking)
        {
            // Between leaders nothing is served; the client reconnects (here or elsewhere).
            r.Connection?.Close("this server is not serving: no leader");
            return;
        }
        if (r.Remote) r.Session = Sessions.Get(r.SessionId);
        var s = r.Session;
        if (s is null || (s.Closing && r.Op != OpCode.CloseSession) || Sessions.Get(s.Id) is null)
        {
            r.Err = ErrorCode.SessionExpired;
            Reply(r);
            return;
        }
        Sessions.Touch(s, Monotonic());
        if (IsLearner) _touched.Add(s.Id);

        if (r.Op == OpCode.Auth)
        {
            HandleAuth(r);
            return;
        }

        if (_role == EngineRole.ReadOnly && (r.IsWrite || r.Op == OpCode.Sync))
        {
            if (r.Op == OpCode.CloseSession && s.Local)
            {
                Sessions.Remove(s.Id);
                var conn = r.Connection;
                Reply(r);
                conn?.Close("session closed");
                return;
            }
            // As ZooKeeper's read-only server: every change (and sync) is refused, the session lives on.
            r.Err = ErrorCode.NotReadOnly;
            if (s.Queue.Count == 0) Reply(r);
            else
            {
                r.Done = true;
                s.Queue.Enqueue(r);
            }
            return;
        }
        if (IsLearner && (r.IsWrite || r.Op == OpCode.Sync))
        {
            ForwardToLeader(r, s);
            return;
        }
        if (r.IsWrite)
        {
            if (r.Op == OpCode.CloseSession)
            {
                if (s.Closing) return; // a second close on the same session: the first one answers
                s.Closing = true;
            }
            s.Queue.Enqueue(r);
            SubmitWrite(r);
        }
        else if (s.Queue.Count == 0)
        {
            ExecuteRead(r);
            Reply(r);
        }
        else
        {
            s.Queue.Enqueue(r);
        }
    }

    private void SubmitWrite(Request r)
    {
        if (!TryNextZxid(out long zxid))
        {
            // A leader out of zxids: the client sees connection loss and retries with the next leader.
            r.Done = true;
            r.Connection?.Close("the leader is stepping down (zxid counter exhausted)");
            return;
        }
        r.Zxid = zxid;
        var txn = Prep.Prepare(r, zxid, NowMs());
        AppendTxn(txn, r);
    }

    private void AppendTxn(Txn txn, Request? r)
    {
        _txnBuffer.Clear();
        TxnSerializer.Write(new JuteWriter(_txnBuffer), txn);
        _inFlight.Enqueue((txn, r));
        Interlocked.Increment(ref _outstanding);
        _log.Append(txn.Zxid, _txnBuffer.WrittenSpan);
    }

    private void ApplyDurable(long zxid)
    {
        while (_inFlight.Count > 0 && _inFlight.Peek().Txn.Zxid <= zxid)
        {
            var (txn, r) = _inFlight.Dequeue();
            Interlocked.Decrement(ref _outstanding);
            Apply(txn, r);
            // Logged, applied and answered: the txn object serves a later write.
            Prep.Release(txn);
        }
        MaybeSnapshot();
    }

    private void Apply(Txn txn, Request? r)
    {
        var result = Tree.ProcessTxn(txn);
        Volatile.Write(ref _lastApplied, Tree.LastProcessedZxid);
        Prep.Applied(txn);
        _txnsSinceSnapshot++;

        switch (txn.Type)
        {
            case OpCode.CreateSession:
                {
                    var s = Sessions.Get(txn.ClientId);
                    if (s is not null)
                    {
                        s.Pending = false;
                        s.Connection?.SendConnectResponse(s, s.Timeout);
                    }
                    else
                    {
                        // Ensemble: a session created through another server; clients may reconnect here.
                        Sessions.Add(txn.ClientId, txn.Timeout, Monotonic());
                    }
                    return;
                }
            case OpCode.CloseSession:
                {
                    var s = Sessions.Get(txn.ClientId);
                    Sessions.Remove(txn.ClientId);
                    if (r is null)
                    {
                        // Expiry: no reply; the client learns on reconnect.
                        s?.Connection?.Close("session expired");
                        return;
                    }
                    // Closed through another connection (in an ensemble: through another member, or by a
                    // handle that re-attached elsewhere): the one still holding the session here must learn now.
                    if (s?.Connection is { } holder && !ReferenceEquals(holder, r.Connection)) holder.Close("session closed by another connection");
                    break;
                }
        }
        if (r is null) return;

        FillWriteResult(r, txn, in result);
        r.Done = true;
        if (r.Session is not null) Drain(r.Session);
    }

    private static void FillWriteResult(Request r, Txn txn, in TxnResult result)
    {
        if (txn.Type == OpCode.Error)
        {
            r.Err = txn.Err;
            return;
        }
        switch (r.Op)
        {
            case OpCode.Create:
            case OpCode.Create2:
            case OpCode.CreateContainer:
            case OpCode.CreateTtl:
                r.Err = result.Err;
                r.ResultPath = txn.Path;
                r.Stat = result.Stat;
                break;
            case OpCode.SetData:
            case OpCode.SetAcl:
                r.Err = result.Err;
                r.Stat = result.Stat;
                break;
            case OpCode.Multi:
                {
                    r.Err = ErrorCode.Ok;
                    var results = r.RentResultsList();
                    var ops = r.Ops ?? [];
                    for (int i = 0; i < (result.Multi?.Count ?? 0); i++)
                    {
                        var sub = result.Multi![i];
                        var res = RequestPool.Rent();
                        res.Op = sub.Type == OpCode.Error ? OpCode.Error : (i < ops.Count ? ops[i].Op : OpCode.Error);
                        res.Err = sub.Err;
                        res.ResultPath = sub.Path;
                        res.Stat = sub.Stat;
                        results.Add(res);
                    }
                    r.Results = results;
                    break;
                }
            default:
                r.Err = result.Err;
                break;
        }
    }

    /// <summary>Replies to every finished request at the head of the session's queue, running reads that were waiting.</summary>
    private void Drain(Session s)
    {
        var q = s.Queue;
        while (q.Count > 0)
        {
            var head = q.Peek();
            if (head.Done)
            {
                q.Dequeue();
                // The reply hands a pooled request back: read what we need first.
                var closing = head.Op == OpCode.CloseSession ? head.Connection : null;
                Reply(head);
                closing?.Close("session closed");
            }
            else if (!head.IsWrite && !head.Forwarded)
            {
                q.Dequeue();
                ExecuteRead(head);
                Reply(head);
            }
            else
            {
                break;
            }
        }
    }

    private void Reply(Request r)
    {
        r.ReplyZxid = Tree.LastProcessedZxid;
        Stats.Latency(r.StartTicks);
        if (r.Connection is not null)
        {
            Stats.Sent();
            r.Connection.SendReply(r);
        }
    }

    private void HandleAuth(Request r)
    {
        var auth = r.Connection?.Auth;
        r.ReplyZxid = 0;
        switch (r.AuthScheme)
        {
            case "digest":
                {
                    string cred = System.Text.Encoding.UTF8.GetString(r.DataSpan);
                    string id = DigestAuth.Generate(cred);
                    if (_options.SuperDigest is not null && id == _options.SuperDigest && auth is not null)
                    {
                        auth.IsSuper = true;
                        auth.Add(new Id("super", ""));
                    }
                    auth?.Add(new Id("digest", id));
                    r.Err = ErrorCode.Ok;
                    break;
                }
            case "ip":
                r.Err = ErrorCode.Ok;
                break;
            default:
                r.Err = ErrorCode.AuthFailed;
                break;
        }
        var conn = r.Connection;
        bool failed = r.Err != ErrorCode.Ok;
        conn?.SendReply(r);
        if (failed) conn?.Close("auth failed");
    }

    private void ExecuteRead(Request r)
    {
        var auth = r.Connection?.Auth;
        bool skip = _options.SkipAcl;
        switch (r.Op)
        {
            case OpCode.Exists:
                {
                    int node = r.HasUtf8Path ? Tree.Find(r.PathUtf8) : Tree.Find(r.Path);
                    if (node < 0)
                    {
                        if (r.Watch && r.Connection is not null) Tree.Watches.AddDataWatch(NormalizeRoot(r.Path), r.Connection);
                        r.Err = ErrorCode.NoNode;
                        return;
                    }
                    if (!AclChecker.Check(Tree.AclOf(node), Perms.Read, auth, skip)) { r.Err = ErrorCode.NoAuth; return; }
                    if (r.Watch && r.Connection is not null) Tree.Watches.AddDataWatch(NormalizeRoot(r.Path), r.Connection);
                    r.Stat = Tree.StatOf(node);
                    return;
                }
            case OpCode.GetData:
                {
                    int node = r.HasUtf8Path ? Tree.Find(r.PathUtf8) : Tree.Find(r.Path);
                    if (node < 0) { r.Err = ErrorCode.NoNode; return; }
                    if (!AclChecker.Check(Tree.AclOf(node), Perms.Read, auth, skip)) { r.Err = ErrorCode.NoAuth; return; }
                    if (r.Watch && r.Connection is not null) Tree.Watches.AddDataWatch(NormalizeRoot(r.Path), r.Connection);
                    // The tree's bytes are off-heap and change with later writes: the reply gets its own copy.
                    r.SetResultData(Tree.DataOf(node), Tree.DataIsNull(node));
                    r.Stat = Tree.StatOf(node);
                    return;
                }
            case OpCode.GetChildren:
            case OpCode.GetChildren2:
                {
                    int node = r.HasUtf8Path ? Tree.Find(r.PathUtf8) : Tree.Find(r.Path);
                    if (node < 0) { r.Err = ErrorCode.NoNode; return; }
                    if (!AclChecker.Check(Tree.AclOf(node), Perms.Read, auth, skip)) { r.Err = ErrorCode.NoAuth; return; }
                    if (r.Watch && r.Connection is not null) Tree.Watches.AddChildWatch(NormalizeRoot(r.Path), r.Connection);
                    // Names go from the tree's UTF-8 straight into the request's pooled buffer: no string per child.
                    r.BeginChildNames();
                    foreach (var name in Tree.ChildNamesOf(node)) r.AddChildName(name);
                    r.Stat = Tree.StatOf(node);
                    return;
                }
            case OpCode.GetAcl:
                {
                    int node = Tree.Find(r.Path);
                    if (node < 0) { r.Err = ErrorCode.NoNode; return; }
                    var acl = Tree.AclOf(node);
                    bool admin = AclChecker.Check(acl, Perms.Admin, auth, skip);
                    if (!admin && !AclChecker.Check(acl, Perms.Read, auth, skip)) { r.Err = ErrorCode.NoAuth; return; }
                    r.ResultAcl = admin ? acl : AclChecker.MaskDigests(acl);
                    r.Stat = Tree.StatOf(node);
                    return;
                }
            case OpCode.GetAllChildrenNumber:
                {
                    int node = Tree.Find(r.Path);
                    if (node < 0) { r.Err = ErrorCode.NoNode; return; }
                    if (!AclChecker.Check(Tree.AclOf(node), Perms.Read, auth, skip)) { r.Err = ErrorCode.NoAuth; return; }
                    r.Count = Tree.CountDescendants(r.Path);
                    return;
                }
            case OpCode.GetEphemerals:
                {
                    var list = new List<string>();
                    string prefix = r.Path;
                    bool all = prefix.Length == 0 || prefix == "/";
                    foreach (var p in Tree.EphemeralsOf(r.SessionId))
                    {
                        if (all || p.StartsWith(prefix, StringComparison.Ordinal)) list.Add(p);
                    }
                    r.Children = list;
                    return;
                }
            case OpCode.Sync:
                r.ResultPath = r.Path;
                return;
            case OpCode.Ping:
                return;
            case OpCode.SetWatches:
            case OpCode.SetWatches2:
                ApplySetWatches(r);
                return;
            case OpCode.CheckWatches:
            case OpCode.RemoveWatches:
                CheckOrRemoveWatches(r);
                return;
            case OpCode.AddWatch:
                if (r.Connection is not null) Tree.Watches.AddPersistent(NormalizeRoot(r.Path), r.Connection, (AddWatchMode)r.Mode);
                return;
            case OpCode.WhoAmI:
                {
                    var list = new List<(string, string)>();
                    if (auth is not null)
                    {
                        foreach (var id in auth.Ids)
                        {
                            string user = id.Ident;
                            if (id.Scheme == "digest")
                            {
                                int colon = user.IndexOf(':');
                                if (colon >= 0) user = user[..colon];
                            }
                            list.Add((id.Scheme, user));
                        }
                    }
                    r.ClientInfo = list;
                    return;
                }
            case OpCode.MultiRead:
                {
                    var results = r.RentResultsList();
                    foreach (var op in r.Ops ?? [])
                    {
                        op.Connection = r.Connection;
                        op.SessionId = r.SessionId;
                        op.Watch = false;
                        ExecuteRead(op);
                        results.Add(op);
                    }
                    r.Results = results;
                    return;
                }
            default:
                r.Err = ErrorCode.Unimplemented;
                return;
        }
    }

    private static string NormalizeRoot(string path) => path.Length == 0 ? "/" : path;

    private void ApplySetWatches(Request r)
    {
        var args = r.SetWatches;
        var conn = r.Connection;
        if (args is null || conn is null) return;
        long rel = args.RelativeZxid;
        long zxid = Tree.LastProcessedZxid;
        var watches = Tree.Watches;
        // Catch-up events obey the same READ filter as live ones (3.9.2+).
        bool CanSee(int n) => AclChecker.Check(Tree.AclOf(n), Perms.Read, conn.Auth, _options.SkipAcl);
        foreach (var p in args.DataWatches)
        {
            int n = Tree.Find(p);
            if (n < 0) conn.Process(EventType.NodeDeleted, p, zxid);
            else if (Tree.MetaOf(n).Mzxid > rel) { if (CanSee(n)) conn.Process(EventType.NodeDataChanged, p, zxid); }
            else watches.AddDataWatch(p, conn);
        }
        foreach (var p in args.ExistWatches)
        {
            int n = Tree.Find(p);
            if (n >= 0) { if (CanSee(n)) conn.Process(EventType.NodeCreated, p, zxid); }
            else watches.AddDataWatch(p, conn);
        }
        foreach (var p in args.ChildWatches)
        {
            int n = Tree.Find(p);
            if (n < 0) conn.Process(EventType.NodeDeleted, p, zxid);
            else if (Tree.MetaOf(n).Pzxid > rel) { if (CanSee(n)) conn.Process(EventType.NodeChildrenChanged, p, zxid); }
            else watches.AddChildWatch(p, conn);
        }
        foreach (var p in args.PersistentWatches) watches.AddPersistent(p, conn, AddWatchMode.Persistent);
        foreach (var p in args.PersistentRecursiveWatches) watches.AddPersistent(p, conn, AddWatchMode.PersistentRecursive);
    }

    private void CheckOrRemoveWatches(Request r)
    {
        var conn = r.Connection;
        if (conn is null) { r.Err = ErrorCode.NoWatcher; return; }
        var data = Tree.Watches.Data;
        var child = Tree.Watches.Child;
        string p = NormalizeRoot(r.Path);
        bool remove = r.Op == OpCode.RemoveWatches;
        // 3.9 semantics: Children/Data match one-shot watches only; Any matches every mode.
        (Watches.WatchModes dataMask, Watches.WatchModes childMask) = (WatcherType)r.Mode switch
        {
            WatcherType.Children => (Watches.WatchModes.None, Watches.WatchModes.Standard),
            WatcherType.Data => (Watches.WatchModes.Standard, Watches.WatchModes.None),
            WatcherType.Any => (Watches.WatchModes.Standard | Watches.WatchModes.Persistent | Watches.WatchModes.Recursive,
                                Watches.WatchModes.Standard | Watches.WatchModes.Persistent),
            WatcherType.Persistent => (Watches.WatchModes.Persistent, Watches.WatchModes.Persistent),
            WatcherType.PersistentRecursive => (Watches.WatchModes.Recursive, Watches.WatchModes.None),
            _ => (Watches.WatchModes.None, Watches.WatchModes.None),
        };
        bool found = (data.Get(p, conn) & dataMask) != 0 || (child.Get(p, conn) & childMask) != 0;
        if (!found) { r.Err = ErrorCode.NoWatcher; return; }
        if (remove)
        {
            data.Remove(p, conn, dataMask);
            child.Remove(p, conn, childMask);
        }
    }
}
