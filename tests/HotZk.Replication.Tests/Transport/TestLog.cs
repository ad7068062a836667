using System.Collections.Concurrent;

namespace HotZk.Replication.Tests.Transport;

/// <summary>Collects a transport's log lines (from any thread) so tests can wait for and assert on them.</summary>
public sealed class TestLog
{
    private readonly ConcurrentQueue<string> _lines = new();

    public TestLog(string prefix = "")
    {
        Sink = line => _lines.Enqueue(prefix + line);
    }

    /// <summary>Pass this as the transport's log.</summary>
    public Action<string> Sink { get; }

    public bool Contains(string fragment)
    {
        foreach (string line in _lines)
        {
            if (line.Contains(fragment, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>Waits until a line containing <paramref name="fragment"/> was logged; fails with the whole log otherwise.</summary>
    public void WaitFor(string fragment, int timeoutMs = 5000)
    {
        DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeoutMs);
        while (!Contains(fragment))
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"no log line containing '{fragment}' within {timeoutMs} ms; log:\n{this}");
            Thread.Sleep(5);
        }
    }

    public override string ToString() => string.Join("\n", _lines);
}
