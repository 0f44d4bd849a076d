using Orleans;

namespace AgentGrains.GrainInterfaces.Sessions;

/// <summary>One page of sessions.</summary>
/// <param name="Sessions">The sessions, in session id order.</param>
/// <param name="Next">The <see cref="SessionQuery.After"/> of the next page; null when this page is the last.</param>
[GenerateSerializer]
[Alias("agentgrains.SessionPage")]
public sealed record SessionPage(IReadOnlyList<SessionSummary> Sessions, string? Next);
