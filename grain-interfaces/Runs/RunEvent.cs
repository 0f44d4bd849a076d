using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>One journal event of a run: what the run's event stream sends.</summary>
/// <param name="Sequence">Position in the run's journal, from 1, without gaps (the server-sent event id).</param>
/// <param name="RunId">The run.</param>
/// <param name="Type">See <see cref="RunEventTypes"/>.</param>
/// <param name="At">When it was journaled.</param>
/// <param name="Step">The step it belongs to, for model and tool events.</param>
/// <param name="Text">The user message, the model's text, or the tool's result.</param>
/// <param name="ToolCalls">For <c>model.reply</c>: the calls the model asked for.</param>
/// <param name="Call">For tool and approval events: the call.</param>
/// <param name="Status">For <c>run.finished</c> and <c>run.status</c>: the run's new status.</param>
/// <param name="Reason">Why (a denial, a budget, an error).</param>
/// <param name="InputTokens">For <c>model.reply</c>: input tokens.</param>
/// <param name="OutputTokens">For <c>model.reply</c>: output tokens.</param>
/// <param name="ChildRunId">For <c>delegation.started</c>: the specialist run the call started (or found started).</param>
/// <param name="Path">For an event of a specialist run in its manager's stream: the agents from the root down to the run it belongs to; null for the run's own events.</param>
/// <param name="Agent">For <c>delegation.started</c>: the specialist agent; for <c>agent.handoff</c>: the agent that takes over.</param>
[GenerateSerializer]
[Alias("agentgrains.RunEvent")]
public sealed record RunEvent(
    long Sequence,
    string RunId,
    string Type,
    DateTimeOffset At,
    int? Step = null,
    string? Text = null,
    IReadOnlyList<RunToolCallView>? ToolCalls = null,
    RunToolCallView? Call = null,
    string? Status = null,
    string? Reason = null,
    long? InputTokens = null,
    long? OutputTokens = null,
    string? ChildRunId = null,
    IReadOnlyList<string>? Path = null,
    string? Agent = null);
