namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>What a session is doing, as listings show it.</summary>
public static class SessionStatus
{
    /// <summary>No run in progress.</summary>
    public const string Idle = "idle";

    /// <summary>A run is calling the model or its tools (messages behind it queue).</summary>
    public const string Running = "running";

    /// <summary>The run in progress waits for a person to approve or deny a tool call.</summary>
    public const string AwaitingApproval = "awaiting_approval";
}
