namespace HotZk.Engine.Processing;

/// <summary>What the engine does with client requests, set by the ensemble layer (or standalone).</summary>
public enum EngineRole
{
    /// <summary>No ensemble: writes are logged and applied once durable.</summary>
    Standalone,
    /// <summary>Ensemble member without a leader: no client is served.</summary>
    Looking,
    /// <summary>Ensemble leader: writes are prepped here and committed by a quorum.</summary>
    Leader,
    /// <summary>Ensemble follower: writes go to the leader; committed txns arrive from it.</summary>
    Follower,
    /// <summary>Ensemble observer: as a follower, without a vote.</summary>
    Observer,
    /// <summary>
    /// Ensemble member cut off from its quorum with <c>readonlymode.enabled</c>: clients that accept a
    /// read-only server may connect and read; writes fail with NOTREADONLY.
    /// </summary>
    ReadOnly,
}
