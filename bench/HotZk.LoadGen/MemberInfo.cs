namespace HotZk.LoadGen;

/// <summary>One server of a target as started (JSON): id, ports, PID, mode when it was listed, command line.</summary>
public sealed class MemberInfo
{
    public int Id { get; set; }
    public int ClientPort { get; set; }
    public int? QuorumPort { get; set; }
    public int? ElectionPort { get; set; }
    public int Pid { get; set; }
    public string Mode { get; set; } = "";
    public string Command { get; set; } = "";
}
