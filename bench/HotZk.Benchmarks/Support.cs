using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Processing;
using HotZk.Engine.Sessions;
using HotZk.Engine.Storage;
using HotZk.Engine.Watches;
using HotZk.Net;

namespace HotZk.Benchmarks;

/// <summary><c>[BenchmarkCategory]</c> names.</summary>
public static class Categories
{
    /// <summary>
    /// Suites that take minutes and bring their own job (1M-node snapshot write/load, recovery, fsync-bound
    /// group commit). <c>--quick</c>, i.e. the CI perf gate, never selects them; run them by hand.
    /// </summary>
    public const string Heavy = "Heavy";
}

/// <summary>Payloads and paths shared by the suites.</summary>
public static class Fixtures
{
    /// <summary>The 1 KiB value used by the load targets (setData/getData 1 KiB).</summary>
    public static readonly byte[] Value1K = MakeValue(1024);

    public static byte[] MakeValue(int size)
    {
        var v = new byte[size];
        for (int i = 0; i < v.Length; i++) v[i] = (byte)('a' + (i % 26));
        return v;
    }

    /// <summary>A frame body (no length prefix) as a client sends it: header then record.</summary>
    public static byte[] Frame(Action<JuteWriter> write)
    {
        using var buffer = new ByteBuffer(2048);
        write(new JuteWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    public static Stat SampleStat => new(0x1_0000_0010, 0x1_0000_0020, 1_700_000_000_000, 1_700_000_000_500, 3, 0, 0, 0, 1024, 0, 0x1_0000_0010);
}

/// <summary>An <see cref="IWatcher"/> that only counts, so a trigger benchmark measures the manager.</summary>
public sealed class CountingWatcher : IWatcher
{
    public long Events;

    public void Process(EventType type, string path, long zxid) => Events++;
}

/// <summary>
/// A txn log that is durable the moment it is appended: the engine's request path without a disk.
/// </summary>
public sealed class InMemoryTxnLog : ITxnLog
{
    private long _last;

    public long LastAppendedZxid => Volatile.Read(ref _last);

    public long DurableZxid => Volatile.Read(ref _last);

    public ITxnLogListener? Listener { get; set; }

    public void Append(long zxid, ReadOnlySpan<byte> txn)
    {
        Volatile.Write(ref _last, zxid);
        Listener?.OnDurable(zxid);
    }

    public void Flush() { }

    public IEnumerable<LoggedTxn> ReadAfter(long afterZxid) => [];

    public void TruncateAfter(long zxid) { }

    public void Roll() { }

    public void PurgeBefore(long zxid) { }

    public void Dispose() { }
}

/// <summary>
/// An in-memory client connection: encodes each reply into a reused buffer like the socket connection
/// does (then drops the bytes, as if sent) and wakes the benchmark thread once a batch is answered.
/// </summary>
public sealed class RecordingConnection : IClientConnection
{
    private readonly ByteBuffer _out = new(64 * 1024);
    private readonly ManualResetEventSlim _batchDone = new(false);
    private readonly ManualResetEventSlim _connected = new(false);
    private int _expected;
    private int _replies;

    public AuthInfo Auth { get; } = new("127.0.0.1");

    public Session? Session { get; private set; }

    public long Notifications;

    public ErrorCode LastError;

    /// <summary>Arms the connection for <paramref name="count"/> replies.</summary>
    public void Expect(int count)
    {
        _batchDone.Reset();
        Volatile.Write(ref _replies, 0);
        Volatile.Write(ref _expected, count);
    }

    public void WaitForBatch()
    {
        if (!_batchDone.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"engine answered {Volatile.Read(ref _replies)} of {_expected} requests");
    }

    public Session WaitForSession()
    {
        if (!_connected.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException("no connect response");
        return Session ?? throw new InvalidOperationException("session refused");
    }

    public void SendReply(Request request)
    {
        LastError = request.Err;
        ReplyEncoder.Encode(_out, request);
        _out.Clear();
        // As the real connection does: once encoded, the pooled request goes back.
        RequestPool.Return(request);
        if (Interlocked.Increment(ref _replies) == Volatile.Read(ref _expected)) _batchDone.Set();
    }

    public void SendConnectResponse(Session? session, int negotiatedTimeout)
    {
        Session = session;
        _connected.Set();
    }

    public void Process(EventType type, string path, long zxid)
    {
        ReplyEncoder.EncodeNotification(_out, type, path, zxid);
        _out.Clear();
        Notifications++;
    }

    public void Close(string reason) { }
}
