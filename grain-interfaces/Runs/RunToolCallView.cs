using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>One tool call of a run.</summary>
/// <param name="Step">The step (model call) that requested it, from 1.</param>
/// <param name="CallIndex">Its position in that model reply, from 0.</param>
/// <param name="CallId">The model's id for the call (answers refer to it; approvals name it).</param>
/// <param name="Name">The tool.</param>
/// <param name="Arguments">The arguments as JSON text.</param>
/// <param name="Status"><c>pending</c>, <c>awaiting_approval</c>, <c>approved</c>, <c>succeeded</c>, <c>failed</c> or <c>denied</c>.</param>
/// <param name="IdempotencyKey">The key the tool received: <c>{runId}:{step}:{callIndex}</c>, the same on every attempt.</param>
/// <param name="Risk">The tool's declared risk level (for approvers).</param>
/// <param name="DurationMs">How long the call that produced the journaled result took.</param>
/// <param name="StartedAt">When the call that produced the journaled result started (for a specialist: when it was sent); null for a call that did not run (refused, denied, a handoff) or has no result yet.</param>
[GenerateSerializer]
[Alias("agentgrains.RunToolCallView")]
public sealed record RunToolCallView(
    int Step,
    int CallIndex,
    string CallId,
    string Name,
    string Arguments,
    string Status,
    string IdempotencyKey,
    string? Risk,
    double? DurationMs,
    DateTimeOffset? StartedAt = null);
