using AgentGrains.GrainInterfaces.Agents;
using Orleans;
using Orleans.Concurrency;

namespace AgentGrains.Grains.Agents;

/// <summary>Answers <see cref="IAgentCatalogGrain"/> from this silo's <see cref="AgentCatalog"/>.</summary>
/// <remarks>A stateless worker, so every silo answers from memory and a gateway's call never crosses to another silo for it.</remarks>
[StatelessWorker]
[GrainType("agent-catalog")]
public sealed class AgentCatalogGrain(AgentCatalog catalog) : Grain, IAgentCatalogGrain
{
    private IReadOnlyList<AgentSummary>? summaries;

    /// <inheritdoc />
    public Task<IReadOnlyList<AgentSummary>> ListAsync() =>
        // The catalog never changes while the silo runs: built once per activation.
        Task.FromResult(summaries ??= [.. catalog.Names.Select(name => Summarize(catalog.Get(name)))]);

    private static AgentSummary Summarize(AgentDefinition agent) => new(
        agent.Name,
        agent.Contract?.Description,
        Runs.RunState.Preview(agent.Instructions),
        [.. agent.Tools],
        [.. agent.Specialists],
        [.. agent.Handoffs]);
}
