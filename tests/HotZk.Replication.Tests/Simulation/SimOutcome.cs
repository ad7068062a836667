namespace HotZk.Replication.Tests.Simulation;

/// <summary>How a client operation ended, as the client saw it.</summary>
internal enum SimOutcome
{
    /// <summary>Not answered yet.</summary>
    Pending,
    /// <summary>The server answered: the write committed at <see cref="SimOp.Zxid"/>, or the read saw the state at <see cref="SimOp.Zxid"/>.</summary>
    Ok,
    /// <summary>Timeout or connection loss: a write may or may not have happened.</summary>
    Unknown,
    /// <summary>The server refused it before doing anything (not serving).</summary>
    Rejected,
}
