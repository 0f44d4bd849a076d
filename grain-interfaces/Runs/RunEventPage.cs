using Orleans;

namespace AgentGrains.GrainInterfaces.Runs;

/// <summary>Committed events of a run after a given sequence number.</summary>
/// <param name="Events">In sequence order, without gaps.</param>
/// <param name="Finished">Whether the run has ended and <paramref name="Events"/> reaches its last event.</param>
[GenerateSerializer]
[Alias("agentgrains.RunEventPage")]
public sealed record RunEventPage(IReadOnlyList<RunEvent> Events, bool Finished);
