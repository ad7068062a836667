namespace HotZk.Replication.Transport;

/// <summary>Where an ensemble member listens for peer links (its <c>server.N</c> election port).</summary>
/// <param name="Id">Server id.</param>
/// <param name="Host">Host name or address.</param>
/// <param name="Port">Port.</param>
public sealed record PeerAddress(long Id, string Host, int Port);
