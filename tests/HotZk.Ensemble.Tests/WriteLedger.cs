using System.Collections.Concurrent;

namespace HotZk.Ensemble.Tests;

/// <summary>
/// Bookkeeping of writes under faults: every attempted create (path and value) and every one the
/// ensemble acknowledged. An acknowledged write must be on every server with its value; a write that
/// failed with ConnectionLoss may or may not have happened; nothing never attempted may appear.
/// </summary>
public sealed class WriteLedger
{
    private readonly ConcurrentDictionary<string, string> _attempted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _acked = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Acked => _acked;
    public int AttemptedCount => _attempted.Count;

    public void Attempt(string path, string value) => _attempted[path] = value;
    public void Ack(string path, string value) => _acked[path] = value;

    /// <summary>
    /// Problems with <paramref name="tree"/> (path → data of a server's children under the ledger's
    /// parent): a missing or changed acknowledged write, or a node no writer attempted.
    /// </summary>
    public List<string> Check(IReadOnlyDictionary<string, string?> tree)
    {
        var problems = new List<string>();
        foreach (var (path, value) in _acked)
        {
            if (!tree.TryGetValue(path, out var got)) problems.Add($"acknowledged {path} is missing");
            else if (got != value) problems.Add($"acknowledged {path} has '{got}', expected '{value}'");
        }
        foreach (var (path, got) in tree)
        {
            if (!_attempted.TryGetValue(path, out var value)) problems.Add($"{path} was never written but exists");
            else if (got != value) problems.Add($"{path} has '{got}' but the only write of it was '{value}'");
        }
        return problems;
    }
}
