using System.Diagnostics;

namespace HotZk.Engine.Processing;

/// <summary>Counters behind srvr/stat/mntr. Updated on the engine thread; read anywhere.</summary>
public sealed class ServerStats
{
    private long _received;
    private long _sent;
    private long _latencyTotalMs;
    private long _latencyCount;
    private long _minLatency = long.MaxValue;
    private long _maxLatency;

    /// <summary>Packets received.</summary>
    public long PacketsReceived => Volatile.Read(ref _received);
    /// <summary>Packets sent.</summary>
    public long PacketsSent => Volatile.Read(ref _sent);
    /// <summary>Minimum request latency (ms).</summary>
    public long MinLatency => _latencyCount == 0 ? 0 : _minLatency;
    /// <summary>Maximum request latency (ms).</summary>
    public long MaxLatency => _maxLatency;
    /// <summary>Average request latency (ms).</summary>
    public double AvgLatency => _latencyCount == 0 ? 0 : (double)_latencyTotalMs / _latencyCount;
    /// <summary>Requests completed.</summary>
    public long Completed => _latencyCount;

    /// <summary>Counts a received packet.</summary>
    public void Received() => Interlocked.Increment(ref _received);

    /// <summary>Counts a sent packet.</summary>
    public void Sent() => Interlocked.Increment(ref _sent);

    /// <summary>Records a completed request's latency.</summary>
    public void Latency(long startTicks)
    {
        if (startTicks == 0) return;
        long ms = (Stopwatch.GetTimestamp() - startTicks) * 1000 / Stopwatch.Frequency;
        _latencyTotalMs += ms;
        _latencyCount++;
        if (ms < _minLatency) _minLatency = ms;
        if (ms > _maxLatency) _maxLatency = ms;
    }

    /// <summary>srst.</summary>
    public void Reset()
    {
        Interlocked.Exchange(ref _received, 0);
        Interlocked.Exchange(ref _sent, 0);
        _latencyTotalMs = 0;
        _latencyCount = 0;
        _minLatency = long.MaxValue;
        _maxLatency = 0;
    }
}
