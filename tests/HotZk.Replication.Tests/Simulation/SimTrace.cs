using System.Text;

namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// What happened in a run: every event folds into a 64-bit fingerprint (same seed, same
/// fingerprint), the last few are kept for failure messages, and all of them are printed when
/// verbose. Events are stored unformatted: formatting every packet would dominate a run.
/// </summary>
internal sealed class SimTrace(bool verbose, Action<string>? sink = null)
{
    private readonly record struct Entry(long Time, long Node, string Kind, long A, long B, string? Text);

    private const int TailLength = 300;
    private readonly Entry[] _tail = new Entry[TailLength];
    private int _count;
    private ulong _hash = 14695981039346656037UL;

    /// <summary>Kind of the lines a peer logs (see <see cref="Add"/>).</summary>
    public const string PeerLogKind = "zab";

    public bool Verbose { get; } = verbose;

    /// <summary>FNV-1a over every event's fields.</summary>
    public ulong Hash => _hash;

    public int Count => _count;

    public void Add(long time, long node, string kind, long a = 0, long b = 0, string? text = null)
    {
        var e = new Entry(time, node, kind, a, b, text);
        _tail[_count % TailLength] = e;
        _count++;
        Mix(time);
        Mix(node);
        Mix(a);
        Mix(b);
        foreach (char c in kind) Mix(c);
        if (text is not null)
        {
            // Peer log lines may carry wall-clock durations ("applied in 3 ms"): their digits stay out of the fingerprint.
            bool peerLog = ReferenceEquals(kind, PeerLogKind);
            foreach (char c in text) if (!peerLog || !char.IsAsciiDigit(c)) Mix(c);
        }
        if (Verbose) sink?.Invoke(Format(e));
    }

    /// <summary>The last <paramref name="lines"/> events, oldest first.</summary>
    public string Tail(int lines = 60)
    {
        var sb = new StringBuilder();
        int n = Math.Min(Math.Min(lines, TailLength), _count);
        for (int i = _count - n; i < _count; i++) sb.Append("  ").AppendLine(Format(_tail[i % TailLength]));
        return sb.ToString();
    }

    private void Mix(long v)
    {
        for (int i = 0; i < 8; i++)
        {
            _hash ^= (byte)(v >> (i * 8));
            _hash *= 1099511628211UL;
        }
    }

    private static string Format(Entry e)
    {
        var sb = new StringBuilder();
        sb.Append(e.Time.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).Append(" n").Append(e.Node).Append(' ').Append(e.Kind);
        if (e.A != 0 || e.B != 0) sb.Append(" 0x").Append(e.A.ToString("x", System.Globalization.CultureInfo.InvariantCulture)).Append(' ').Append(e.B);
        if (e.Text is not null) sb.Append(' ').Append(e.Text);
        return sb.ToString();
    }
}
