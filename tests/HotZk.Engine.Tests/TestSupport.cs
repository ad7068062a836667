using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Processing;
using HotZk.Engine.Sessions;
using HotZk.Engine.Storage;
using HotZk.Engine.Tree;
using HotZk.Engine.Txns;
using HotZk.Engine.Watches;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>A watcher that records every event it receives.</summary>
internal sealed class RecordingWatcher(string name = "w") : IWatcher
{
    public string Name { get; } = name;

    public List<(EventType Type, string Path, long Zxid)> Events { get; } = [];

    public void Process(EventType type, string path, long zxid) => Events.Add((type, path, zxid));

    public (EventType, string)[] Seen => Events.Select(e => (e.Type, e.Path)).ToArray();

    public override string ToString() => Name;
}

/// <summary>
/// A client connection double: records replies, events, connect responses and closes in one
/// ordered journal. Thread-safe (the engine calls it from its own thread).
/// </summary>
internal sealed class FakeConnection : IClientConnection
{
    private readonly object _gate = new();
    private readonly List<Entry> _journal = [];

    public FakeConnection(string remoteAddress = "127.0.0.1") => Auth = new AuthInfo(remoteAddress);

    public abstract record Entry;
    public sealed record ReplyEntry(Request Request, int Xid, OpCode Op, ErrorCode Err, long ReplyZxid) : Entry;
    public sealed record EventEntry(EventType Type, string Path, long Zxid) : Entry;
    public sealed record ConnectEntry(Session? Session, int Timeout) : Entry;
    public sealed record CloseEntry(string Reason) : Entry;

    public AuthInfo Auth { get; }

    public Entry[] Journal
    {
        get { lock (_gate) return [.. _journal]; }
    }

    public ReplyEntry[] Replies => Journal.OfType<ReplyEntry>().ToArray();
    public EventEntry[] Events => Journal.OfType<EventEntry>().ToArray();
    public bool Closed => Journal.OfType<CloseEntry>().Any();

    public void SendReply(Request request) => Add(new ReplyEntry(request, request.Xid, request.Op, request.Err, request.ReplyZxid));
    public void SendConnectResponse(Session? session, int negotiatedTimeout) => Add(new ConnectEntry(session, negotiatedTimeout));
    public void Close(string reason) => Add(new CloseEntry(reason));
    public void Process(EventType type, string path, long zxid) => Add(new EventEntry(type, path, zxid));

    private void Add(Entry e)
    {
        lock (_gate)
        {
            _journal.Add(e);
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds over the journal.</summary>
    public void WaitFor(Func<Entry[], bool> condition, string what, int timeoutMs = 10000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        lock (_gate)
        {
            while (!condition([.. _journal]))
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0) Assert.Fail($"timed out waiting for {what}; journal: {string.Join(", ", _journal)}");
                Monitor.Wait(_gate, (int)Math.Min(left, 100));
            }
        }
    }

    public ReplyEntry WaitForReply(int xid)
    {
        WaitFor(j => j.OfType<ReplyEntry>().Any(r => r.Xid == xid), $"reply to xid {xid}");
        return Replies.First(r => r.Xid == xid);
    }

    public ConnectEntry WaitForConnect()
    {
        WaitFor(j => j.OfType<ConnectEntry>().Any(), "connect response");
        return Journal.OfType<ConnectEntry>().First();
    }
}

/// <summary>
/// An in-memory <see cref="ITxnLog"/>: records every append; nothing becomes durable until the
/// test calls <see cref="Release"/> (or <see cref="Fail"/>), so tests decide when writes commit.
/// </summary>
internal sealed class MemoryTxnLog : ITxnLog
{
    private readonly object _gate = new();
    private readonly List<LoggedTxn> _entries = [];
    private long _durable;
    private long _lastAppended;

    public MemoryTxnLog(IEnumerable<LoggedTxn>? preloaded = null)
    {
        if (preloaded is null) return;
        foreach (var e in preloaded)
        {
            _entries.Add(e);
            _lastAppended = _durable = e.Zxid;
        }
    }

    public long LastAppendedZxid { get { lock (_gate) return _lastAppended; } }
    public long DurableZxid { get { lock (_gate) return _durable; } }
    public ITxnLogListener? Listener { get; set; }

