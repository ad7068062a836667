namespace HotZk.Hosting.Config;

/// <summary>
/// Thrown when a <c>zoo.cfg</c> file or a <c>myid</c> file cannot be read or holds an invalid value.
/// The message always names the offending key (or file) and the bad value.
/// </summary>
public sealed class ZooConfigException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What is wrong, naming the key and the value.</param>
    public ZooConfigException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    /// <param name="message">What is wrong, naming the key and the value.</param>
    /// <param name="innerException">The cause, e.g. an I/O error.</param>
    public ZooConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The key the error is about, or <see langword="null"/> when it concerns a file as a whole.</summary>
    public string? Key { get; init; }
}
