namespace AgentGrains.Runtime.Membership;

/// <summary>The statuses a silo has in the membership table.</summary>
public static class SiloStates
{
    /// <summary>Heartbeating and taking work.</summary>
    public const string Active = "active";

    /// <summary>Stopping gracefully: finishing turns, releasing grains, claiming nothing new.</summary>
    public const string Draining = "draining";

    /// <summary>Stopped, or its heartbeat is older than the death timeout; its grains may be taken over.</summary>
    public const string Dead = "dead";
}
