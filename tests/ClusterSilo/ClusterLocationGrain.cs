using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.ClusterSilo;

/// <summary>Answers with the address of the silo it was activated on.</summary>
public sealed class ClusterLocationGrain(ILocalSiloDetails silo) : Grain, IClusterLocationGrain
{
    public Task<SiloAddress> GetSiloAsync() => Task.FromResult(silo.SiloAddress);
}
