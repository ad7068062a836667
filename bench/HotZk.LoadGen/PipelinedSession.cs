using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Numerics;
using HotZk.Common;

namespace HotZk.LoadGen;

/// <summary>Timing shared by every session of one run (Stopwatch ticks).</summary>
internal sealed class RunClock
{
    public static readonly long TicksPerUs = Math.Max(1, Stopwatch.Frequency / 1_000_000);

    public long StartTs;
    public long MeasureStartTs;
    /// <summary>No request is sent (or, in open loop, intended) at or after this time.</summary>
    public long EndTs;
    public volatile bool Stop;

    public static long ToUs(long ticks) => ticks / TicksPerUs;

    public static long FromSeconds(double s) => (long)(s * Stopwatch.Frequency);
}

/// <summary>
/// One ZooKeeper session on its own socket, driven by a send loop and a receive loop. The hot path is
/// allocation-free: requests are encoded into a reused buffer, per-request send times live in a ring
/// indexed by sequence (replies come back in order), and latencies go into per-session histograms.
/// Closed loop keeps <c>outstanding</c> requests in flight; open loop sends at a fixed rate and measures
/// from the intended send time so a stalled server is charged for every request it delayed.
/// </summary>
internal sealed class PipelinedSession
{
    private const int MaxBatchBytes = 128 * 1024;
    private const byte MeasuredFlag = 0x80;
    private const byte ControlOp = 0x7F;

    private readonly Socket _socket;
    private readonly PipelinedWorkload _workload;
    private readonly RunClock _clock;
    private readonly int _cap;
    private readonly long _quota;
    private readonly ByteBuffer _out = new(64 * 1024);
    private readonly long[] _ringTs;
    private readonly int[] _ringXid;
    private readonly byte[] _ringOp;
    private readonly int _mask;
    private readonly AsyncSignal _signal = new();
    private byte[] _in = ArrayPool<byte>.Shared.Rent(256 * 1024);
    private int _inEnd;
    private long _head;
    private long _tail;
    private int _inflight;
    private int _xid;
    private long _sentMeasured;
    private OpGen _gen;
    private volatile bool _failed;

