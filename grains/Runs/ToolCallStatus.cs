namespace AgentGrains.Grains.Runs;

/// <summary>The statuses of a journaled tool call.</summary>
public static class ToolCallStatus
{
    /// <summary>Accepted; not finished (invoked, or to be invoked, with its idempotency key).</summary>
    public const string Pending = "pending";

    /// <summary>Waiting for a person to approve or deny it.</summary>
    public const string AwaitingApproval = "awaiting_approval";

    /// <summary>Approved; not finished yet.</summary>
    public const string Approved = "approved";

    /// <summary>Finished with a result.</summary>
    public const string Succeeded = "succeeded";

    /// <summary>Finished with an error sent back to the model (bad call, tool error, timeout, limit).</summary>
    public const string Failed = "failed";

    /// <summary>Denied by a person or by the approval timeout.</summary>
    public const string Denied = "denied";
}
