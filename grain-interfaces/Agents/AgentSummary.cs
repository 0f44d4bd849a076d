using Orleans;

namespace AgentGrains.GrainInterfaces.Agents;

/// <summary>An agent definition as the API lists it.</summary>
/// <param name="Name">The name sessions are created with.</param>
/// <param name="Description">What it does, as managers' models see it when it is a specialist (its contract's description); null for an agent only people talk to.</param>
/// <param name="Instructions">The start of its system prompt (at most 200 characters, then "…").</param>
/// <param name="Tools">The tools its model may call.</param>
/// <param name="Specialists">The agents its model may call as tools.</param>
/// <param name="Handoffs">The agents it may hand the conversation to.</param>
[GenerateSerializer]
[Alias("agentgrains.AgentSummary")]
public sealed record AgentSummary(
    string Name,
    string? Description,
    string Instructions,
    IReadOnlyList<string> Tools,
    IReadOnlyList<string> Specialists,
    IReadOnlyList<string> Handoffs)
{
    /// <summary>Whether managers may call it as a tool.</summary>
    public bool IsSpecialist => Description is not null;
}
