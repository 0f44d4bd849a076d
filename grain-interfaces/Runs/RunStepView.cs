using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>One step of a run: a model call and the tool calls of its reply.</summary>
/// <param name="Step">From 1.</param>
/// <param name="ModelDurationMs">How long the model call that was journaled took (retries included).</param>
/// <param name="InputTokens">Input tokens the model reported for it.</param>
/// <param name="OutputTokens">Output tokens the model reported for it.</param>
/// <param name="ToolCalls">The calls of its reply, in the model's order.</param>
/// <param name="ModelStartedAt">When the model call that was journaled started (it ended <paramref name="ModelDurationMs"/> later).</param>
[GenerateSerializer]
[Alias("agentgrains.RunStepView")]
public sealed record RunStepView(
    int Step,
    double ModelDurationMs,
    long InputTokens,
    long OutputTokens,
    IReadOnlyList<RunToolCallView> ToolCalls,
    DateTimeOffset? ModelStartedAt = null);
