using Orleans;
using Orleans.Runtime;

namespace AgentGrains.Tests.ClusterSilo;

/// <summary>Says which silo its activation lives on, so a test can place it and see where it moved.</summary>
[Alias("AgentGrains.Tests.ClusterSilo.IClusterLocationGrain")]
public interface IClusterLocationGrain : IGrainWithStringKey
{
    /// <summary>The silo the activation runs on.</summary>
    [Alias("GetSilo")]
    Task<SiloAddress> GetSiloAsync();
}
