using BenchmarkDotNet.Attributes;
using HotZk.Common;
using HotZk.Engine.Watches;

namespace HotZk.Benchmarks.Watches;

/// <summary>
/// <see cref="WatchManager"/> fan-out: one data change waking 1 or 1000 watchers. Watchers only count,
/// so the figures are the manager's; the notification encode is in the response codec suite.
/// </summary>
[MemoryDiagnoser]
public class WatchTriggerBenchmarks
{
    private const string Path = "/bench/watched";
    private WatchManager _persistent = null!;
    private WatchManager _oneShot = null!;
    private CountingWatcher[] _watchers = [];
    private long _zxid = 1L << 32;

    [Params(1, 1000)]
    public int Watchers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _watchers = [.. Enumerable.Range(0, Watchers).Select(_ => new CountingWatcher())];
        _persistent = new WatchManager();
        foreach (var w in _watchers) _persistent.AddPersistent(Path, w, AddWatchMode.Persistent);
        _oneShot = new WatchManager();
    }

    /// <summary>Persistent watches: the trigger alone, registrations survive.</summary>
    [Benchmark]
    public long TriggerPersistent()
    {
        _persistent.TriggerNode(Path, EventType.NodeDataChanged, ++_zxid, Acl.OpenAclUnsafe);
        return _watchers[0].Events;
    }

    /// <summary>One-shot watches: every watcher sets a data watch (getData with watch), then one change fires them all.</summary>
    [Benchmark]
    public long SetThenTriggerOneShot()
    {
        foreach (var w in _watchers) _oneShot.AddDataWatch(Path, w);
        _oneShot.TriggerNode(Path, EventType.NodeDataChanged, ++_zxid, Acl.OpenAclUnsafe);
        return _watchers[0].Events;
    }
}
