using AgentGrains.GrainInterfaces.Agents;

namespace AgentGrains.Client.Gateway.Agents;

/// <summary>The answer to <c>GET /v1/agents</c>.</summary>
/// <param name="Agents">Every agent definition the silos run, sorted by name.</param>
public sealed record AgentListResponse(IReadOnlyList<AgentSummary> Agents);
