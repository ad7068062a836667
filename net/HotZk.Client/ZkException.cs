using HotZk.Common;
using HotZk.Protocol.Records;

namespace HotZk.Client;

/// <summary>A ZooKeeper operation failed with a result code (server-sent or client-generated, e.g. ConnectionLoss).</summary>
public class ZkException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/> on <paramref name="path"/>.</summary>
    public ZkException(ErrorCode code, string? path = null, string? detail = null)
        : base(FormatMessage(code, path, detail))
    {
        Code = code;
        Path = path;
    }

    /// <summary>The result code.</summary>
    public ErrorCode Code { get; }

    /// <summary>The (client-side) path of the failed operation, when it had one.</summary>
    public string? Path { get; }

    /// <summary>For a failed multi: every sub-result (see <see cref="ZkClient.MultiOrThrowAsync"/>).</summary>
    public IReadOnlyList<MultiResult>? Results { get; init; }

    private static string FormatMessage(ErrorCode code, string? path, string? detail)
    {
        // Same shape as Java's KeeperException messages, which tools and people grep for.
        var msg = path is null ? $"KeeperErrorCode = {code}" : $"KeeperErrorCode = {code} for {path}";
        return detail is null ? msg : $"{msg}: {detail}";
    }
}
