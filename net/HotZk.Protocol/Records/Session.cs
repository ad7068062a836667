using HotZk.Common;

namespace HotZk.Protocol.Records;

/// <summary>First frame of a session: a new session (SessionId 0) or a reattach.</summary>
/// <param name="ProtocolVersion">Always 0; servers ignore it.</param>
/// <param name="LastZxidSeen">Highest zxid the client has seen; a server behind it must not accept the client.</param>
/// <param name="TimeOut">Requested session timeout in ms.</param>
/// <param name="SessionId">0 for a new session, else the session to reattach.</param>
/// <param name="Passwd">Session password (16 bytes; 16 zeros for a new session from Java).</param>
/// <param name="ReadOnly">Client accepts a read-only server.</param>
/// <param name="HasReadOnlyByte">Whether the optional trailing readOnly byte was/will be on the wire (45 vs 44 bytes).</param>
public readonly record struct ConnectRequest(
    int ProtocolVersion,
    long LastZxidSeen,
    int TimeOut,
    long SessionId,
    byte[]? Passwd,
    bool ReadOnly = false,
    bool HasReadOnlyByte = true) : IJuteRecord<ConnectRequest>
{
    /// <summary>Size of the usual request (16-byte password, readOnly byte present).</summary>
    public const int StandardSize = 45;

    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteInt(ProtocolVersion);
        w.WriteLong(LastZxidSeen);
        w.WriteInt(TimeOut);
        w.WriteLong(SessionId);
        w.WriteBuffer(Passwd);
        if (HasReadOnlyByte) w.WriteBool(ReadOnly);
    }

    /// <inheritdoc />
    public static ConnectRequest Read(ref JuteReader r)
    {
        int version = r.ReadInt();
        long zxid = r.ReadLong();
        int timeout = r.ReadInt();
        long session = r.ReadLong();
        byte[]? passwd = r.ReadBufferArray();
        // Pre-3.4 clients and samuel/go-zookeeper stop here; the server must mirror that in its reply.
        if (r.End) return new ConnectRequest(version, zxid, timeout, session, passwd, false, false);
        return new ConnectRequest(version, zxid, timeout, session, passwd, r.ReadBool(), true);
    }
}

/// <summary>Server's answer to a <see cref="ConnectRequest"/>. TimeOut &lt;= 0 means the session expired.</summary>
/// <param name="ProtocolVersion">Always 0.</param>
/// <param name="TimeOut">Negotiated timeout in ms; 0 signals an invalid/expired session.</param>
/// <param name="SessionId">The session id (0 when rejected).</param>
/// <param name="Passwd">The session password.</param>
/// <param name="ReadOnly">True only from a server in read-only mode.</param>
/// <param name="HasReadOnlyByte">Whether the trailing readOnly byte is on the wire (37 vs 36 bytes).</param>
public readonly record struct ConnectResponse(
    int ProtocolVersion,
    int TimeOut,
    long SessionId,
    byte[]? Passwd,
    bool ReadOnly = false,
    bool HasReadOnlyByte = true) : IJuteRecord<ConnectResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteInt(ProtocolVersion);
        w.WriteInt(TimeOut);
        w.WriteLong(SessionId);
        w.WriteBuffer(Passwd);
        if (HasReadOnlyByte) w.WriteBool(ReadOnly);
    }

    /// <inheritdoc />
    public static ConnectResponse Read(ref JuteReader r)
    {
        int version = r.ReadInt();
        int timeout = r.ReadInt();
        long session = r.ReadLong();
        byte[]? passwd = r.ReadBufferArray();
        if (r.End) return new ConnectResponse(version, timeout, session, passwd, false, false);
        return new ConnectResponse(version, timeout, session, passwd, r.ReadBool(), true);
    }
}

/// <summary>Header of every request after the handshake.</summary>
/// <param name="Xid">Client-chosen id echoed in the reply; negative values are special (§3.2).</param>
/// <param name="Type">The operation.</param>
public readonly record struct RequestHeader(int Xid, OpCode Type) : IJuteRecord<RequestHeader>
{
    /// <summary>Encoded size.</summary>
    public const int Size = 8;

    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteInt(Xid);
        w.WriteInt((int)Type);
    }

    /// <inheritdoc />
    public static RequestHeader Read(ref JuteReader r) => new(r.ReadInt(), (OpCode)r.ReadInt());
}

