using AgentGrains.Storage.Cluster;
using Microsoft.Extensions.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace AgentGrains.Tests.Storage.Cluster;

/// <summary>Makes a test cluster's client find gateways through <c>UseAgentGrainsClustering</c>.</summary>
public sealed class AgentGrainsClusteringClient : IClientBuilderConfigurator
{
    public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.UseAgentGrainsClustering(configuration);
}
