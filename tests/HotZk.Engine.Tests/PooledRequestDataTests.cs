using HotZk.Common;
using HotZk.Engine.Auth;
using HotZk.Engine.Processing;
using HotZk.Engine.Sessions;
using HotZk.Engine.Txns;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>
/// The data argument lives in a buffer the pooled request keeps, and txns borrow it: values of any
/// size round-trip, and nothing reads a borrowed buffer after its request has gone back to the pool.
/// </summary>
public sealed class PooledRequestDataTests : IDisposable
{
    private readonly EngineHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static byte[] Value(int length, byte seed) => Enumerable.Range(0, length).Select(i => (byte)(seed + i)).ToArray();

    [Fact]
    public void RequestBufferServesLargerThenSmallerThenNullThenEmptyValues()
    {
        var r = new Request();
        Assert.True(r.DataIsNull);
        Assert.Null(r.Data);
        foreach (int length in new[] { 10, 300, 5000, 3, 0 })
        {
            var v = Value(length, (byte)length);
            r.SetData(v, isNull: false);
            Assert.False(r.DataIsNull);
            Assert.Equal(length, r.DataLength);
            Assert.Equal(v, r.DataSpan.ToArray());
            Assert.Equal(v, r.Data);
        }
        r.Data = null;
        Assert.True(r.DataIsNull);
        Assert.Equal(0, r.DataLength);
        r.Data = Value(7, 1);
        r.Reset();
        Assert.True(r.DataIsNull);
        Assert.Null(r.Data);
    }

    [Fact]
    public void SettingDataCopiesSoTheCallersArrayIsNotShared()
    {
        var v = Value(20, 9);
        var r = new Request { Data = v };
        v[0] = 0xEE;
        Assert.Equal(9, r.DataSpan[0]);
        Assert.NotSame(r.Data, r.Data);
    }

    [Fact]
    public void TxnBorrowsTheRequestsBytesKeepingNullAndEmptyApart()
    {
        var r = new Request();
        var txn = new Txn();
        r.SetData(Value(40, 3), isNull: false);
        r.LendData(txn);
        Assert.Equal(Value(40, 3), txn.DataSpan.ToArray());
        Assert.Equal(Value(40, 3), txn.Data);
        Assert.Equal(40, txn.DataLength);

        r.SetData([], isNull: false);
        r.LendData(txn);
        Assert.False(txn.DataIsNull);
        Assert.Equal(Array.Empty<byte>(), txn.Data!);

        r.SetData(default, isNull: true);
        r.LendData(txn);
        Assert.True(txn.DataIsNull);
        Assert.Null(txn.Data);

        // A plain array is used as is; Reset drops it.
        var own = Value(5, 1);
        txn.Data = own;
        Assert.Same(own, txn.Data);
        txn.Reset();
        Assert.True(txn.DataIsNull);
    }

    [Fact]
    public void SerializedTxnCarriesBorrowedBytesNullAndEmptyLikeArrays()
    {
        foreach (var value in new byte[]?[] { null, [], Value(300, 5) })
        {
            var r = new Request();
            r.SetData(value, value is null);
            var borrowed = new Txn { Type = OpCode.SetData, Path = "/a", Version = 2 };
            r.LendData(borrowed);
            var owned = new Txn { Type = OpCode.SetData, Path = "/a", Version = 2, Data = value };
            Assert.Equal(TxnSerializer.ToArray(owned), TxnSerializer.ToArray(borrowed));
            Assert.Equal(value, TxnSerializer.Read(TxnSerializer.ToArray(borrowed)).Data);
        }
    }

    /// <summary>
    /// Replies as ClientConnection does (the request goes back to the pool), but first scribbles over
    /// the request's data buffer and its multi sub-requests' buffers, as the next request to rent
    /// them would: a txn that still read them after the reply would log or apply garbage.
    /// </summary>
    private sealed class PoolingConnection : IClientConnection
    {
        private readonly object _gate = new();
        public readonly List<(int Xid, ErrorCode Err)> Replies = [];

        public AuthInfo Auth { get; } = new("127.0.0.1");

