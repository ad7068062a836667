namespace HotZk.Replication.Transport;

/// <summary>
/// Groups the packets one thread sends during a stretch of work: between <see cref="Begin"/> and the
/// matching <see cref="End"/>, a link only collects what is sent to it, and <see cref="End"/> puts each
/// link's packets on the wire together, from the calling thread when the link's socket accepts them
/// at once (no hand-off to the link's writer task). Outside a batch every send goes out immediately
/// the same way.
/// </summary>
/// <remarks>
/// The peer loop wraps each run of peer steps in a batch: under load one run handles many packets
/// and each link gets one send for all of them; at low load a run is one packet and its answer
/// leaves without waiting for another thread to wake up.
/// </remarks>
public static class SendBatch
{
    [ThreadStatic] private static int t_depth;
    [ThreadStatic] private static List<TcpPeerLink>? t_links;

    /// <summary>Starts (or nests into) a batch on this thread.</summary>
    public static void Begin() => t_depth++;

    /// <summary>Ends the batch; the outermost end sends what every link collected.</summary>
    public static void End()
    {
        if (--t_depth > 0) return;
        t_depth = 0;
        var links = t_links;
        if (links is null || links.Count == 0) return;
        // A flush never re-enters a batch, but copy-free iteration needs the list left alone meanwhile.
        for (int i = 0; i < links.Count; i++) links[i].Flush();
        links.Clear();
    }

    /// <summary>True (and the link remembered for <see cref="End"/>) when this thread is inside a batch.</summary>
    internal static bool Defer(TcpPeerLink link)
    {
        if (t_depth == 0) return false;
        var links = t_links ??= new List<TcpPeerLink>(4);
        if (!links.Contains(link)) links.Add(link);
        return true;
    }
}
