using AgentGrains.Grains.Tools;

namespace AgentGrains.Grains.Delegation;

/// <summary>The typed errors a manager's model receives for a specialist call, as <c>error: {Code}: {message}</c> tool results.</summary>
/// <remarks>
/// The code comes first so a model (or a program reading the journal) can tell them apart without
/// parsing prose; each message says what happened and what the manager may do about it.
/// </remarks>
public static class DelegationErrors
{
    /// <summary>The call would run an agent that is already in the chain of calls that led to it.</summary>
    public const string CycleDetected = "CycleDetected";

    /// <summary>The call would go deeper than <see cref="DelegationOptions.MaxDepth"/>.</summary>
    public const string DepthExceeded = "DepthExceeded";

    /// <summary>The specialist run failed (its model, its code, or the runtime).</summary>
    public const string SpecialistFailed = "SpecialistFailed";

    /// <summary>The specialist run ran out of one of its budgets.</summary>
    public const string BudgetExceeded = "BudgetExceeded";

    /// <summary>The specialist did not finish within its contract's timeout; its run was cancelled.</summary>
    public const string TimedOut = "TimedOut";

    /// <summary>The specialist run was cancelled (by a person, or with its own manager's run).</summary>
    public const string Cancelled = "Cancelled";

    /// <summary>The specialist completed, but its reply does not fit its response type.</summary>
    public const string InvalidResponse = "InvalidResponse";

    /// <summary>The tool result for error <paramref name="code"/>.</summary>
    public static ToolResult Of(string code, string message) => ToolResult.Error($"{code}: {message}");
}
