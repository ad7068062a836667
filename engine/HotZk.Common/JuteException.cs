namespace HotZk.Common;

/// <summary>A record could not be decoded: truncated, negative or oversize lengths, bad UTF-8.</summary>
public sealed class JuteException(string message) : Exception(message);
