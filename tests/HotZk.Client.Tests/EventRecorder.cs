using System.Collections.Concurrent;
using HotZk.Common;

namespace HotZk.Client.Tests;

/// <summary>Collects watch events; waits are bounded.</summary>
public sealed class EventRecorder
{
    private readonly ConcurrentQueue<WatchedEvent> _events = new();
    private readonly SemaphoreSlim _signal = new(0);

    public Action<WatchedEvent> Watcher => Record;

    public IReadOnlyList<WatchedEvent> Events => _events.ToArray();

    public void Record(WatchedEvent e)
    {
        _events.Enqueue(e);
        _signal.Release();
    }

    /// <summary>Waits until <paramref name="count"/> events arrived in total.</summary>
    public async Task<IReadOnlyList<WatchedEvent>> WaitForAsync(int count, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (_events.Count < count)
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0) throw new TimeoutException($"expected {count} events, got {_events.Count}: {string.Join(", ", Events)}");
            await _signal.WaitAsync(TimeSpan.FromMilliseconds(left));
        }
        return Events;
    }

    /// <summary>Waits until the events so far satisfy <paramref name="done"/>.</summary>
    public async Task<IReadOnlyList<WatchedEvent>> WaitUntilAsync(Func<IReadOnlyList<WatchedEvent>, bool> done, int timeoutMs = 10_000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!done(Events))
        {
            long left = deadline - Environment.TickCount64;
            if (left <= 0) throw new TimeoutException($"condition not met; events: {string.Join(", ", Events)}");
            await _signal.WaitAsync(TimeSpan.FromMilliseconds(left));
        }
        return Events;
    }

    public static WatchedEvent Node(EventType type, string path) => new(type, KeeperState.SyncConnected, path);
}
