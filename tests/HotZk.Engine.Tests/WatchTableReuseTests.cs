using HotZk.Common;
using HotZk.Engine.Watches;
using Xunit;

namespace HotZk.Engine.Tests;

/// <summary>
/// The watch table reuses the per-path and per-watcher sets that empty out: a reused set must start
/// empty, so no watcher or path carries over to the next registration.
/// </summary>
public sealed class WatchTableReuseTests
{
    private readonly WatchManager _watches = new();
    private long _zxid = 1;

    private void Fire(string path) => _watches.TriggerNode(path, EventType.NodeDataChanged, ++_zxid, Acl.OpenAclUnsafe);

    [Fact]
    public void SetsFreedByAFiredWatchDoNotLeakIntoTheNextRegistration()
    {
        var a = new RecordingWatcher("a");
        var b = new RecordingWatcher("b");
        for (int round = 0; round < 3; round++)
        {
            _watches.AddDataWatch("/x", a);
            Fire("/x"); // empties /x's watcher set and a's path set
            _watches.AddDataWatch("/y", b); // may get those sets back
            Assert.Equal(["/y"], _watches.Data.PathsOf(b));
            Assert.Empty(_watches.Data.PathsOf(a));
            Assert.Null(_watches.Data.At("/x"));
            Assert.Equal([b], _watches.Data.At("/y")!.Keys);
            Fire("/x");
            Fire("/y");
            Assert.Equal(0, _watches.Data.Count);
            Assert.Equal(0, _watches.Data.PathCount);
            Assert.Equal(0, _watches.Data.WatcherCount);
        }
        Assert.Equal(3, a.Events.Count);
        Assert.Equal(3, b.Events.Count);
        Assert.All(a.Events, e => Assert.Equal("/x", e.Path));
        Assert.All(b.Events, e => Assert.Equal("/y", e.Path));
    }

    [Fact]
    public void SetsFreedByARemovedWatcherStartEmpty()
    {
        var a = new RecordingWatcher("a");
        var b = new RecordingWatcher("b");
        _watches.AddDataWatch("/p1", a);
        _watches.AddDataWatch("/p2", a);
        _watches.RemoveWatcher(a);
        Assert.Equal(0, _watches.Data.Count);
        _watches.AddDataWatch("/q", b);
        Assert.Equal(["/q"], _watches.Data.PathsOf(b));
        Assert.Equal([b], _watches.Data.At("/q")!.Keys);
        Fire("/p1");
        Fire("/p2");
        Assert.Empty(a.Events);
        Assert.Empty(b.Events);
        Fire("/q");
        Assert.Single(b.Events);
    }
}