/// <summary>Header of every reply; a body follows only when <see cref="Err"/> is <see cref="ErrorCode.Ok"/>.</summary>
/// <param name="Xid">Request xid (-1 notification, -2 ping, -4 auth, -8 setWatches).</param>
/// <param name="Zxid">Server's last processed zxid at reply time.</param>
/// <param name="Err">Result code.</param>
public readonly record struct ReplyHeader(int Xid, long Zxid, ErrorCode Err) : IJuteRecord<ReplyHeader>
{
    /// <summary>Encoded size.</summary>
    public const int Size = 16;

    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteInt(Xid);
        w.WriteLong(Zxid);
        w.WriteInt((int)Err);
    }

    /// <inheritdoc />
    public static ReplyHeader Read(ref JuteReader r) => new(r.ReadInt(), r.ReadLong(), (ErrorCode)r.ReadInt());
}

/// <summary>Per-op header inside multi requests and results.</summary>
/// <param name="Type">Sub-op (or result) type; -1 together with Done ends the list.</param>
/// <param name="Done">True only on the terminator.</param>
/// <param name="Err">-1 in requests; the result code in results.</param>
public readonly record struct MultiHeader(OpCode Type, bool Done, int Err) : IJuteRecord<MultiHeader>
{
    /// <summary>The terminator <c>{-1, true, -1}</c> that ends both requests and results.</summary>
    public static readonly MultiHeader Terminator = new(OpCode.Error, true, -1);

    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteInt((int)Type);
        w.WriteBool(Done);
        w.WriteInt(Err);
    }

    /// <inheritdoc />
    public static MultiHeader Read(ref JuteReader r) => new((OpCode)r.ReadInt(), r.ReadBool(), r.ReadInt());
}

/// <summary>addAuth request body (xid -4, op 100).</summary>
/// <param name="Type">Always 0.</param>
/// <param name="Scheme">Auth scheme, e.g. digest.</param>
/// <param name="Auth">Scheme-specific credentials, e.g. <c>user:password</c>.</param>
public readonly record struct AuthPacket(int Type, string? Scheme, byte[]? Auth) : IJuteRecord<AuthPacket>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteInt(Type);
        w.WriteString(Scheme);
        w.WriteBuffer(Auth);
    }

    /// <inheritdoc />
    public static AuthPacket Read(ref JuteReader r) => new(r.ReadInt(), r.ReadString(), r.ReadBufferArray());
}

/// <summary>Watch notification body (after a ReplyHeader with xid -1).</summary>
/// <param name="Type">What happened.</param>
/// <param name="State">Always SyncConnected from a server.</param>
/// <param name="Path">Full server path (clients strip their chroot).</param>
public readonly record struct WatcherEvent(EventType Type, KeeperState State, string Path) : IJuteRecord<WatcherEvent>
{
    /// <inheritdoc />
    public void Write(JuteWriter w)
    {
        w.WriteInt((int)Type);
        w.WriteInt((int)State);
        w.WriteString(Path);
    }

    /// <inheritdoc />
    public static WatcherEvent Read(ref JuteReader r) => new((EventType)r.ReadInt(), (KeeperState)r.ReadInt(), r.ReadStringNotNull());
}

/// <summary>A bare result code: multi error results and the addWatch reply.</summary>
/// <param name="Err">The code.</param>
public readonly record struct ErrorResponse(ErrorCode Err) : IJuteRecord<ErrorResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => w.WriteInt((int)Err);

    /// <inheritdoc />
    public static ErrorResponse Read(ref JuteReader r) => new((ErrorCode)r.ReadInt());
}

/// <summary>SASL token from client to server (op 102).</summary>
/// <param name="Token">The token.</param>
public readonly record struct GetSaslRequest(byte[]? Token) : IJuteRecord<GetSaslRequest>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => w.WriteBuffer(Token);

    /// <inheritdoc />
    public static GetSaslRequest Read(ref JuteReader r) => new(r.ReadBufferArray());
}

/// <summary>SASL token from server to client; a null token accompanies a SASL failure.</summary>
/// <param name="Token">The token.</param>
public readonly record struct SetSaslResponse(byte[]? Token) : IJuteRecord<SetSaslResponse>
{
    /// <inheritdoc />
    public void Write(JuteWriter w) => w.WriteBuffer(Token);

    /// <inheritdoc />
    public static SetSaslResponse Read(ref JuteReader r) => new(r.ReadBufferArray());
}