    private PipelinedSession(Socket socket, PipelinedWorkload workload, RunClock clock, int index, int cap, long quota, long sessionId)
    {
        _socket = socket;
        _workload = workload;
        _clock = clock;
        _cap = cap;
        _quota = quota;
        SessionId = sessionId;
        int ring = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(cap + 2, 16));
        _ringTs = new long[ring];
        _ringXid = new int[ring];
        _ringOp = new byte[ring];
        _mask = ring - 1;
        _gen = new OpGen(index);
        Stats = new OpStats[workload.OpNames.Length];
        for (int i = 0; i < Stats.Length; i++) Stats[i] = new OpStats(workload.OpNames[i]);
    }

    public long SessionId { get; }

    public OpStats[] Stats { get; }

    /// <summary>Measured completions (read by the progress printer).</summary>
    public long Completed;

    /// <summary>Sum of measured latencies in us (for the progress line's mean).</summary>
    public long LatencySumUs;

    /// <summary>Completions during warmup.</summary>
    public long WarmupCompleted;

    public long Notifications;

    /// <summary>Measured error replies (read by the progress printer).</summary>
    public long ErrorTotal;

    /// <summary>Time of the last measured completion.</summary>
    public long LastCompletionTs;

    public int Inflight => Volatile.Read(ref _inflight);

    public bool Failed => _failed;

    public string? FailReason { get; private set; }

    /// <summary>Connects and completes the handshake.</summary>
    public static async Task<PipelinedSession> ConnectAsync(string host, int port, int sessionTimeoutMs, PipelinedWorkload workload,
        RunClock clock, int index, int cap, long quota, CancellationToken ct)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, ct).ConfigureAwait(false);
            var (sessionId, _) = await RawClient.HandshakeAsync(socket, sessionTimeoutMs, ct).ConfigureAwait(false);
            return new PipelinedSession(socket, workload, clock, index, cap, quota, sessionId);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private void Fail(string reason)
    {
        if (_failed) return;
        FailReason = reason;
        _failed = true;
        _signal.Set();
    }

    private int NextXid()
    {
        int x = ++_xid;
        if (x == int.MaxValue) _xid = 0;
        return x;
    }

    private void Push(long ts, int xid, byte op)
    {
        long seq = _head;
        int i = (int)(seq & _mask);
        _ringTs[i] = ts;
        _ringXid[i] = xid;
        _ringOp[i] = op;
        Volatile.Write(ref _head, seq + 1);
    }

    private async ValueTask<bool> SendAsync()
    {
        try
        {
            var mem = _out.WrittenMemory;
            while (!mem.IsEmpty)
            {
                int n = await _socket.SendAsync(mem, SocketFlags.None).ConfigureAwait(false);
                if (n <= 0) { Fail("send returned 0"); return false; }
                mem = mem[n..];
            }
            return true;
        }
        catch (Exception e)
        {
            Fail("send failed: " + e.Message);
            return false;
        }
    }

    /// <summary>Closed loop: keep <c>cap</c> requests in flight until the end time or the op quota.</summary>
    public async Task SendClosedLoopAsync()
    {
        var clock = _clock;
        while (!_failed && !clock.Stop)
        {
            long now = Stopwatch.GetTimestamp();
            if (now >= clock.EndTs) break;
            int free = _cap - Volatile.Read(ref _inflight);
            if (free <= 0)
            {
                await _signal.WaitAsync().ConfigureAwait(false);
                continue;
            }
            bool measured = now >= clock.MeasureStartTs;
            if (measured && _sentMeasured >= _quota) break;
            _out.Clear();
            int n = 0;
            while (n < free && _out.Length < MaxBatchBytes)
            {
                if (measured && _sentMeasured >= _quota) break;
                int xid = NextXid();
                int op = _workload.Encode(_out, xid, ref _gen);
                Push(now, xid, (byte)(measured ? op | MeasuredFlag : op));
                if (measured) _sentMeasured++;
                n++;
            }
            if (n == 0) break;
            Interlocked.Add(ref _inflight, n);
            if (!await SendAsync().ConfigureAwait(false)) break;
        }
    }

    /// <summary>Open loop at <paramref name="ratePerSession"/> ops/s; latency counts from the intended send time.</summary>
    public async Task SendOpenLoopAsync(double ratePerSession, int index, int sessions)
    {
        var clock = _clock;
        double interval = Stopwatch.Frequency / ratePerSession;
        long t0 = clock.StartTs + (long)(interval * index / sessions);
        long issued = 0;
        long lastSend = Stopwatch.GetTimestamp();
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1));
        while (!_failed && !clock.Stop)
        {
            long now = Stopwatch.GetTimestamp();
            _out.Clear();
            int n = 0;
            bool done = false;
            int free = _cap - Volatile.Read(ref _inflight);
            while (n < free && _out.Length < MaxBatchBytes)
            {
                long intended = t0 + (long)(issued * interval);
                if (intended > now) break;
                if (intended >= clock.EndTs) { done = true; break; }
                bool measured = intended >= clock.MeasureStartTs;
                if (measured && _sentMeasured >= _quota) { done = true; break; }
                int xid = NextXid();
                int op = _workload.Encode(_out, xid, ref _gen);
                Push(intended, xid, (byte)(measured ? op | MeasuredFlag : op));
                if (measured) _sentMeasured++;
                issued++;
                n++;
            }
            if (n == 0 && now - lastSend > RunClock.FromSeconds(3))
            {
                Wire.Empty(_out, Wire.PingXid, OpCode.Ping); // keep a slow session alive
                n = -1;
            }
            if (n > 0) Interlocked.Add(ref _inflight, n);
            if (n != 0)
            {
                lastSend = now;
                if (!await SendAsync().ConfigureAwait(false)) break;
            }
            if (done || now >= clock.EndTs) break;
            if (!await timer.WaitForNextTickAsync().ConfigureAwait(false)) break;
        }
    }

    /// <summary>Reads replies until the socket closes; matches them to the ring in order.</summary>
    public async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                if (_inEnd == _in.Length) Grow(_in.Length * 2);
                int read = await _socket.ReceiveAsync(_in.AsMemory(_inEnd), SocketFlags.None).ConfigureAwait(false);
                if (read <= 0)
                {
                    if (Volatile.Read(ref _inflight) > 0) Fail("server closed the connection with requests outstanding");
                    return;
                }
                _inEnd += read;
                if (!Drain()) return;
            }
        }
        catch (Exception e)
        {
            if (Volatile.Read(ref _inflight) > 0 || !_clock.Stop) Fail("receive failed: " + e.Message);
        }
    }

    private bool Drain()
    {
        long now = Stopwatch.GetTimestamp();
        var buf = _in;
        int pos = 0;
        int done = 0;
        long latSum = 0;
        int measuredDone = 0;
        int needGrow = 0;
        while (_inEnd - pos >= 4)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(buf.AsSpan(pos));
            if (len < Wire.ReplyHeaderSize || len > Wire.MaxFrame + 64)
            {
                Fail($"bad reply frame length {len}");
                return false;
            }
            if (_inEnd - pos - 4 < len)
            {
                if (len + 4 > buf.Length) needGrow = len + 4;
                break;
            }
            var frame = buf.AsSpan(pos + 4, len);
            int xid = BinaryPrimitives.ReadInt32BigEndian(frame);
            int err = BinaryPrimitives.ReadInt32BigEndian(frame[12..]);
            pos += 4 + len;
            if (xid == Wire.NotificationXid) { Notifications++; continue; }
            if (xid == Wire.PingXid) continue;
            long seq = _tail;
            int i = (int)(seq & _mask);
            if (seq >= Volatile.Read(ref _head) || _ringXid[i] != xid)
            {
                Fail($"reply xid {xid} out of order (expected {(seq < Volatile.Read(ref _head) ? _ringXid[i] : -999)})");
                return false;
            }
            _tail = seq + 1;
            done++;
            byte opb = _ringOp[i];
            if (opb == ControlOp) continue;
            if ((opb & MeasuredFlag) == 0) { WarmupCompleted++; continue; }
            var st = Stats[opb & 0x7F];
            if (err == 0)
            {
                long us = RunClock.ToUs(now - _ringTs[i]);
                st.Record(us);
                latSum += us;
                measuredDone++;
            }
            else
            {
                st.Error(err);
                Volatile.Write(ref ErrorTotal, ErrorTotal + 1);
            }
        }
        Compact(pos);
        if (needGrow > 0) Grow(needGrow);
        if (measuredDone > 0)
        {
            LastCompletionTs = now;
            Volatile.Write(ref LatencySumUs, LatencySumUs + latSum);
            Volatile.Write(ref Completed, Completed + measuredDone);
        }
        if (done > 0)
        {
            Interlocked.Add(ref _inflight, -done);
            _signal.Set();
        }
        return true;
    }

    private void Compact(int pos)
    {
        if (pos == 0) return;
        int rest = _inEnd - pos;
        if (rest > 0) Buffer.BlockCopy(_in, pos, _in, 0, rest);
        _inEnd = rest;
    }

    private void Grow(int size)
    {
        var next = ArrayPool<byte>.Shared.Rent(size);
        Buffer.BlockCopy(_in, 0, next, 0, _inEnd);
        ArrayPool<byte>.Shared.Return(_in);
        _in = next;
    }

    /// <summary>Counts requests that never got a reply (after the drain timeout) as client-side errors.</summary>
    public void ChargeUnanswered(int code)
    {
        long head = Volatile.Read(ref _head);
        for (long s = _tail; s < head; s++)
        {
            byte opb = _ringOp[(int)(s & _mask)];
            if (opb != ControlOp && (opb & MeasuredFlag) != 0) Stats[opb & 0x7F].Error(code);
        }
        _tail = head;
    }

    /// <summary>Sends closeSession; the server answers and closes, which ends the receive loop.</summary>
    public async Task CloseSessionAsync()
    {
        if (_failed) return;
        _out.Clear();
        int xid = NextXid();
        Wire.Empty(_out, xid, OpCode.CloseSession);
        Push(Stopwatch.GetTimestamp(), xid, ControlOp);
        Interlocked.Increment(ref _inflight);
        await SendAsync().ConfigureAwait(false);
    }

    /// <summary>Wakes a send loop waiting for credits (used when the run is stopped).</summary>
    public void Wake() => _signal.Set();

    public void Dispose()
    {
        _failed = true;
        try { _socket.Shutdown(SocketShutdown.Both); } catch (Exception) { /* already closed */ }
        _socket.Dispose();
        _out.Dispose();
    }
}

/// <summary>Per-session generator state: sequence number and a xorshift RNG (no allocation).</summary>
internal struct OpGen
{
    public readonly int Session;
    public long Seq;
    private ulong _rng;

    public OpGen(int session)
    {
        Session = session;
        _rng = 0x9E3779B97F4A7C15UL ^ (ulong)(session + 1) * 0xBF58476D1CE4E5B9UL;
        if (_rng == 0) _rng = 1;
    }

    public ulong Next()
    {
        ulong x = _rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        _rng = x;
        return x;
    }

    public int NextInt(int bound) => (int)((Next() >> 33) % (ulong)bound);
}
