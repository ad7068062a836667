using HotZk.Common;
using HotZk.Engine.Sessions;

namespace HotZk.Engine.Processing;

public sealed partial class ZkEngine
{
    private void HandleConnect(IClientConnection conn, ConnectArgs args)
    {
        if (_role == EngineRole.Looking)
        {
            conn.Close("this server is not serving: no leader");
            return;
        }
        if (_role == EngineRole.ReadOnly && args.LastZxidSeen <= Tree.LastProcessedZxid)
        {
            ConnectReadOnly(conn, args, Math.Clamp(args.Timeout, _options.EffectiveMinSessionTimeout, _options.EffectiveMaxSessionTimeout));
            return;
        }
        if (args.LastZxidSeen > Tree.LastProcessedZxid)
        {
            // The client has seen a newer state than ours: refuse without a reply so it tries elsewhere.
            _logSink($"INFO refusing connection: client zxid 0x{args.LastZxidSeen:x} is ahead of ours 0x{Tree.LastProcessedZxid:x}");
            conn.Close("client has seen a newer zxid");
            return;
        }
        int timeout = Math.Clamp(args.Timeout, _options.EffectiveMinSessionTimeout, _options.EffectiveMaxSessionTimeout);
        long now = Monotonic();

        if (args.SessionId == 0)
        {
            long id = Sessions.NextSessionId();
            if (IsLearner)
            {
                // The leader logs the session; the connect response goes out when that txn is applied here.
                AddPendingSession(id, timeout, conn);
                EnsembleLink?.ForwardCreateSession(id, timeout);
                return;
            }
            ProposeCreateSession(id, timeout, conn);
            return;
        }

        var existing = Sessions.Get(args.SessionId);
        // Like ZooKeeper, a reconnect for a session drops the connection that holds it before the
        // password is checked (the owner's client simply reconnects).
        var old = existing?.Connection;
        if (existing is not null && old is not null && !ReferenceEquals(old, conn))
        {
            existing.Connection = null;
            Tree.Watches.RemoveWatcher(old);
            old.Close("session reconnected from another connection");
        }
        if (existing is null || existing.Closing || existing.Pending || !PasswordMatches(existing.Password, args.Password))
        {
            conn.SendConnectResponse(null, 0);
            return;
        }
        existing.Connection = conn;
        existing.Timeout = timeout;
        Sessions.Touch(existing, now);
        if (IsLearner) _touched.Add(existing.Id);
        conn.SendConnectResponse(existing, timeout);
    }

    private void ProposeCreateSession(long id, int timeout, IClientConnection? conn)
    {
        if (!TryNextZxid(out long zxid))
        {
            conn?.Close("the leader is stepping down (zxid counter exhausted)");
            return;
        }
        var s = AddPendingSession(id, timeout, conn);
        var req = new Request { Op = OpCode.CreateSession, SessionId = id, Session = s, Connection = conn };
        var txn = Prep.Prepare(req, zxid, NowMs());
        AppendTxn(txn, null);
    }

    /// <summary>A session waiting for its createSession txn to be applied (it answers the connect then).</summary>
    private Session AddPendingSession(long id, int timeout, IClientConnection? conn)
    {
        var s = Sessions.Add(id, timeout, Monotonic());
        s.Pending = true;
        s.Connection = conn;
        return s;
    }

    private static bool PasswordMatches(byte[] expected, byte[]? given) =>
        given is not null && expected.AsSpan().SequenceEqual(given);

    private void ExpireSessions()
    {
        if (IsLearner) ReportTouches();
        MaybeEnterReadOnly();
        if (_role == EngineRole.ReadOnly)
        {
            ExpireLocalSessions();
            return;
        }
        // Only the leader (or a standalone server) decides that a session expired.
        if (_role is not (EngineRole.Standalone or EngineRole.Leader)) return;
        var expired = Sessions.CollectExpired(Monotonic());
        foreach (var s in expired)
        {
            if (s.Closing) continue;
            if (s.Pending)
            {
                // Still waiting for its createSession to be durable: keep it alive until then.
                Sessions.Touch(s, Monotonic());
                continue;
            }
            _logSink($"INFO Expiring session 0x{s.Id:x}, timeout of {s.Timeout}ms exceeded");
            if (!TryNextZxid(out long zxid)) return;
            s.Closing = true;
            var req = new Request { Op = OpCode.CloseSession, SessionId = s.Id, Session = s };
            var txn = Prep.Prepare(req, zxid, NowMs());
            AppendTxn(txn, null);
        }
    }

    /// <summary>Reports the ids of live sessions (for dump/cons).</summary>
    public Task<long[]> SessionIdsAsync() => InvokeAsync(() => Sessions.Sessions.Keys.ToArray());
}
