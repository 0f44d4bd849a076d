using AgentGrains.Storage.Cluster;
using Microsoft.Extensions.Configuration;
using Orleans.TestingHost;

namespace AgentGrains.Tests.ClusterSilo;

/// <summary>Makes a test cluster's silo join through <c>UseAgentGrainsClustering</c>, on the ports the test cluster allocated for it.</summary>
public sealed class AgentGrainsClusteringSilo : ISiloConfigurator
{
    /// <inheritdoc />
    public void Configure(ISiloBuilder siloBuilder)
    {
        // The test cluster hands each silo free ports under Orleans' own keys; the extension reads the project's.
        var configuration = siloBuilder.Configuration;
        var withPorts = new ConfigurationBuilder()
            .AddConfiguration(configuration)
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orleans:SiloPort"] = configuration["Orleans:Endpoints:SiloPort"],
                ["Orleans:GatewayPort"] = configuration["Orleans:Endpoints:GatewayPort"],
                ["Orleans:AdvertisedIP"] = configuration["Orleans:Endpoints:AdvertisedIPAddress"],
            })
            .Build();
        siloBuilder.UseAgentGrainsClustering(withPorts);
    }
}
