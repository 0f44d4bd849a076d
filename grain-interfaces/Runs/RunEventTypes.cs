namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>The types of <see cref="RunEvent"/>.</summary>
public static class RunEventTypes
{
    /// <summary>The run started; <see cref="RunEvent.Text"/> is the user message.</summary>
    public const string Started = "run.started";

    /// <summary>The session's running summary was updated by the run and journaled; <see cref="RunEvent.Text"/> is the new summary, <see cref="RunEvent.Reason"/> the history it covers (or why it was not made).</summary>
    public const string SummaryUpdated = "summary.updated";

    /// <summary>The user's facts relevant to the run's message were recalled for an agent with memory and journaled; <see cref="RunEvent.Text"/> holds them, one per line (or why none could be read, in <see cref="RunEvent.Reason"/>).</summary>
    public const string MemoryRecalled = "memory.recalled";

    /// <summary>A model reply was journaled; its tool calls follow as <see cref="ToolResult"/> events.</summary>
    public const string ModelReply = "model.reply";

    /// <summary>A tool call's outcome was journaled (a result, an error, or a denial).</summary>
    public const string ToolResult = "tool.result";

    /// <summary>A tool call waits for a person; the run is <c>awaiting_approval</c>.</summary>
    public const string ApprovalRequested = "approval.requested";

    /// <summary>A person (or the approval timeout) decided a call.</summary>
    public const string ApprovalDecided = "approval.decided";

    /// <summary>A call to a specialist agent started (or found) its run; <see cref="RunEvent.ChildRunId"/> names it. Its outcome follows as a <see cref="ToolResult"/>.</summary>
    public const string DelegationStarted = "delegation.started";

    /// <summary>The model handed the conversation to another agent (<see cref="RunEvent.Agent"/>), which answers from the next step on.</summary>
    public const string Handoff = "agent.handoff";

    /// <summary>The run resumed after a stall or a takeover (its watchdog found no progress).</summary>
    public const string Resumed = "run.resumed";

    /// <summary>The run ended; <see cref="RunEvent.Status"/> and <see cref="RunEvent.Reason"/> say how. Always the last event.</summary>
    public const string Finished = "run.finished";
}
