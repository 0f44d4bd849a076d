using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>A manager's call of a specialist, as the specialist's session receives it.</summary>
/// <param name="Agent">The specialist agent to run.</param>
/// <param name="Input">The request, as the JSON the manager's model sent (checked against the specialist's request schema).</param>
/// <param name="ParentRunId">The manager run that calls.</param>
/// <param name="Path">The agents from the root manager down to the caller, the caller last.</param>
/// <param name="UserId">The manager session's user, whose memory the specialist uses; null for none.</param>
/// <param name="Owner">The manager session's owner, who approves the specialist's calls too; null for none.</param>
/// <remarks>Sent with an idempotency key derived from the manager call's key, which is what makes a repeated request find the first one's run.</remarks>
[GenerateSerializer]
[Alias("agentgrains.DelegatedRun")]
public sealed record DelegatedRun(string Agent, string Input, string ParentRunId, IReadOnlyList<string> Path, string? UserId = null, string? Owner = null);
