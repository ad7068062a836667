using HotZk.Replication.Transport;

namespace HotZk.Replication.Tests.Transport;

/// <summary>
/// Test listener: records link events and packets, checks the transport's callback contract (never two
/// callbacks at once; per peer up, packets, down, up, ...) and lets tests wait for conditions.
/// </summary>
public sealed class RecordingListener : IPeerTransportListener
{
    private readonly object _gate = new();
    private readonly Dictionary<long, int> _ups = [];
    private readonly Dictionary<long, int> _downs = [];
    private readonly HashSet<long> _up = [];
    private readonly List<(long From, QuorumPacket Packet)> _packets = [];
    private readonly List<string> _violations = [];
    private int _inside;
    private int _overlaps;
    private int _packetCount;

    public RecordingListener(string name) => Name = name;

    public string Name { get; }

    /// <summary>When set, called for each packet (inside the callback) and packets are counted but not stored.</summary>
    public Action<long, QuorumPacket>? PacketHook { get; set; }

    /// <summary>Callbacks that started while another was running.</summary>
    public int Overlaps => Volatile.Read(ref _overlaps);

    public void OnLinkUp(long peer) => Callback(() =>
    {
        if (!_up.Add(peer))
            _violations.Add($"up {peer} while already up");
        _ups[peer] = Ups(peer) + 1;
    });

    public void OnPacket(long from, QuorumPacket packet)
    {
        Action<long, QuorumPacket>? hook = PacketHook;
        Callback(() =>
        {
            if (!_up.Contains(from))
                _violations.Add($"packet {packet} from {from} while its link is not up");
            _packetCount++;
            if (hook is null)
                _packets.Add((from, packet));
        }, () => hook?.Invoke(from, packet));
    }

    public void OnLinkDown(long peer) => Callback(() =>
    {
        if (!_up.Remove(peer))
            _violations.Add($"down {peer} while not up");
        _downs[peer] = Downs(peer) + 1;
    });

    public int Ups(long peer)
    {
        lock (_gate)
            return _ups.GetValueOrDefault(peer);
    }

    public int Downs(long peer)
    {
        lock (_gate)
            return _downs.GetValueOrDefault(peer);
    }

    public bool IsUp(long peer)
    {
        lock (_gate)
            return _up.Contains(peer);
    }

    public int PacketCount
    {
        get
        {
            lock (_gate)
                return _packetCount;
        }
    }

    public List<(long From, QuorumPacket Packet)> Packets
    {
        get
        {
            lock (_gate)
                return [.. _packets];
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds; fails naming <paramref name="what"/> otherwise.</summary>
    public void WaitUntil(Func<bool> condition, string what, int timeoutMs = 5000)
    {
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        lock (_gate)
        {
            while (!condition())
            {
                TimeSpan left = deadline - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                    Assert.Fail($"{Name}: timed out after {timeoutMs} ms waiting for {what}; {Describe()}");
                Monitor.Wait(_gate, left < TimeSpan.FromMilliseconds(50) ? left : TimeSpan.FromMilliseconds(50));
            }
        }
    }

    /// <summary>Fails if any callback overlapped another or broke the per-peer order.</summary>
    public void AssertContractKept()
    {
        lock (_gate)
        {
            Assert.True(_overlaps == 0, $"{Name}: {_overlaps} overlapping listener callbacks");
            Assert.True(_violations.Count == 0, $"{Name}: {string.Join("; ", _violations)}");
        }
    }

    private string Describe()
    {
        var ups = string.Join(",", _ups.Select(p => $"{p.Key}:{p.Value}"));
        var downs = string.Join(",", _downs.Select(p => $"{p.Key}:{p.Value}"));
        return $"ups [{ups}] downs [{downs}] packets {_packetCount}";
    }

    private void Callback(Action record, Action? outsideLock = null)
    {
        if (Interlocked.Increment(ref _inside) != 1)
            Interlocked.Increment(ref _overlaps);
        try
        {
            // The hook runs outside the gate so a blocking hook cannot stall WaitUntil callers.
            outsideLock?.Invoke();
            lock (_gate)
            {
                record();
                Monitor.PulseAll(_gate);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }
}
