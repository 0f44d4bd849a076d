using Orleans;

namespace AgentGrains.GrainInterfaces.Agents;

/// <summary>The agent definitions the silos run, for callers without the silo's services (a standalone gateway).</summary>
/// <remarks>
/// A stateless worker: each silo answers from its own catalog, in memory, without a remote call.
/// Every silo of a cluster runs the same definitions, so any one's answer is the cluster's.
/// </remarks>
[Alias("agentgrains.IAgentCatalogGrain")]
public interface IAgentCatalogGrain : IGrainWithIntegerKey
{
    /// <summary>Every agent definition, sorted by name.</summary>
    [Alias("ListAsync")]
    Task<IReadOnlyList<AgentSummary>> ListAsync();
}
