namespace AgentGrains.Runtime;

/// <summary>The life stages of a silo.</summary>
public enum SiloStatus
{
    /// <summary>Constructed, not started.</summary>
    Created,

    /// <summary>Migrating storage.</summary>
    Starting,

    /// <summary>Taking calls.</summary>
    Active,

    /// <summary>Finishing turns in flight and releasing grains; new calls are refused.</summary>
    Stopping,

    /// <summary>Stopped.</summary>
    Stopped,
}
