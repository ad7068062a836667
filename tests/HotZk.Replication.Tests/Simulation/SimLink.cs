namespace HotZk.Replication.Tests.Simulation;

/// <summary>
/// The connection between two servers. Each establishment is a new incarnation; packets and link
/// events carry the incarnation they belong to and are dropped when it is over. Each end has its
/// own view (what it was told): a half-open link is one whose other end died silently.
/// </summary>
internal sealed class SimLink(long a, long b)
{
    public long A { get; } = a;

    public long B { get; } = b;

    public int Incarnation { get; set; }

    /// <summary>Established and carrying packets.</summary>
    public bool Up { get; set; }

    /// <summary>Per end (0 = A, 1 = B): the end was told the link is up and not yet told it is down.</summary>
    public bool[] View { get; } = new bool[2];

    /// <summary>Per end: when its link-up notification runs (nothing may arrive before it).</summary>
    public long[] ViewUpAt { get; } = new long[2];

    /// <summary>Per direction (0 = A→B, 1 = B→A): delivery time of the last packet (FIFO).</summary>
    public long[] LastDelivery { get; } = new long[2];

    public bool ReconnectPending { get; set; }

    public int Side(long node) => node == A ? 0 : 1;

    public long Other(long node) => node == A ? B : A;

    public long NodeAt(int side) => side == 0 ? A : B;

    public override string ToString() => $"{A}-{B}#{Incarnation}";
}
