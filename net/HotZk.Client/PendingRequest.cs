using HotZk.Common;
using HotZk.Protocol;
using HotZk.Protocol.Records;

namespace HotZk.Client;

/// <summary>How a request's xid is chosen and where its reply is matched.</summary>
internal enum RequestKind
{
    /// <summary>Next sequential xid; reply matched FIFO.</summary>
    Normal,
    /// <summary>xid -2; reply ignored.</summary>
    Ping,
    /// <summary>xid -4; replies matched FIFO among auth packets only (the server answers them immediately).</summary>
    Auth,
    /// <summary>xid -8; reply matched FIFO with normal requests.</summary>
    SetWatches,
}

/// <summary>Which client-side watch table a successful read registers into.</summary>
internal enum WatchKind
{
    Data,
    Exists,
    Child,
    Persistent,
    PersistentRecursive,
}

/// <summary>A watch to register once the read's reply arrives (ZooKeeper registers only on success; exists also on NONODE).</summary>
internal sealed record WatchRegistration(WatchKind Kind, string ClientPath, Action<WatchedEvent> Watcher);

/// <summary>Parses a reply body. Runs on the read loop; must not block.</summary>
internal delegate T ReplyParser<T>(ZkClient client, in ReplyHeader header, ref JuteReader body);

/// <summary>A request queued for the writer and then awaiting its reply.</summary>
internal abstract class PendingRequest(OpCode op, RequestKind kind, string? path)
{
    public OpCode Op { get; } = op;

    public RequestKind Kind { get; } = kind;

    /// <summary>Client-side path, for error messages.</summary>
    public string? Path { get; } = path;

    /// <summary>Assigned by the writer just before the frame is encoded, so xids leave in queue order.</summary>
    public int Xid { get; set; }

    public WatchRegistration? Watch { get; init; }

    public abstract void WriteBody(JuteWriter w);

    public abstract void Complete(ZkClient client, in ReplyHeader header, ref JuteReader body);

    public abstract void Fail(Exception error);

    public void Fail(ErrorCode code) => Fail(new ZkException(code, Path));
}

/// <summary>A typed request: body record plus reply parser, completing a task.</summary>
internal sealed class Request<TBody, TResult>(
    OpCode op, RequestKind kind, string? path, TBody body, ReplyParser<TResult> parser, bool parseErrors)
    : PendingRequest(op, kind, path)
    where TBody : IJuteRecord<TBody>
{
    // Continuations run on the pool: user code awaiting a reply must never stall the read loop.
    private readonly TaskCompletionSource<TResult> _tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TResult> Task => _tcs.Task;

    public TBody Body => body;

    public override void WriteBody(JuteWriter w) => body.Write(w);

    public override void Complete(ZkClient client, in ReplyHeader header, ref JuteReader reader)
    {
        if (Watch is { } reg) client.RegisterWatch(reg, header.Err);
        if (header.Err != ErrorCode.Ok && !parseErrors)
        {
            _tcs.TrySetException(new ZkException(header.Err, Path));
            return;
        }
        try
        {
            _tcs.TrySetResult(parser(client, header, ref reader));
        }
        catch (ZkException e)
        {
            _tcs.TrySetException(e);
        }
        catch (JuteException e)
        {
            _tcs.TrySetException(new ZkException(ErrorCode.MarshallingError, Path, "malformed reply: " + e.Message));
        }
    }

    public override void Fail(Exception error) => _tcs.TrySetException(error);
}

/// <summary>The ping; nobody waits for its reply.</summary>
internal sealed class PingRequest() : PendingRequest(OpCode.Ping, RequestKind.Ping, null)
{
    public static readonly PingRequest Instance = new();

    public override void WriteBody(JuteWriter w)
    {
    }

    public override void Complete(ZkClient client, in ReplyHeader header, ref JuteReader body)
    {
    }

    public override void Fail(Exception error)
    {
    }
}

/// <summary>Requests with no body (closeSession, whoAmI).</summary>
internal readonly struct EmptyBody : IJuteRecord<EmptyBody>
{
    public void Write(JuteWriter w)
    {
    }

    public static EmptyBody Read(ref JuteReader r) => default;
}

/// <summary>A caller-encoded body for <see cref="ZkClient.SendRawAsync"/>.</summary>
internal readonly struct RawBody(Action<JuteWriter>? write) : IJuteRecord<RawBody>
{
    public void Write(JuteWriter w) => write?.Invoke(w);

    public static RawBody Read(ref JuteReader r) => throw new NotSupportedException();
}