        public void SendReply(Request request)
        {
            lock (_gate) Replies.Add((request.Xid, request.Err));
            var garbage = Enumerable.Repeat((byte)0xAB, 4096).ToArray();
            request.SetData(garbage, isNull: false);
            foreach (var op in request.Ops ?? []) op.SetData(garbage, isNull: false);
            RequestPool.Return(request);
        }

        public int Count
        {
            get { lock (_gate) return Replies.Count; }
        }

        public void SendConnectResponse(Session? session, int negotiatedTimeout) { }
        public void Close(string reason) { }
        public void Process(EventType type, string path, long zxid) { }
    }

    private Request Rent(PoolingConnection conn, Session s, int xid, OpCode op, string path, byte[]? data)
    {
        var r = RequestPool.Rent();
        r.Connection = conn;
        r.Session = s;
        r.SessionId = s.Id;
        r.Xid = xid;
        r.Op = op;
        r.Path = path;
        r.Version = -1;
        r.SetData(data, data is null);
        return r;
    }

    [Fact]
    public void PendingSetDataFromPooledRequestsLogsAndAppliesEachRequestsOwnBytes()
    {
        var (fake, s) = _h.Connect();
        _h.Run(fake, s, T.CreateReq("/p", data: "init"));
        _h.Run(fake, s, T.CreateReq("/q", data: "init"));
        var conn = new PoolingConnection();
        int before = _h.Log.Count;
        // Sizes straddle the request buffer's first size (256) so some requests grow it.
        int[] sizes = [0, 1, 255, 256, 257, 1000, 3, 70_000, 12];
        var values = sizes.Select((n, i) => Value(n, (byte)(i * 16))).ToList();
        int xid = 1000;
        foreach (var v in values) _h.Engine.Submit(Rent(conn, s, ++xid, OpCode.SetData, "/p", v));
        // A multi's sub-requests lend their buffers too.
        var multi = Rent(conn, s, ++xid, OpCode.Multi, "", null);
        multi.Ops = [Rent(conn, s, xid, OpCode.SetData, "/q", Value(33, 7)), Rent(conn, s, xid, OpCode.SetData, "/p", Value(500, 9))];
        _h.Engine.Submit(multi);
        _h.Engine.Submit(Rent(conn, s, ++xid, OpCode.SetData, "/q", null));

        _h.Log.WaitForAppends(before + values.Count + 2);
        _h.Barrier();
        Assert.Equal(0, conn.Count); // all of them pending in the log
        _h.Log.Release();
        var deadline = Environment.TickCount64 + 10_000;
        while (conn.Count < values.Count + 2 && Environment.TickCount64 < deadline) Thread.Sleep(5);
        Assert.All(conn.Replies, x => Assert.Equal(ErrorCode.Ok, x.Err));
        Assert.Equal(values.Count + 2, conn.Count);

        var logged = _h.Log.Txns.Skip(before).ToList();
        for (int i = 0; i < values.Count; i++) Assert.Equal(values[i], logged[i].Data);
        Assert.Equal(Value(33, 7), logged[values.Count].Ops![0].Data);
        Assert.Equal(Value(500, 9), logged[values.Count].Ops![1].Data);
        Assert.Null(logged[values.Count + 1].Data);
        Assert.Equal(Value(500, 9), _h.Query(t => t.GetNode("/p")!.Data));
        Assert.Null(_h.Query(t => t.GetNode("/q")!.Data));
    }

    [Fact]
    public void CreateFromAPooledRequestKeepsItsBytesAfterTheRequestIsReused()
    {
        var (fake, s) = _h.Connect();
        var conn = new PoolingConnection();
        int before = _h.Log.Count;
        var create = Rent(conn, s, 1, OpCode.Create, "/c", Value(600, 2));
        create.Acl = T.Open;
        _h.Engine.Submit(create);
        _h.Log.WaitForAppends(before + 1);
        _h.Log.Release();
        var deadline = Environment.TickCount64 + 10_000;
        while (conn.Count < 1 && Environment.TickCount64 < deadline) Thread.Sleep(5);
        Assert.Equal(ErrorCode.Ok, conn.Replies.Single().Err);
        Assert.Equal(Value(600, 2), _h.Log.Txns[^1].Data);
        Assert.Equal(Value(600, 2), _h.Query(t => t.GetNode("/c")!.Data));
        GC.KeepAlive(fake);
    }
}
