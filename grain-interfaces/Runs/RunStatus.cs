namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>The statuses of a run, as they appear in the API.</summary>
/// <remarks>
/// <see cref="Queued"/> and <see cref="Running"/> and <see cref="AwaitingApproval"/> are active; every
/// other status is terminal and carries a reason. A terminal run never changes again.
/// </remarks>
public static class RunStatus
{
    /// <summary>Waiting behind the session's active run (the agent's policy is <c>enqueue</c>).</summary>
    public const string Queued = "queued";

    /// <summary>Calling the model or its tools.</summary>
    public const string Running = "running";

    /// <summary>Paused until a person approves or denies a tool call; holds no thread or activation.</summary>
    public const string AwaitingApproval = "awaiting_approval";

    /// <summary>The model gave its final answer.</summary>
    public const string Completed = "completed";

    /// <summary>The model or the runtime failed in a way retries could not fix; the reason says how.</summary>
    public const string Failed = "failed";

    /// <summary>Cancelled by a person, or interrupted by a newer message.</summary>
    public const string Cancelled = "cancelled";

    /// <summary>A budget (steps, tokens, cost, wall time) ran out; the reason names it.</summary>
    public const string BudgetExceeded = "budget_exceeded";

    /// <summary>Whether <paramref name="status"/> is terminal.</summary>
    public static bool IsTerminal(string status) =>
        status is Completed or Failed or Cancelled or BudgetExceeded;
}
