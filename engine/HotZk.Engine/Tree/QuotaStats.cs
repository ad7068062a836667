using System.Globalization;
using System.Text;

namespace HotZk.Engine.Tree;

/// <summary>
/// The text records of ZooKeeper quotas (<c>count=…,bytes=…[,countHardLimit=…,byteHardLimit=…]</c>)
/// kept in <c>/zookeeper/quota/&lt;path&gt;/zookeeper_limits</c> and <c>…/zookeeper_stats</c>.
/// -1 means "no limit".
/// </summary>
public readonly record struct QuotaStats(long Count, long Bytes, long CountHardLimit = -1, long ByteHardLimit = -1)
{
    /// <summary>Quota root.</summary>
    public const string QuotaRoot = "/zookeeper/quota";
    /// <summary>Name of the limits node.</summary>
    public const string LimitNode = "zookeeper_limits";
    /// <summary>Name of the stats node.</summary>
    public const string StatNode = "zookeeper_stats";

    /// <summary>Parses the record; unknown keys are ignored, missing ones are -1.</summary>
    public static QuotaStats Parse(byte[]? data)
    {
        long count = -1, bytes = -1, countHard = -1, bytesHard = -1;
        if (data is null) return new QuotaStats(count, bytes);
        // 3.8's zkCli writes limits as "count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=4": accept both separators
        // and read each value up to its first non-numeric character.
        foreach (var part in Encoding.UTF8.GetString(data).Split([',', ';']))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) continue;
            var value = part.AsSpan(eq + 1).Trim();
            int end = 0;
            while (end < value.Length && (char.IsAsciiDigit(value[end]) || (end == 0 && value[end] == '-'))) end++;
            if (!long.TryParse(value[..end], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)) continue;
            switch (part[..eq].Trim())
            {
                case "count": count = v; break;
                case "bytes": bytes = v; break;
                case "countHardLimit": countHard = v; break;
                case "byteHardLimit": bytesHard = v; break;
            }
        }
        return new QuotaStats(count, bytes, countHard, bytesHard);
    }

    /// <summary>The stats-node form: <c>count=N,bytes=M</c>.</summary>
    public byte[] ToStatsBytes() => Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"count={Count},bytes={Bytes}"));

    /// <summary><c>/zookeeper/quota</c> + path + <c>/zookeeper_stats</c>.</summary>
    public static string StatPath(string quotaPath) => QuotaRoot + quotaPath + "/" + StatNode;

    /// <summary><c>/zookeeper/quota</c> + path + <c>/zookeeper_limits</c>.</summary>
    public static string LimitPath(string quotaPath) => QuotaRoot + quotaPath + "/" + LimitNode;
}