    public void Append(long zxid, ReadOnlySpan<byte> txn)
    {
        lock (_gate)
        {
            if (zxid <= _lastAppended) throw new InvalidOperationException($"zxid 0x{zxid:x} not above 0x{_lastAppended:x}");
            _entries.Add(new LoggedTxn(zxid, txn.ToArray()));
            _lastAppended = zxid;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Every txn appended so far, decoded.</summary>
    public List<Txn> Txns
    {
        get { lock (_gate) return _entries.Select(e => TxnSerializer.Read(e.Txn.Span)).ToList(); }
    }

    /// <summary>Txns that have been made durable (what a restart would see).</summary>
    public List<LoggedTxn> DurableEntries
    {
        get { lock (_gate) return _entries.Where(e => e.Zxid <= _durable).ToList(); }
    }

    /// <summary>Makes everything appended so far durable and tells the listener.</summary>
    public void Release()
    {
        long zxid;
        lock (_gate)
        {
            zxid = _lastAppended;
            if (zxid <= _durable) return;
            _durable = zxid;
        }
        Listener?.OnDurable(zxid);
    }

    /// <summary>Fails every txn appended but not yet durable (as a failed group commit would).</summary>
    public void Fail()
    {
        long from, to;
        lock (_gate)
        {
            from = _durable + 1;
            to = _lastAppended;
            _entries.RemoveAll(e => e.Zxid > _durable);
            _lastAppended = _durable;
        }
        Listener?.OnFailed(from, to, new IOException("disk full (test)"));
    }

    /// <summary>Waits until at least <paramref name="count"/> txns have been appended.</summary>
    public void WaitForAppends(int count, int timeoutMs = 10000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        lock (_gate)
        {
            while (_entries.Count < count)
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0) Assert.Fail($"timed out waiting for {count} appends (have {_entries.Count})");
                Monitor.Wait(_gate, (int)Math.Min(left, 100));
            }
        }
    }

    public int Count { get { lock (_gate) return _entries.Count; } }

    public void Flush() { }

    public IEnumerable<LoggedTxn> ReadAfter(long afterZxid)
    {
        lock (_gate) return _entries.Where(e => e.Zxid > afterZxid && e.Zxid <= _durable).ToList();
    }

    public void TruncateAfter(long zxid)
    {
        lock (_gate)
        {
            _entries.RemoveAll(e => e.Zxid > zxid);
            _lastAppended = Math.Min(_lastAppended, zxid);
            _durable = Math.Min(_durable, zxid);
        }
    }

    public void Roll() { }

    public void PurgeBefore(long zxid) { }

    public void Dispose() { }
}

/// <summary>Builders for txns and requests.</summary>
internal static class T
{
    public static readonly Acl[] Open = Acl.OpenAclUnsafe;

    public static Acl[] Digest(string userPassword, Perms perms = Perms.All) =>
        [new Acl(perms, new Id("digest", DigestAuth.Generate(userPassword)))];

    public static Acl[] Ip(string ip, Perms perms = Perms.All) => [new Acl(perms, new Id("ip", ip))];

    public static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    public static Txn Create(string path, long zxid, int parentCversion = -1, string? data = "", Acl[]? acl = null,
        bool ephemeral = false, long clientId = 0, long time = 0) => new()
        {
            Type = OpCode.Create,
            Path = path,
            Zxid = zxid,
            Time = time == 0 ? 1000 + zxid : time,
            ClientId = clientId,
            Data = data is null ? null : B(data),
            Acl = acl ?? Open,
            Ephemeral = ephemeral,
            ParentCversion = parentCversion,
        };

    public static Txn Delete(string path, long zxid) => new() { Type = OpCode.Delete, Path = path, Zxid = zxid, Time = 1000 + zxid };

    public static Txn SetData(string path, string data, int newVersion, long zxid) =>
        new() { Type = OpCode.SetData, Path = path, Data = B(data), Version = newVersion, Zxid = zxid, Time = 1000 + zxid };

    public static Txn SetAcl(string path, Acl[] acl, int newAversion, long zxid) =>
        new() { Type = OpCode.SetAcl, Path = path, Acl = acl, Version = newAversion, Zxid = zxid, Time = 1000 + zxid };

    public static Txn Error(ErrorCode code) => new() { Type = OpCode.Error, Err = code };

    public static Txn Multi(long zxid, params Txn[] ops) => new() { Type = OpCode.Multi, Zxid = zxid, Time = 1000 + zxid, Ops = [.. ops] };

    public static Request CreateReq(string path, int flags = 0, Acl[]? acl = null, string data = "", IClientConnection? conn = null,
        long session = 0x100, OpCode op = OpCode.Create, long ttl = -1) => new()
        {
            Op = op,
            Path = path,
            Flags = flags,
            Acl = acl ?? Open,
            Data = B(data),
            Connection = conn,
            SessionId = session,
            Ttl = ttl,
        };

    public static Request DeleteReq(string path, int version = -1, IClientConnection? conn = null) =>
        new() { Op = OpCode.Delete, Path = path, Version = version, Connection = conn, SessionId = 0x100 };

    public static Request SetDataReq(string path, string data = "x", int version = -1, IClientConnection? conn = null) =>
        new() { Op = OpCode.SetData, Path = path, Data = B(data), Version = version, Connection = conn, SessionId = 0x100 };

    public static Request SetAclReq(string path, Acl[]? acl, int version = -1, IClientConnection? conn = null) =>
        new() { Op = OpCode.SetAcl, Path = path, Acl = acl, Version = version, Connection = conn, SessionId = 0x100 };

    public static Request CheckReq(string path, int version = -1) => new() { Op = OpCode.Check, Path = path, Version = version };

    public static Request MultiReq(IClientConnection? conn, params Request[] ops) =>
        new() { Op = OpCode.Multi, Ops = [.. ops], Connection = conn, SessionId = 0x100 };
}
