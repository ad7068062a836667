using System.Text.RegularExpressions;

namespace HotZk.Ensemble.Tests;

/// <summary>What the tests read from server logs (kept in one place: it depends on the log wording).</summary>
public static partial class ServerLogs
{
    /// <summary>
    /// The leader's last line about bringing <paramref name="follower"/> level, e.g.
    /// "INFO synced follower 1 (last zxid 0x100000018) by DIFF + 102 txns up to 0x10000007e", or null.
    /// </summary>
    public static string? LastSyncOf(string leaderLog, int follower) =>
        leaderLog.Split('\n').LastOrDefault(l => SyncLine().Match(l) is { Success: true } m && m.Groups[1].Value == follower.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>DIFF, SNAP or TRUNC from a line found by <see cref="LastSyncOf"/>, or null.</summary>
    public static string? SyncMethod(string? line) => line is null ? null : SyncLine().Match(line) is { Success: true } m ? m.Groups[2].Value : null;

    [GeneratedRegex(@"sync\w* (?:follower|learner|observer) (\d+) .* by (DIFF|SNAP|TRUNC)")]
    private static partial Regex SyncLine();
}
